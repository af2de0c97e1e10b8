import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { asc, eq } from 'drizzle-orm';
import { auditEvents } from '../../db/schema.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { createLogger } from '../logger.ts';
import { AUDIT_ACTION, MAX_EVENTS_PER_WINDOW, REFUSAL_WINDOW_MS, RefusalAudit, type Refusal } from './refusals.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => {
  await t?.close();
});

const agent = { nodeId: '11111111-1111-4111-8111-111111111111', nodeName: 'edge-1', organizationId: '22222222-2222-4222-8222-222222222222' };
const refusal = (over: Partial<Refusal> = {}): Refusal => ({
  agent,
  peer: 'ipv4:10.0.0.9:5000',
  method: '/x/ListWorkflowExecutions',
  status: 'PERMISSION_DENIED',
  reason: 'not allowed',
  ...over,
});
const events = () => t.db.select().from(auditEvents).where(eq(auditEvents.action, AUDIT_ACTION)).orderBy(asc(auditEvents.id));

describe('RefusalAudit', () => {
  it('records one event per caller, method and reason per window, and the next one says how many it held back', async () => {
    let now = 1_000_000;
    const audit = new RefusalAudit(t.db, createLogger('test', 'silent'), () => now);
    for (let i = 0; i < 5; i++) await audit.record(refusal());
    await audit.record(refusal({ method: '/x/StartWorkflowExecution' }));
    await audit.record(refusal({ agent: undefined, status: 'UNAUTHENTICATED', reason: 'unknown credential' }));
    expect((await events()).length).toBe(3);
    now += REFUSAL_WINDOW_MS;
    await audit.record(refusal());
    const all = await events();
    expect(all.length).toBe(4);
    expect(all[3]).toMatchObject({ actorId: agent.nodeId, reason: 'not allowed', details: expect.objectContaining({ refusedSinceLastEvent: 4 }) });
    expect(all[2]).toMatchObject({ actorId: null, actorLabel: 'unknown agent at ipv4:10.0.0.9:5000', organizationId: null });
  });

  it('records at most its limit of events in a window in all', async () => {
    const before = (await events()).length;
    const audit = new RefusalAudit(t.db, createLogger('test', 'silent'), () => 5_000_000);
    for (let i = 0; i < MAX_EVENTS_PER_WINDOW + 20; i++) await audit.record(refusal({ agent: undefined, peer: `ipv4:10.0.1.${i}:1` }));
    expect((await events()).length - before).toBe(MAX_EVENTS_PER_WINDOW);
  });
});
