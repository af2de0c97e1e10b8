// How every secret we hand out is stored: session secrets, API tokens, invitation links, enrollment
// tokens and recovery codes are kept only as their SHA-256, so the database never holds one that works.
// They are random, not chosen by people, so a fast hash is enough; passwords use Argon2id (db/users.ts).
import crypto from 'node:crypto';

/** The SHA-256 of a token, in lower-case hex, as the database stores and looks it up. */
export const hashToken = (token: string): string => crypto.createHash('sha256').update(token).digest('hex');
