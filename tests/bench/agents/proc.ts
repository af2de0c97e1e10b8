// The CPU time and memory of this benchmark's own child processes, read from /proc (Linux): the product's
// parts as `npm start` runs them (web, control-plane worker, agent door, Temporal, PostgreSQL) and the
// load processes, told apart by their command lines.
import fs from 'node:fs';

export const PARTS = ['web', 'worker', 'door', 'temporal', 'postgres', 'load'] as const;
export type Part = (typeof PARTS)[number];

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux this runs on

function partOf(cmdline: string): Part | undefined {
  if (cmdline.includes('web/server.ts')) return 'web';
  if (cmdline.includes('control-plane-worker.ts')) return 'worker';
  if (cmdline.includes('agent-door/main.ts')) return 'door';
  if (cmdline.includes('bench/agents/fleet.ts')) return 'load';
  if (/\btemporal\b.*server/.test(cmdline)) return 'temporal';
  if (/postgres/.test(cmdline)) return 'postgres';
  return undefined;
}

interface ProcInfo {
  pid: number;
  ppid: number;
  cpuSeconds: number;
  rssBytes: number;
  cmdline: string;
}

function read(pid: number): ProcInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: the fields after its last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    const rssPages = Number(fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    return { pid, ppid, cpuSeconds, rssBytes: rssPages * 4096, cmdline };
  } catch {
    return undefined; // gone meanwhile
  }
}

export type Usage = Record<Part, { cpuSeconds: number; rssBytes: number }>;

/** CPU seconds so far and resident memory now of each part, summed over its processes (this process's descendants). */
export function usage(root = process.pid): Usage {
  const all = fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => read(Number(d)))
    .filter((p): p is ProcInfo => p !== undefined);
  const children = new Map<number, ProcInfo[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out = Object.fromEntries(PARTS.map((p) => [p, { cpuSeconds: 0, rssBytes: 0 }])) as Usage;
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      const part = partOf(child.cmdline);
      if (part) {
        out[part].cpuSeconds += child.cpuSeconds;
        out[part].rssBytes += child.rssBytes;
      }
      walk(child.pid);
    }
  };
  walk(root);
  return out;
}

/** CPU used by each part between two readings, as a share of one core, and the later reading's memory. */
export function between(before: Usage, after: Usage, seconds: number): Record<Part, { cpuCores: number; rssBytes: number }> {
  return Object.fromEntries(PARTS.map((p) => [p, { cpuCores: (after[p].cpuSeconds - before[p].cpuSeconds) / seconds, rssBytes: after[p].rssBytes }])) as Record<
    Part,
    { cpuCores: number; rssBytes: number }
  >;
}
