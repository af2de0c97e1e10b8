import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { asc, sql } from 'drizzle-orm';
import { freshDatabase, type TestDatabase } from '../tests/jest/db.ts';
import { recordAudit, verifyAuditChain } from './audit.ts';
import { auditEvents } from './schema.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => {
  await t.close();
});

const event = (action: string, extra: Partial<Parameters<typeof recordAudit>[1]> = {}) =>
  recordAudit(t.db, { actorType: 'person', actorLabel: 'ops@example.com', action, outcome: 'success', ...extra });

describe('audit trail (real PostgreSQL)', () => {
  it('chains events by hash, and the chain verifies', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) => event(`test.concurrent.${i}`)));
    const rows = await t.db.select().from(auditEvents).orderBy(asc(auditEvents.id));
    expect(rows).toHaveLength(10);
    rows.slice(1).forEach((row, i) => expect(row.prevHash).toBe(rows[i]!.hash));
    expect(await verifyAuditChain(t.db)).toEqual({ ok: true, checked: 10 });
  });

  it('redacts secrets before storing them', async () => {
    await event('test.secrets', { reason: 'upstream said Bearer abcdefghijkl', details: { token: 'tok-123456', nested: { password: 'pw-999' }, node: 'n1' } });
    const [row] = await t.db
      .select()
      .from(auditEvents)
      .where(sql`action = 'test.secrets'`);
    expect(JSON.stringify(row)).not.toMatch(/abcdefghijkl|tok-123456|pw-999/);
    expect(row!.details).toEqual({ token: '[REDACTED]', nested: { password: '[REDACTED]' }, node: 'n1' });
  });

  it('stores any string, a lone surrogate or a NUL included, as U+FFFD, and the chain still verifies', async () => {
    await event('test.odd_text', { actorLabel: 'x\ud800y', reason: 'r\u0000', targetId: '\udc00', details: { name: 'x\ud800y', ['k\udfff']: ['\u0000', { deep: 'a\ud83d' }] } });
    const [row] = await t.db
      .select()
      .from(auditEvents)
      .where(sql`action = 'test.odd_text'`);
    expect(row).toMatchObject({ actorLabel: 'x\ufffdy', reason: 'r\ufffd', targetId: '\ufffd', details: { name: 'x\ufffdy', ['k\ufffd']: ['\ufffd', { deep: 'a\ufffd' }] } });
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true });
  });

  it('refuses UPDATE, DELETE and TRUNCATE in the database itself', async () => {
    // Drizzle wraps the driver's error; the trigger's message is on its cause.
    const refusal = (query: ReturnType<typeof sql>) =>
      t.db.execute(query).then(
        () => 'accepted',
        (e: Error) => String((e.cause as Error)?.message),
      );
    expect(await refusal(sql`update audit_events set reason = 'x'`)).toMatch(/append-only: UPDATE/);
    expect(await refusal(sql`delete from audit_events`)).toMatch(/append-only: DELETE/);
    expect(await refusal(sql`truncate audit_events`)).toMatch(/append-only: TRUNCATE/);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true });
  });

  it('names the exact event that was altered or removed behind the trigger', async () => {
    const rows = await t.db.select().from(auditEvents).orderBy(asc(auditEvents.id));
    const victim = rows[4]!;
    // A superuser can switch the trigger off; the hash chain still tells.
    await t.db.transaction(async (tx) => {
      await tx.execute(sql`alter table audit_events disable trigger audit_events_no_update_delete`);
      await tx.execute(sql`update audit_events set outcome = 'denied' where id = ${victim.id}`);
      await tx.execute(sql`alter table audit_events enable trigger audit_events_no_update_delete`);
    });
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: false, eventId: victim.id, checked: 4, problem: expect.stringContaining('changed') });

    await t.db.transaction(async (tx) => {
      await tx.execute(sql`alter table audit_events disable trigger audit_events_no_update_delete`);
      await tx.execute(sql`update audit_events set outcome = ${victim.outcome} where id = ${victim.id}`);
      await tx.execute(sql`delete from audit_events where id = ${rows[7]!.id}`);
      await tx.execute(sql`alter table audit_events enable trigger audit_events_no_update_delete`);
    });
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: false, eventId: rows[8]!.id, problem: expect.stringContaining('removed') });
  });
});
