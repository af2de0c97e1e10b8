// A real agent for an integration test: `agent-worker enroll` against the test's web server with the
// command the console's service makes (token and control plane key fingerprint), then `agent-worker run`
// against one Docker engine. Both run as `npm start` runs its local agent: with the agent's allow-listed
// environment, never this process's (which holds the control plane's keys and database URL).
import path from 'node:path';
import { agentEnvironment } from '../../agent-worker/child-env.ts';
import { createEnrollmentToken } from '../../api/agents/service.ts';
import type { ServiceContext } from '../../api/authz.ts';
import { REPO_ROOT } from '../../infra/config.ts';
import { startProcess, type TestProcess } from './processes.ts';
import { runCommand } from './run-command.ts';

const CLI = path.join(REPO_ROOT, 'agent-worker/cli.ts');

/** Enrolls the node's agent into `stateDir` (throws with the CLI's output when it fails). */
export async function enrollTestAgent(ctx: ServiceContext, nodeId: string, serverUrl: string, stateDir: string): Promise<void> {
  const { token, controlPlaneKeyFingerprint } = await createEnrollmentToken(ctx, nodeId);
  const args = ['enroll', '--server', serverUrl, '--token', token, '--control-plane-key', controlPlaneKeyFingerprint, '--state-dir', stateDir];
  const res = await runCommand(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, ...args], { cwd: REPO_ROOT, env: agentEnvironment() });
  if (res.code !== 0) throw new Error(`agent-worker enroll failed (${res.code}): ${res.output}`);
}

/** Runs the enrolled agent of `stateDir` against the engine at `socketPath` until stopped; `env` passes the allow-list too. */
export function runTestAgent(stateDir: string, socketPath: string, env: NodeJS.ProcessEnv = {}): Promise<TestProcess> {
  return startProcess(
    'agent-worker/cli.ts',
    agentEnvironment({}, { ...process.env, LOG_LEVEL: 'info', ...env }),
    /agent running/,
    60_000,
    ['run', '--state-dir', stateDir, '--docker-socket', socketPath],
    { inheritEnv: false },
  );
}

/** The smallest heartbeat report the API accepts (protocol/heartbeat.ts), for a test that sends one by hand. */
export const minimalHeartbeat = (hostname: string) => ({
  agentVersion: '0.0.0',
  hostname,
  os: 'linux',
  cpu: { count: 1 },
  memory: { totalBytes: 1, freeBytes: 1 },
  dockerVersion: null,
  inventoryDigest: null,
});
