// Processes by pid, as Linux's /proc shows them. After a crash (every process of the product killed with
// SIGKILL, or only the start script, as the OOM killer may do), what is left is recognised by pid files
// and command lines, never by a process name alone: another data folder's services look the same.
import fs from 'node:fs';
import path from 'node:path';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Field N (1-based, as `man proc` counts) of /proc/<pid>/stat; the name in parentheses may hold spaces. */
function statField(pid: number, field: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[field - 3];
  } catch {
    return undefined;
  }
}

/** Whether `pid` runs; a zombie (exited, not yet reaped by its parent) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const state = statField(pid, 3);
  return state !== undefined && state !== 'Z';
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function cmdlineOf(pid: number): string[] {
  let args: string[];
  try {
    args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
  if (args.at(-1) === '') args.pop(); // each argument ends with a NUL
  return args;
}

/** The value of `flag` in a command line, as `--flag value` or `--flag=value`. */
export function flagValue(cmdline: string[], flag: string): string | undefined {
  for (let i = 0; i < cmdline.length; i++) {
    if (cmdline[i] === flag) return cmdline[i + 1];
    if (cmdline[i]!.startsWith(`${flag}=`)) return cmdline[i]!.slice(flag.length + 1);
  }
  return undefined;
}

/** Every running process whose command line satisfies `test`, except this one. */
export function findProcesses(test: (cmdline: string[]) => boolean): number[] {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== process.pid && test(cmdlineOf(pid)) && isAlive(pid));
}

/** The children of `pids`, their children, and so on. */
export function descendantsOf(pids: number[]): number[] {
  const parentOf = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = Number(statField(Number(name), 4));
    if (ppid) parentOf.set(Number(name), ppid);
  }
  const found = new Set<number>();
  let frontier = new Set(pids);
  while (frontier.size) {
    const next = new Set<number>();
    for (const [pid, ppid] of parentOf)
      if (frontier.has(ppid) && !found.has(pid)) {
        found.add(pid);
        next.add(pid);
      }
    frontier = next;
  }
  return [...found];
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** Stops `pid` with `signal` (SIGTERM unless told), then SIGKILL after `timeoutMs`. */
export async function terminate(pid: number, timeoutMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  if (await waitForExit(pid, timeoutMs)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  await waitForExit(pid, 5000);
}

/** SIGKILLs all of `pids` at once (what is left of a crash), and waits until they are gone. */
export async function killAll(pids: number[]): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  for (const pid of pids) await waitForExit(pid, 5000);
}

// A pid record is the pid and its start time (clock ticks since boot): a pid the kernel has since given to
// another process does not match.

export function writePidRecord(file: string, pid: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${pid} ${statField(pid, 22) ?? '?'}\n`);
}

/** The pid of `file`'s record while that very process runs. */
export function livePidRecord(file: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const [pid, startTime] = text.trim().split(/\s+/).map(Number);
  return pid && isAlive(pid) && statField(pid, 22) === String(startTime) ? pid : undefined;
}
