// Starts one of the product's own processes (e.g. the control-plane worker) for an integration test and
// waits until it logs that it is ready.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { REPO_ROOT } from '../../infra/config.ts';

export interface TestProcess {
  child: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

/** `inheritEnv: false`: the process gets `env` alone (an agent's allow-listed environment), not this one's. */
export async function startProcess(
  script: string,
  env: NodeJS.ProcessEnv,
  readyMessage: RegExp,
  timeoutMs = 60_000,
  args: string[] = [],
  opts: { inheritEnv?: boolean } = {},
): Promise<TestProcess> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, script), ...args], {
    env: opts.inheritEnv === false ? env : { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not become ready in ${timeoutMs} ms:\n${output.slice(-20).join('\n')}`)), timeoutMs);
    for (const stream of [child.stdout!, child.stderr!]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        output.push(line);
        if (readyMessage.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}:\n${output.slice(-20).join('\n')}`));
    });
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  await ready.catch(async (err) => {
    await stop();
    throw err;
  });
  return { child, output, stop };
}
