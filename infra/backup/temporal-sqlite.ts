// The Temporal dev server's persistence (one SQLite file) in a backup: copied through SQLite's online
// backup API (node:sqlite), which takes a consistent copy while the dev server keeps running and writing
// (a write during the copy makes it start over), unlike copying the file and its WAL.
import fs from 'node:fs';
import { backup, DatabaseSync } from 'node:sqlite';

/** Copies the SQLite database `from` into the new file `to`, and checks the copy. */
export async function copyTemporalDatabase(from: string, to: string): Promise<void> {
  const source = new DatabaseSync(from, { readOnly: true });
  try {
    // All pages in one step, so a busy dev server does not keep restarting a page-by-page copy.
    await backup(source, to, { rate: 2 ** 31 - 1 });
  } finally {
    source.close();
  }
  const copy = new DatabaseSync(to);
  try {
    const [check] = copy.prepare('pragma integrity_check').all() as { integrity_check: string }[];
    if (check?.integrity_check !== 'ok') throw new Error(`the copy of ${from} fails SQLite's integrity check (${check?.integrity_check})`);
    // One self-contained file: no write-ahead log beside it.
    copy.exec('pragma journal_mode = delete');
  } finally {
    copy.close();
  }
  fs.chmodSync(to, 0o600);
}
