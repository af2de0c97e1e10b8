// The backup archive's encryption (docs/decisions/0024-backup-archive.md): a key derived from the
// operator's passphrase with scrypt, then AES-256-GCM over 64 KiB chunks (the STREAM construction: each
// chunk's nonce carries its number and whether it is the last), so every byte is authenticated before it
// is used, and a reordered, truncated or extended archive fails like a changed one. A key check in the
// header tells a wrong passphrase apart from a damaged archive.
import crypto from 'node:crypto';
import type { Transform } from 'node:stream';
import { Transform as TransformStream } from 'node:stream';
import { promisify } from 'node:util';

const MAGIC = Buffer.from('AWBACKUP');
const FORMAT_VERSION = 1;
const KDF_SCRYPT = 1;
const SALT_BYTES = 16;
const NONCE_PREFIX_BYTES = 7;
const KEY_CHECK_BYTES = 32;
const TAG_BYTES = 16;
export const CHUNK_BYTES = 64 * 1024;
const FRAME_BYTES = CHUNK_BYTES + TAG_BYTES;
/** magic, version, kdf, log2(N), r, p, salt, nonce prefix: what the key check and every chunk authenticate. */
const HEADER_BODY_BYTES = MAGIC.length + 5 + SALT_BYTES + NONCE_PREFIX_BYTES;
export const HEADER_BYTES = HEADER_BODY_BYTES + KEY_CHECK_BYTES;

export const MIN_PASSPHRASE_LENGTH = 12;

export interface ScryptCost {
  log2N: number;
  r: number;
  p: number;
}
/** About 128 MiB and a second or less here: cheap once per backup, dear for a guesser. */
export const DEFAULT_COST: ScryptCost = { log2N: 17, r: 8, p: 1 };

/** The passphrase does not open this archive. */
export class WrongPassphraseError extends Error {}
/** The file is not a backup archive, or it was changed, truncated or damaged. */
export class DamagedArchiveError extends Error {}

const scrypt = promisify(crypto.scrypt) as (password: string, salt: Buffer, keylen: number, options: crypto.ScryptOptions) => Promise<Buffer>;

interface Keys {
  encryption: Buffer;
  check: Buffer;
}

async function deriveKeys(passphrase: string, salt: Buffer, cost: ScryptCost): Promise<Keys> {
  const N = 2 ** cost.log2N;
  const derived = await scrypt(passphrase.normalize('NFC'), salt, 64, { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r });
  return { encryption: derived.subarray(0, 32), check: derived.subarray(32) };
}

const keyCheck = (keys: Keys, headerBody: Buffer) => crypto.createHmac('sha256', keys.check).update('anthropy-works backup key check').update(headerBody).digest();

function nonce(prefix: Buffer, counter: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0);
  n.writeUInt32BE(counter, NONCE_PREFIX_BYTES);
  n[11] = last ? 1 : 0;
  return n;
}

/** Refuses a passphrase too short to protect the secrets' keys (one sentence, never the passphrase). */
export function assertPassphraseStrongEnough(passphrase: string): void {
  if (passphrase.length === 0) throw new WrongPassphraseError('The backup passphrase is empty: set BACKUP_PASSPHRASE or type one when asked.');
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) {
    throw new WrongPassphraseError(`The backup passphrase is too short: use at least ${MIN_PASSPHRASE_LENGTH} characters (a few random words are fine).`);
  }
}

/** A stream that encrypts what is written to it into an archive (header first). */
export async function encryptingStream(passphrase: string, cost: ScryptCost = DEFAULT_COST): Promise<Transform> {
  assertPassphraseStrongEnough(passphrase);
  const salt = crypto.randomBytes(SALT_BYTES);
  const prefix = crypto.randomBytes(NONCE_PREFIX_BYTES);
  const body = Buffer.concat([MAGIC, Buffer.from([FORMAT_VERSION, KDF_SCRYPT, cost.log2N, cost.r, cost.p]), salt, prefix]);
  const keys = await deriveKeys(passphrase, salt, cost);
  const header = Buffer.concat([body, keyCheck(keys, body)]);
  let counter = 0;
  let pending = Buffer.alloc(0);
  const seal = (plain: Buffer, last: boolean) => {
    const cipher = crypto.createCipheriv('aes-256-gcm', keys.encryption, nonce(prefix, counter++, last));
    cipher.setAAD(header);
    return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  };
  let headerSent = false;
  const sendHeader = (stream: Transform) => {
    if (!headerSent) stream.push(header);
    headerSent = true;
  };
  return new TransformStream({
    transform(data: Buffer, _encoding, done) {
      sendHeader(this);
      pending = Buffer.concat([pending, data]);
      // A full chunk is sealed as "not last" only once more bytes follow it.
      while (pending.length > CHUNK_BYTES) {
        this.push(seal(pending.subarray(0, CHUNK_BYTES), false));
        pending = pending.subarray(CHUNK_BYTES);
      }
      done();
    },
    flush(done) {
      sendHeader(this);
      this.push(seal(pending, true));
      done();
    },
  });
}

