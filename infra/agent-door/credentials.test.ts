import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from 'drizzle-orm';
import { hashToken } from '../../api/auth/token-hash.ts';
import { nodes, organizations } from '../../db/schema.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { CredentialCheck } from './credentials.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => {
  await t?.close();
});

describe('CredentialCheck', () => {
  it('answers many credentials at once as it answers each alone, and reuses those verdicts', async () => {
    const [org] = await t.db.insert(organizations).values({ name: 'Door check', kind: 'customer' }).returning();
    const [live] = await t.db
      .insert(nodes)
      .values({ organizationId: org!.id, name: 'live', agentCredentialHash: hashToken('awagt_live') })
      .returning();
    const [gone] = await t.db
      .insert(nodes)
      .values({ organizationId: org!.id, name: 'gone', agentCredentialHash: hashToken('awagt_gone'), revokedAt: new Date() })
      .returning();
    let now = 1_000_000;
    const check = new CredentialCheck(t.db, 1000, () => now);

    const all = check.verifyAll(['awagt_live', 'awagt_gone', 'awagt_unknown', 'awagt_live']);
    expect(all.size).toBe(3);
    const agentOf = (n: typeof live) => ({ nodeId: n!.id, nodeName: n!.name, organizationId: org!.id });
    expect(await all.get('awagt_live')).toEqual({ ok: true, agent: agentOf(live) });
    expect(await all.get('awagt_gone')).toEqual({ ok: false, refusal: 'revoked', agent: agentOf(gone) });
    expect(await all.get('awagt_unknown')).toEqual({ ok: false, refusal: 'unknown' });
    // Each alone: the same verdicts.
    const alone = new CredentialCheck(t.db);
    expect(await alone.verify('awagt_live')).toEqual(await all.get('awagt_live'));
    expect(await alone.verify('awagt_gone')).toEqual(await all.get('awagt_gone'));

    // Within the reuse window the verdict is the one already looked up; after it, a fresh one from Postgres.
    expect(check.verify('awagt_live')).toBe(all.get('awagt_live'));
    await t.db.update(nodes).set({ revokedAt: new Date() }).where(eq(nodes.id, live!.id));
    now += 1000;
    expect(await check.verifyAll(['awagt_live']).get('awagt_live')).toMatchObject({ ok: false, refusal: 'revoked' });
  });
});
