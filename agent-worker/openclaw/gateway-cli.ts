// The OpenClaw CLI of the bundle, run inside an instance's container with `--json`: the gateway's own
// answers (its config schema, its RPC methods), never our guess of them. Each call starts a Node
// process in the container (one to three seconds).
import type Dockerode from 'dockerode';
import { OPENCLAW_ENTRYPOINT } from './bundle.ts';
import { execIn } from './health.ts';

/** The JSON document a `--json` command printed (its log lines, if any, around it are skipped). */
export function jsonOutput(output: string): unknown {
  const start = output.indexOf('{');
  const end = output.lastIndexOf('}');
  if (start < 0 || end < start) return undefined;
  try {
    return JSON.parse(output.slice(start, end + 1));
  } catch {
    return undefined;
  }
}

/** Runs `openclaw <args> --json`; resolves with the exit code and the parsed document. */
async function openclawJson(docker: Dockerode, containerId: string, args: string[], opts: { env?: string[]; timeoutMs?: number } = {}) {
  const res = await execIn(docker, containerId, [...OPENCLAW_ENTRYPOINT, ...args, '--json'], opts.timeoutMs ?? 60_000, opts.env);
  return { exitCode: res.exitCode, doc: jsonOutput(res.output), output: res.output };
}

export interface ValidationIssue {
  path: string;
  message: string;
}

/** `openclaw config validate` of the file `file` (in the container): valid, or the gateway schema's issues. */
export async function validateConfig(docker: Dockerode, containerId: string, file: string): Promise<{ valid: true } | { valid: false; issues: ValidationIssue[] }> {
  const { exitCode, doc, output } = await openclawJson(docker, containerId, ['config', 'validate'], { env: [`OPENCLAW_CONFIG_PATH=${file}`] });
  const answer = doc as { valid?: boolean; issues?: ValidationIssue[]; error?: { message?: string } } | undefined;
  if (exitCode === 0 && answer?.valid === true) return { valid: true };
  if (answer?.valid === false) return { valid: false, issues: answer.issues?.length ? answer.issues : [{ path: '<file>', message: answer.error?.message ?? 'invalid' }] };
  throw new Error(`openclaw config validate did not answer (exit code ${exitCode}): ${output.trim().slice(-300)}`);
}

/** One RPC of the running gateway (`openclaw gateway call <method>`), on its loopback port. */
export async function gatewayCall(docker: Dockerode, containerId: string, port: number, method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const { exitCode, doc, output } = await openclawJson(docker, containerId, ['gateway', 'call', method, '--params', JSON.stringify(params), '--port', String(port)]);
  const answer = doc as (Record<string, unknown> & { ok?: boolean; error?: { message?: string } }) | undefined;
  if (exitCode !== 0 || !answer || answer.ok === false) {
    throw new Error(`the gateway's ${method} failed: ${answer?.error?.message ?? output.trim().slice(-300)}`);
  }
  return answer;
}
