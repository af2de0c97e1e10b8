// Per-organization data keys against a real database: sealing, the binding to organization and record,
// the startup check, and a rotation while "old" processes keep working, then its finish.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from 'drizzle-orm';
import { organizationDataKeys, users } from '../../db/schema.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { seedTenants, type Tenants } from '../../tests/jest/tenants.ts';
import { generateSecretsKey, seal } from '../secret-box.ts';
import { localKek } from './kek.ts';
import { finishRotation, rewrapDataKeys } from './rotate.ts';
import { openSecret, sealSecret } from './sealed.ts';
import { assertKekMatches, KekMismatchError } from './startup-check.ts';
import { moveTotpKeys } from './totp-keys.ts';
import { SecretUnavailableError } from './data-keys.ts';

let t: TestDatabase;
let w: Tenants;
const oldKey = generateSecretsKey();
const newKey = generateSecretsKey();
const oldKek = localKek(oldKey);
const newKek = localKek(newKey);

beforeAll(async () => {
  t = await freshDatabase();
  w = await seedTenants(t.db);
});
afterAll(() => t.close());

const acmeRecord = { organizationId: '', record: 'connection:one' };

describe('sealed secrets', () => {
  it('seal under the organization’s own data key, stored only wrapped, the key id in the ciphertext', async () => {
    acmeRecord.organizationId = w.acme.id;
    const sealed = await sealSecret(t.db, oldKek, acmeRecord, 'the-secret-value');
    const [key] = await t.db.select().from(organizationDataKeys).where(eq(organizationDataKeys.organizationId, w.acme.id));
    expect(sealed.split('.')[1]).toBe(key!.id);
    expect(sealed).not.toContain('the-secret-value');
    expect(key!.kekFingerprint).toBe(oldKek.fingerprint);
    expect(await openSecret(t.db, oldKek, acmeRecord, sealed)).toBe('the-secret-value');
    // A second secret of the organization uses the same key; another organization gets its own.
    expect((await sealSecret(t.db, oldKek, { ...acmeRecord, record: 'connection:two' }, 'x')).split('.')[1]).toBe(key!.id);
    expect((await sealSecret(t.db, oldKek, { organizationId: w.globex.id, record: 'connection:g' }, 'x')).split('.')[1]).not.toBe(key!.id);
  });

  it('do not open on another record, in another organization, or with another KEK', async () => {
    const sealed = await sealSecret(t.db, oldKek, acmeRecord, 'the-secret-value');
    await expect(openSecret(t.db, oldKek, { ...acmeRecord, record: 'connection:two' }, sealed)).rejects.toThrow(SecretUnavailableError);
    await expect(openSecret(t.db, oldKek, { organizationId: w.globex.id, record: acmeRecord.record }, sealed)).rejects.toThrow(
      "the data key it was sealed with is not the organization's",
    );
    await expect(openSecret(t.db, localKek(generateSecretsKey()), acmeRecord, sealed)).rejects.toThrow('wrapped under another key-encryption key');
  });

  it('refuse a wrapped data key copied to another organization’s row', async () => {
    const [acme] = await t.db.select().from(organizationDataKeys).where(eq(organizationDataKeys.organizationId, w.acme.id));
    const [globex] = await t.db.select().from(organizationDataKeys).where(eq(organizationDataKeys.organizationId, w.globex.id));
    const globexSecret = await sealSecret(t.db, oldKek, { organizationId: w.globex.id, record: 'connection:g' }, 'globex');
    await t.db.update(organizationDataKeys).set({ wrappedKey: acme!.wrappedKey }).where(eq(organizationDataKeys.id, globex!.id));
    await expect(openSecret(t.db, localKek(oldKey), { organizationId: w.globex.id, record: 'connection:g' }, globexSecret)).rejects.toThrow('does not unwrap');
    await t.db.update(organizationDataKeys).set({ wrappedKey: globex!.wrappedKey }).where(eq(organizationDataKeys.id, globex!.id));
  });
});

describe('the startup check and a rotation', () => {
  it('refuses a KEK that wrapped nothing, naming both fingerprints', async () => {
    await expect(assertKekMatches(t.db, oldKek)).resolves.toBeUndefined();
    const other = localKek(generateSecretsKey());
    const refused = await assertKekMatches(t.db, other).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KekMismatchError);
    expect((refused as Error).message).toContain(`SECRETS_KEY has ${other.fingerprint}`);
    expect((refused as Error).message).toContain(oldKek.fingerprint);
    expect((refused as Error).message).not.toContain(oldKey);
  });

  it('re-wraps every data key online (both KEKs open meanwhile), is idempotent, then finishes', async () => {
    const sealed = await sealSecret(t.db, oldKek, acmeRecord, 'survives rotation');
    // A TOTP key sealed with SECRETS_KEY itself moves under the data key, so the new KEK opens it too.
    const totp = seal(new Uint8Array([7, 7, 7]), `totp:${w.actors.acmeAdmin.userId}`, oldKey);
    await t.db.update(users).set({ totpKeyEncrypted: totp }).where(eq(users.id, w.actors.acmeAdmin.userId));
    expect(await moveTotpKeys(t.db, oldKey, newKey)).toEqual({ moved: 1, unreadable: 0 });
    expect(await moveTotpKeys(t.db, oldKey, newKey)).toEqual({ moved: 0, unreadable: 0 });

    const first = await rewrapDataKeys(t.db, oldKek, newKek);
    expect(first).toEqual({ rewrapped: 2, alreadyRewrapped: 0, total: 2 });
    expect(await rewrapDataKeys(t.db, oldKek, newKek)).toEqual({ rewrapped: 0, alreadyRewrapped: 2, total: 2 });
    // Processes still on the old KEK and restarted ones on the new KEK both open the secret and start.
    expect(await openSecret(t.db, localKek(oldKey), acmeRecord, sealed)).toBe('survives rotation');
    expect(await openSecret(t.db, localKek(newKey), acmeRecord, sealed)).toBe('survives rotation');
    await expect(assertKekMatches(t.db, oldKek)).resolves.toBeUndefined();
    await expect(assertKekMatches(t.db, newKek)).resolves.toBeUndefined();

    await expect(finishRotation(t.db, oldKek)).rejects.toThrow('not wrapped by SECRETS_KEY yet');
    expect(await finishRotation(t.db, newKek)).toEqual({ dropped: 2 });
    await expect(assertKekMatches(t.db, oldKek)).rejects.toThrow(KekMismatchError);
    expect(await openSecret(t.db, localKek(newKey), acmeRecord, sealed)).toBe('survives rotation');
    const [user] = await t.db.select().from(users).where(eq(users.id, w.actors.acmeAdmin.userId));
    const moved = await openSecret(t.db, localKek(newKey), { organizationId: w.acme.id, record: `totp:${w.actors.acmeAdmin.userId}` }, user!.totpKeyEncrypted!);
    expect([...Buffer.from(moved, 'base64')]).toEqual([7, 7, 7]);
  });
});
