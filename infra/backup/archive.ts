// The backup archive as a file: a tar of a staging folder (manifest.json first), encrypted as a whole
// (./encryption.ts). Written to a temporary name and renamed once complete, so a failed backup never
// leaves a file that looks like one. Read back into a staging folder only after every byte authenticated.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { DamagedArchiveError, decryptingStream, encryptingStream, type ScryptCost } from './encryption.ts';

export const MANIFEST = 'manifest.json';

/** Every file under `dir`, as paths relative to it with forward slashes, the manifest first. */
function filesUnder(dir: string): string[] {
  const files = (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).map((f) => f.split(path.sep).join('/'));
  return files.sort((a, b) => (a === MANIFEST ? -1 : b === MANIFEST ? 1 : a.localeCompare(b)));
}

async function* tarOf(dir: string): AsyncGenerator<Buffer> {
  const pack = tar.pack();
  const feeding = (async () => {
    for (const name of filesUnder(dir)) {
      const file = path.join(dir, name);
      const { size, mode } = fs.statSync(file);
      const entry = pack.entry({ name, size, mode: mode & 0o777, mtime: new Date(0) });
      await pipeline(fs.createReadStream(file), entry);
    }
    pack.finalize();
  })();
  feeding.catch((err: Error) => pack.destroy(err));
  for await (const chunk of pack) yield chunk as Buffer;
  await feeding;
}

/** Writes `dir` as an encrypted archive to `outFile` (mode 0600). */
export async function writeArchive(dir: string, outFile: string, passphrase: string, cost?: ScryptCost): Promise<void> {
  const partial = `${outFile}.partial`;
  try {
    await pipeline(Readable.from(tarOf(dir)), await encryptingStream(passphrase, cost), fs.createWriteStream(partial, { mode: 0o600 }));
    const fd = fs.openSync(partial, 'r');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(partial, outFile);
  } finally {
    fs.rmSync(partial, { force: true });
  }
}

/** A name from the archive as a path inside `dir`, refusing one that would leave it. */
function insideDir(dir: string, name: string): string {
  const target = path.resolve(dir, name);
  if (path.isAbsolute(name) || name.split('/').includes('..') || !target.startsWith(dir + path.sep)) {
    throw new DamagedArchiveError(`This backup archive names a file outside its folder (${JSON.stringify(name)}); it was not made by this product.`);
  }
  return target;
}

/** Decrypts and unpacks the archive into the empty folder `dir`; throws WrongPassphraseError or DamagedArchiveError. */
export async function readArchive(file: string, passphrase: string, dir: string): Promise<void> {
  const extract = tar.extract();
  const unpacking = (async () => {
    for await (const entry of extract) {
      if (entry.header.type !== 'file') throw new DamagedArchiveError(`This backup archive holds a ${entry.header.type} (${entry.header.name}); it was not made by this product.`);
      const target = insideDir(dir, entry.header.name);
      fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
      await pipeline(entry, fs.createWriteStream(target, { mode: 0o600 }));
    }
  })();
  // The decryption's own error (wrong passphrase, damaged) is the one to tell, not the unpacking's that follows from it.
  const [decrypted, unpacked] = await Promise.allSettled([pipeline(fs.createReadStream(file), decryptingStream(passphrase), extract), unpacking]);
  if (decrypted.status === 'rejected') throw decrypted.reason;
  if (unpacked.status === 'rejected') throw unpacked.reason;
}
