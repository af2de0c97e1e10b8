// The archive's encryption: what goes in comes out; a wrong passphrase, a changed byte, a cut end and a
// swapped chunk are each refused with their own error, and no plaintext comes out of a refused chunk.
import { describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { CHUNK_BYTES, DamagedArchiveError, decryptingStream, encryptingStream, HEADER_BYTES, WrongPassphraseError, type ScryptCost } from './encryption.ts';

const CHEAP: ScryptCost = { log2N: 10, r: 8, p: 1 }; // the format's cost is in the header; tests need no real one
const PASSPHRASE = 'correct horse battery staple';

const encrypt = async (plain: Buffer) => buffer(Readable.from([plain]).pipe(await encryptingStream(PASSPHRASE, CHEAP)));
const decrypt = (archive: Buffer, passphrase = PASSPHRASE) => buffer(Readable.from([archive]).pipe(decryptingStream(passphrase)));

describe('backup archive encryption', () => {
  it('gives back what it was given, for sizes around the chunk boundary, and never shows it', async () => {
    for (const size of [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES]) {
      const plain = crypto.randomBytes(size);
      const archive = await encrypt(plain);
      expect((await decrypt(archive)).equals(plain)).toBe(true);
    }
    const text = Buffer.from('secrets.key=' + 'k'.repeat(100));
    expect((await encrypt(text)).includes(Buffer.from('secrets.key'))).toBe(false);
  });

  it('refuses a wrong passphrase by name, and a short one when writing', async () => {
    const archive = await encrypt(Buffer.from('data'));
    await expect(decrypt(archive, 'not the right passphrase')).rejects.toThrow(WrongPassphraseError);
    await expect(encryptingStream('short', CHEAP)).rejects.toThrow(/too short/);
    await expect(encryptingStream('', CHEAP)).rejects.toThrow(/empty/);
  });

  it('refuses a changed byte, a cut end, a dropped last chunk and swapped chunks', async () => {
    const archive = await encrypt(crypto.randomBytes(3 * CHUNK_BYTES + 100));
    const frame = CHUNK_BYTES + 16;
    const changed = Buffer.from(archive);
    changed[HEADER_BYTES + frame + 5]! ^= 1;
    await expect(decrypt(changed)).rejects.toThrow(DamagedArchiveError);
    await expect(decrypt(archive.subarray(0, archive.length - 1))).rejects.toThrow(DamagedArchiveError);
    await expect(decrypt(archive.subarray(0, HEADER_BYTES + 3 * frame))).rejects.toThrow(DamagedArchiveError);
    const header = archive.subarray(0, HEADER_BYTES);
    const chunks = [0, 1, 2].map((i) => archive.subarray(HEADER_BYTES + i * frame, HEADER_BYTES + (i + 1) * frame));
    const swapped = Buffer.concat([header, chunks[1]!, chunks[0]!, chunks[2]!, archive.subarray(HEADER_BYTES + 3 * frame)]);
    await expect(decrypt(swapped)).rejects.toThrow(DamagedArchiveError);
    const changedHeader = Buffer.from(archive);
    changedHeader[10]! ^= 1;
    await expect(decrypt(changedHeader)).rejects.toThrow(/passphrase does not open|damaged|format/);
    await expect(decrypt(Buffer.from('not an archive at all, just some text that is long enough to hold a header'))).rejects.toThrow(/not an Anthropy Works backup/);
  });
});
