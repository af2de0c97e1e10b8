// What every benchmark report says about itself (the commit, the machine, the date, the command), and the
// statistics and tables they share, so that figures from different suites read the same way.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../infra/config.ts';

export const BENCHMARKS_DIR = path.join(REPO_ROOT, 'docs/benchmarks');

/** The commit measured, with "+ changes" when the work tree differs from it. */
export function commitMeasured(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  // The reports and charts a run writes are not a change to what it measures.
  const dirty = git('status', '--porcelain', '--untracked-files=no', '--', '.', ':!docs/benchmarks') !== '';
  return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes' : ''}`;
}

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(os.totalmem() / 1024 ** 3)} GiB of memory, ${os.type()} ${os.release()}, Node ${process.version}`;
}

/** The header lines of a report: what ran, where, when and how to run it again. */
export function reportHeader(title: string, command: string, script: string): string[] {
  return [
    `# Benchmark: ${title}`,
    '',
    `Written by \`${command}\` (${script}) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    `at commit ${commitMeasured()}, on ${machine()};`,
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')} (1 / 5 / 15 min) when written: other work shares this machine, which widens the tails.`,
  ];
}

/** The value below which `p` percent of the samples fall (nearest rank). */
export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

export function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

/** Where the readings kept by hand live: what a run cannot find out for itself (profiles, traces, experiments). */
export const NOTES_DIR = path.join(BENCHMARKS_DIR, 'notes');

/**
 * Writes the report, followed by its notes kept by hand in docs/benchmarks/notes/<file> when there are
 * any: a run rewrites every figure, and the investigations that explain them outlive it.
 */
export function writeReport(file: string, lines: string[], dir = BENCHMARKS_DIR): string {
  const out = path.join(dir, file);
  const notes = path.join(dir, path.relative(BENCHMARKS_DIR, NOTES_DIR), file);
  const kept = fs.existsSync(notes)
    ? [
        '',
        `<!-- Below: ${path.relative(dir, notes)}, kept by hand; the figures in it are from the runs it names, not from the run above. -->`,
        '',
        fs.readFileSync(notes, 'utf8').trimEnd(),
      ]
    : [];
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(out, `${[...lines, ...kept].join('\n')}\n`);
  return path.relative(REPO_ROOT, out);
}
