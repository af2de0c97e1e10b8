// A key kept in the data folder (DATA_DIR/secrets): read it, or create it once, atomically and mode 0600,
// so that two processes starting together end up with the same key. Used for the secrets key, the
// control plane's signing key and the approval-grant key.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function readOrCreateKeyFile(file: string, opts: { generate: () => string; valid: (key: string) => boolean; what: string }): string {
  const read = () => {
    const key = fs.readFileSync(file, 'utf8').trim();
    if (!opts.valid(key)) throw new Error(`${file} does not hold ${opts.what}`);
    return key;
  };
  if (fs.existsSync(file)) return read();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, opts.generate(), { mode: 0o600 });
  try {
    // link() fails when the file exists: if another process made one meanwhile, theirs wins and is used.
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return read();
}

/** A key file's content, trimmed, or undefined when there is none (a script that must not create one). */
export const readKeyFileIfPresent = (file: string): string | undefined => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : undefined);
