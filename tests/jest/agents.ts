// A real agent for an integration test: `agent-worker enroll` against the test's web server with a token
// from the console's service, then `agent-worker run` against one Docker engine.
import path from 'node:path';
import { createEnrollmentToken } from '../../api/agents/service.ts';
import type { ServiceContext } from '../../api/authz.ts';
import { REPO_ROOT } from '../../infra/config.ts';
import { startProcess, type TestProcess } from './processes.ts';
import { runCommand } from './run-command.ts';

const CLI = path.join(REPO_ROOT, 'agent-worker/cli.ts');

/** Enrolls the node's agent into `stateDir` (throws with the CLI's output when it fails). */
export async function enrollTestAgent(ctx: ServiceContext, nodeId: string, serverUrl: string, stateDir: string): Promise<void> {
  const { token } = await createEnrollmentToken(ctx, nodeId);
  const res = await runCommand(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, 'enroll', '--server', serverUrl, '--token', token, '--state-dir', stateDir], { cwd: REPO_ROOT, env: process.env });
  if (res.code !== 0) throw new Error(`agent-worker enroll failed (${res.code}): ${res.output}`);
}

/** Runs the enrolled agent of `stateDir` against the engine at `socketPath` until stopped. */
export function runTestAgent(stateDir: string, socketPath: string, env: NodeJS.ProcessEnv = {}): Promise<TestProcess> {
  return startProcess('agent-worker/cli.ts', env, /agent running/, 60_000, ['run', '--state-dir', stateDir, '--docker-socket', socketPath]);
}
