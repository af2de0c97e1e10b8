// `npm start`'s script (infra/start.ts) as a test runs it: started directly with this Node, so that a
// SIGINT reaches it as Ctrl-C does (no npm in between), with everything it prints collected.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../infra/config.ts';
import { freePort } from '../../infra/ports.ts';

export interface StartedScript {
  child: ChildProcess;
  output: string[];
  exited: Promise<number>;
}

export function startStartScript(env: NodeJS.ProcessEnv): StartedScript {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, 'infra/start.ts')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => output.push(d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => output.push(d));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  return { child, output, exited };
}

/** Resolves once the script says the product is running; fails with its output if it exits or takes too long. */
export async function untilRunning(s: StartedScript, withinMs = 90_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!s.output.join('').includes('Anthropy Works is running')) {
    if (s.child.exitCode !== null) throw new Error(`npm start exited early:\n${s.output.join('')}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${s.output.join('')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Ctrl-C, and its exit code. */
export async function stopStartScript(s: StartedScript): Promise<number> {
  if (s.child.exitCode === null) s.child.kill('SIGINT');
  return s.exited;
}

const START_PORTS = ['PORT', 'TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'EMBEDDED_POSTGRES_PORT', 'AGENT_DOOR_PORT'] as const;

/** Free ports for every listener `npm start` opens, as the variables that set them. */
export async function freeStartPorts(): Promise<Record<(typeof START_PORTS)[number], string>> {
  const ports: Partial<Record<(typeof START_PORTS)[number], string>> = {};
  for (const name of START_PORTS) ports[name] = String(await freePort());
  return ports as Record<(typeof START_PORTS)[number], string>;
}
