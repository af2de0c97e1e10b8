// A report is rewritten by each run; its notes kept by hand (docs/benchmarks/notes/<file>) follow it every time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@jest/globals';
import { writeReport } from './report.ts';

test('a report gets its hand-kept notes appended, and is written alone when it has none', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-report-'));
  try {
    fs.mkdirSync(path.join(dir, 'notes'));
    fs.writeFileSync(path.join(dir, 'notes', 'suite.md'), '## Reading it\n\nA profile said so.\n\n');
    writeReport('suite.md', ['# Benchmark', '', '| a |'], dir);
    writeReport('suite.md', ['# Benchmark, again', '', '| b |'], dir);
    const text = fs.readFileSync(path.join(dir, 'suite.md'), 'utf8');
    expect(text.startsWith('# Benchmark, again\n\n| b |\n')).toBe(true);
    expect(text.match(/## Reading it/g)).toHaveLength(1);
    expect(text.endsWith('A profile said so.\n')).toBe(true);
    writeReport('other.md', ['# Other'], dir);
    expect(fs.readFileSync(path.join(dir, 'other.md'), 'utf8')).toBe('# Other\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
