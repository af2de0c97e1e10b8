// The agent's memory of the envelopes it has executed, so a replayed envelope (the same signed job delivered
// again, by Temporal or by someone who captured it) is refused. A JSON-lines file in the agent's state
// folder, appended and fsync'd BEFORE the job runs: after a crash the job counts as executed, so risky
// work is never repeated by surprise (the workflow sees a failure with a clear reason instead).
//
// An entry is kept until one day after its job's notAfter: past that, the envelope is refused as
// expired anyway (verifyJob checks the time window before replay), so forgetting it is safe.
import fs from 'node:fs';
import path from 'node:path';

export const REPLAY_FILE = 'executed-jobs.jsonl';
export const KEEP_AFTER_NOT_AFTER_MS = 24 * 60 * 60 * 1000;
const COMPACT_EVERY = 1000;

export class ReplayStoreError extends Error {}

interface Entry {
  envelopeId: string;
  notAfter: string;
  at: string;
}

/** A line of the file as an entry, or undefined. Agents before the rename wrote the same per-attempt id as `jobId`. */
function entryOf(value: unknown): Entry | undefined {
  const e = value as { envelopeId?: unknown; jobId?: unknown; notAfter?: unknown; at?: unknown } | null;
  if (!e || typeof e !== 'object') return undefined;
  const id = e.envelopeId ?? e.jobId;
  if (typeof id !== 'string' || !id || typeof e.notAfter !== 'string' || Number.isNaN(new Date(e.notAfter).getTime())) return undefined;
  return { envelopeId: id, notAfter: e.notAfter, at: typeof e.at === 'string' ? e.at : '' };
}

function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Not every platform can fsync a directory; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export class ReplayStore {
  readonly file: string;
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => Date;
  private fd: number;
  private appended = 0;

  private constructor(file: string, now: () => Date) {
    this.file = file;
    this.now = now;
    this.load();
    this.compact();
    this.fd = fs.openSync(this.file, 'a', 0o600);
  }

  /** Opens (creating it if needed) the store in the agent's state folder. */
  static open(stateDir: string, opts: { now?: () => Date } = {}): ReplayStore {
    try {
      fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new ReplayStoreError(`cannot create the agent state folder ${stateDir}: ${(err as Error).message}`);
    }
    return new ReplayStore(path.join(stateDir, REPLAY_FILE), opts.now ?? (() => new Date()));
  }

  /** Whether this envelope was executed here (and is still remembered: see the top of this file). */
  hasExecuted(envelopeId: string): boolean {
    return this.entries.has(envelopeId);
  }

  /**
   * Records the job as executed, durably (fsync'd), before it runs. Returns false, recording nothing,
   * when it was already recorded: check-and-set in one step, so two deliveries cannot both run it.
   */
  markExecuted(envelopeId: string, notAfter: Date | string): boolean {
    if (this.entries.has(envelopeId)) return false;
    const expires = new Date(notAfter);
    if (Number.isNaN(expires.getTime())) throw new ReplayStoreError(`notAfter of envelope ${envelopeId} is not a date`);
    const entry: Entry = { envelopeId, notAfter: expires.toISOString(), at: this.now().toISOString() };
    fs.writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    fs.fsyncSync(this.fd);
    this.entries.set(envelopeId, entry);
    if (++this.appended >= COMPACT_EVERY) {
      fs.closeSync(this.fd);
      this.compact();
      this.fd = fs.openSync(this.file, 'a', 0o600);
    }
    return true;
  }

  /** How many envelope ids are remembered. */
  get size(): number {
    return this.entries.size;
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  private load(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new ReplayStoreError(`cannot read ${this.file}: ${(err as Error).message}`);
    }
    const lines = text.split('\n');
    const complete = text.endsWith('\n');
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        value = undefined;
      }
      const entry = entryOf(value);
      if (entry) {
        this.entries.set(entry.envelopeId, entry);
        return;
      }
      // A crash in the middle of an append leaves a torn last line: that job never started (the line is
      // written before the job runs), so it is dropped. Damage anywhere else is refused: forgetting
      // executed jobs would let them run again.
      if (i === lines.length - 1 && !complete) return;
      throw new ReplayStoreError(`${this.file} is corrupt at line ${i + 1}; the agent refuses to run jobs until it is repaired or removed`);
    });
  }

  /** Rewrites the file with the entries still worth keeping (atomically: temporary file, fsync, rename). */
  private compact(): void {
    const cutoff = this.now().getTime() - KEEP_AFTER_NOT_AFTER_MS;
    for (const [envelopeId, e] of this.entries) if (new Date(e.notAfter).getTime() < cutoff) this.entries.delete(envelopeId);
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, [...this.entries.values()].map((e) => `${JSON.stringify(e)}\n`).join(''));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    fsyncDirectory(path.dirname(this.file));
    this.appended = 0;
  }
}