/** The header's cost and salt; refuses a file that is not an archive of this format. */
function parseHeader(header: Buffer) {
  if (header.length < HEADER_BYTES || !header.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new DamagedArchiveError('This file is not an Anthropy Works backup archive (it does not start like one).');
  }
  let at = MAGIC.length;
  const version = header[at++]!;
  const kdf = header[at++]!;
  if (version !== FORMAT_VERSION || kdf !== KDF_SCRYPT) {
    throw new DamagedArchiveError(
      `This backup archive has format ${version} (key derivation ${kdf}); this release reads format ${FORMAT_VERSION}: restore it with the release that made it.`,
    );
  }
  const cost: ScryptCost = { log2N: header[at++]!, r: header[at++]!, p: header[at++]! };
  if (cost.log2N < 10 || cost.log2N > 22 || cost.r < 1 || cost.r > 32 || cost.p < 1 || cost.p > 16)
    throw new DamagedArchiveError("This backup archive's header is damaged (its key-derivation cost is out of range).");
  const salt = header.subarray(at, at + SALT_BYTES);
  const prefix = header.subarray(at + SALT_BYTES, at + SALT_BYTES + NONCE_PREFIX_BYTES);
  return { cost, salt, prefix, body: header.subarray(0, HEADER_BODY_BYTES), check: header.subarray(HEADER_BODY_BYTES, HEADER_BYTES) };
}

/**
 * A stream that takes an archive and gives back what was encrypted, chunk by chunk, each one only after
 * it authenticated. It fails with WrongPassphraseError before any output when the passphrase is wrong,
 * and with DamagedArchiveError at the first chunk that does not authenticate (or when the end is missing).
 */
export function decryptingStream(passphrase: string): Transform {
  let input = Buffer.alloc(0);
  let header: Buffer | undefined;
  let keys: Keys | undefined;
  let prefix: Buffer;
  let counter = 0;
  const open = (frame: Buffer, last: boolean) => {
    const decipher = crypto.createDecipheriv('aes-256-gcm', keys!.encryption, nonce(prefix, counter++, last));
    decipher.setAAD(header!);
    decipher.setAuthTag(frame.subarray(frame.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(frame.subarray(0, frame.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new DamagedArchiveError(
        `This backup archive was changed or damaged: its part at byte ${HEADER_BYTES + (counter - 1) * FRAME_BYTES} does not authenticate. Nothing was restored.`,
      );
    }
  };
  const openHeader = async () => {
    header = input.subarray(0, HEADER_BYTES);
    input = input.subarray(HEADER_BYTES);
    const parsed = parseHeader(header);
    prefix = parsed.prefix;
    keys = await deriveKeys(passphrase, parsed.salt, parsed.cost);
    if (!crypto.timingSafeEqual(keyCheck(keys, parsed.body), parsed.check)) {
      throw new WrongPassphraseError('The passphrase does not open this backup archive (or its header was changed). Nothing was restored.');
    }
  };
  return new TransformStream({
    transform(data: Buffer, _encoding, done) {
      input = Buffer.concat([input, data]);
      (async () => {
        if (!keys) {
          if (input.length < HEADER_BYTES) return;
          await openHeader();
        }
        // Keep the last frame back: only the end of the file says it is the last one.
        while (input.length > FRAME_BYTES) {
          this.push(open(input.subarray(0, FRAME_BYTES), false));
          input = input.subarray(FRAME_BYTES);
        }
      })().then(() => done(), done);
    },
    flush(done) {
      (async () => {
        if (!keys) {
          if (input.length < HEADER_BYTES) throw new DamagedArchiveError('This file is not an Anthropy Works backup archive (it is shorter than its header).');
          await openHeader();
        }
        if (input.length < TAG_BYTES) throw new DamagedArchiveError('This backup archive is truncated: its end is missing. Nothing was restored.');
        const last = open(input, true);
        this.push(last);
      })().then(() => done(), done);
    },
  });
}
