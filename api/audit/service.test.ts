import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { count } from 'drizzle-orm';
import { recordAudit, type AuditInput } from '../../db/audit.ts';
import { auditEvents } from '../../db/schema.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { seedTenants, type Tenants } from '../../tests/jest/tenants.ts';
import type { Actor } from '../authz.ts';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../errors.ts';
import { encodeCursor } from '../pagination.ts';
import { listAuditEvents, type AuditEventOutput } from './service.ts';

let t: TestDatabase;
let acme: { id: string };
let globex: { id: string };
let between: { afterFirstBatch: string; afterSecondBatch: string };
let actors: Tenants['actors'];
let ctx: Tenants['ctx'];

const event = (input: Partial<AuditInput> & Pick<AuditInput, 'action'>) =>
  recordAudit(t.db, { actorType: 'person', actorLabel: 'someone@example.com', outcome: 'success', ...input });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const auditCount = async () => (await t.db.select({ n: count() }).from(auditEvents))[0]!.n;

/** Every page of a query, newest first. */
async function allPages(actor: Actor, query: Record<string, unknown>, between?: (page: number) => Promise<void>): Promise<AuditEventOutput[]> {
  const out: AuditEventOutput[] = [];
  let cursor: string | undefined;
  let page = 0;
  do {
    const result = await listAuditEvents(ctx(actor), { ...query, cursor });
    out.push(...result.items);
    cursor = result.nextCursor ?? undefined;
    await between?.(page++);
  } while (cursor);
  return out;
}

beforeAll(async () => {
  t = await freshDatabase();
  ({ acme, globex, actors, ctx } = await seedTenants(t.db, { acmeAdmin: 'alice@acme.test', acmeUser: 'bob@acme.test', globexAdmin: 'gina@globex.test' }));

  // First batch.
  await event({ action: 'auth.sign_in', actorLabel: 'alice@acme.test', organizationId: acme.id });
  await event({ action: 'auth.sign_in', actorLabel: 'gina@globex.test', organizationId: globex.id });
  await event({ action: 'auth.sign_in_failed', actorLabel: 'mallory@evil.test', outcome: 'failure', reason: 'wrong password' });
  await sleep(25);
  between = { afterFirstBatch: new Date().toISOString(), afterSecondBatch: '' };
  await sleep(25);
  // Second batch.
  await event({ action: 'node.create', actorLabel: 'alice@acme.test (API token)', actorType: 'api_token', organizationId: acme.id, targetType: 'node', targetId: 'n1' });
  await event({ action: 'node.create', actorLabel: 'operator@msp.test', organizationId: globex.id, outcome: 'denied', reason: 'no' });
  await event({ action: 'authentication.odd', actorLabel: 'odd_label%@acme.test', organizationId: acme.id });
  await sleep(25);
  between.afterSecondBatch = new Date().toISOString();
  await sleep(25);
  for (let i = 0; i < 9; i++) await event({ action: `bulk.event_${i % 3}`, organizationId: i % 2 ? acme.id : globex.id });
});
afterAll(async () => {
  await t.close();
});

describe('audit events service', () => {
  it('lists every event for MSP staff, newest first, with ISO times and all fields', async () => {
    const events = await allPages(actors.operator, { limit: 200 });
    expect(events).toHaveLength(await auditCount());
    const ids = events.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const failed = events.find((e) => e.action === 'auth.sign_in_failed')!;
    expect(failed).toEqual({
      id: expect.any(Number),
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      actorType: 'person',
      actorLabel: 'mallory@evil.test',
      organizationId: null,
      action: 'auth.sign_in_failed',
      targetType: null,
      targetId: null,
      outcome: 'failure',
      reason: 'wrong password',
      details: {},
    });
  });

  it('filters by actor (a part of the label, ignoring case, taken literally)', async () => {
    const alice = await listAuditEvents(ctx(actors.admin), { actor: 'ALICE@acme' });
    expect(alice.items.map((e) => e.actorLabel).sort()).toEqual(['alice@acme.test', 'alice@acme.test (API token)']);
    expect((await listAuditEvents(ctx(actors.admin), { actor: '(api token)' })).items.map((e) => e.actorLabel)).toEqual(['alice@acme.test (API token)']);
    // % and _ are not wildcards.
    expect((await listAuditEvents(ctx(actors.admin), { actor: '_label%' })).items.map((e) => e.actorLabel)).toEqual(['odd_label%@acme.test']);
    expect((await listAuditEvents(ctx(actors.admin), { actor: 'a%e' })).items).toEqual([]);
    expect((await listAuditEvents(ctx(actors.admin), { actor: '' })).items.length).toBeGreaterThan(10);
  });

  it('filters by action, exactly or by a prefix ending in *', async () => {
    const exact = await listAuditEvents(ctx(actors.admin), { action: 'auth.sign_in' });
    expect(exact.items.map((e) => e.action)).toEqual(['auth.sign_in', 'auth.sign_in']);
    const prefix = await listAuditEvents(ctx(actors.admin), { action: 'auth.*' });
    expect(prefix.items.map((e) => e.action).sort()).toEqual(['auth.sign_in', 'auth.sign_in', 'auth.sign_in_failed']);
    // The prefix is literal: "auth.*" does not match "authentication.odd", "auth*" does.
    expect((await listAuditEvents(ctx(actors.admin), { action: 'auth*' })).items.map((e) => e.action)).toContain('authentication.odd');
    expect((await listAuditEvents(ctx(actors.admin), { action: 'auth' })).items).toEqual([]);
    expect((await listAuditEvents(ctx(actors.admin), { action: 'bulk.event_1' })).items).toHaveLength(3);
  });

  it('filters by outcome, organization and time, combined', async () => {
    const denied = await listAuditEvents(ctx(actors.admin), { outcome: 'denied' });
    expect(denied.items.map((e) => [e.action, e.reason])).toEqual([['node.create', 'no']]);
    const globexEvents = await allPages(actors.admin, { organizationId: globex.id, limit: 200 });
    expect(globexEvents.length).toBeGreaterThan(0);
    expect(globexEvents.every((e) => e.organizationId === globex.id)).toBe(true);

    const second = await listAuditEvents(ctx(actors.admin), { from: between.afterFirstBatch, to: between.afterSecondBatch });
    expect(second.items.map((e) => e.action).sort()).toEqual(['authentication.odd', 'node.create', 'node.create']);
    const beforeBoth = await listAuditEvents(ctx(actors.admin), { to: between.afterFirstBatch, action: 'auth.*' });
    expect(beforeBoth.items).toHaveLength(3);
    const after = await listAuditEvents(ctx(actors.admin), { from: between.afterSecondBatch, limit: 200 });
    expect(after.items.map((e) => e.action).every((a) => a.startsWith('bulk.'))).toBe(true);
    expect(after.items).toHaveLength(9);
    // A time with an offset means the same instant.
    const offset = new Date(between.afterSecondBatch).toISOString().replace('Z', '+00:00');
    expect((await listAuditEvents(ctx(actors.admin), { from: offset, limit: 200 })).items).toHaveLength(9);
    const combined = await listAuditEvents(ctx(actors.admin), { organizationId: acme.id, action: 'node.*', actor: 'alice', from: between.afterFirstBatch });
    expect(combined.items.map((e) => e.actorLabel)).toEqual(['alice@acme.test (API token)']);
  });

  it('shows a company admin only their own organization’s events; another organization does not exist for them', async () => {
    const own = await allPages(actors.acmeAdmin, { limit: 200 });
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((e) => e.organizationId === acme.id)).toBe(true);
    // Events of no organization (e.g. a failed sign-in of an unknown email) are MSP staff's only.
    expect(own.some((e) => e.action === 'auth.sign_in_failed')).toBe(false);
    expect((await listAuditEvents(ctx(actors.acmeAdmin), { organizationId: acme.id, limit: 200 })).items).toEqual(own);
    const ownCount = own.length;
    await expect(listAuditEvents(ctx(actors.acmeAdmin), { organizationId: globex.id })).rejects.toBeInstanceOf(NotFoundError);
    await expect(listAuditEvents(ctx(actors.globexAdmin), { actor: 'alice' })).resolves.toEqual({ items: [], nextCursor: null });
    await expect(listAuditEvents(ctx(actors.acmeUser), {})).rejects.toBeInstanceOf(ForbiddenError);
    // The refusals were recorded: the forbidden one in the person's organization; the probe of another
    // organization without one, so only MSP staff see it (a company admin must not learn it exists).
    const afterwards = await allPages(actors.acmeAdmin, { outcome: 'denied', limit: 200 });
    expect(afterwards.map((e) => [e.action, e.actorLabel, e.reason])).toEqual([['audit.view', 'bob@acme.test', 'role company_user may not audit.view']]);
    expect((await allPages(actors.acmeAdmin, { limit: 200 })).length).toBe(ownCount + 1);
    const probes = await allPages(actors.admin, { outcome: 'denied', actor: 'alice', limit: 200 });
    expect(probes.map((e) => [e.action, e.organizationId, e.reason])).toEqual([['audit.view', null, 'record of another organization']]);
  });

  it('does not audit reading the audit trail', async () => {
    const before = await auditCount();
    await listAuditEvents(ctx(actors.admin), {});
    await listAuditEvents(ctx(actors.acmeAdmin), { action: 'auth.*' });
    expect(await auditCount()).toBe(before);
  });

  it('pages with a cursor: every event exactly once across pages, even while new events arrive', async () => {
    const total = await auditCount();
    let inserted = 0;
    const seen = await allPages(actors.admin, { limit: 4 }, async () => {
      inserted += 1;
      await event({ action: 'paging.concurrent' });
    });
    expect(seen).toHaveLength(total);
    expect(new Set(seen.map((e) => e.id)).size).toBe(total);
    expect(seen.some((e) => e.action === 'paging.concurrent')).toBe(false);
    expect(inserted).toBe(Math.ceil(total / 4));
    // The same with a filter: each matching event once.
    const bulk = await allPages(actors.admin, { action: 'bulk.*', limit: 2 });
    expect(bulk).toHaveLength(9);
    expect(new Set(bulk.map((e) => e.id)).size).toBe(9);
  });

  it('refuses a bad cursor and bad filters with a 400 naming the field', async () => {
    const refusal = async (query: Record<string, unknown>) => {
      const err = await listAuditEvents(ctx(actors.admin), query).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).status).toBe(400);
      return Object.keys((err as InvalidInputError).fieldErrors);
    };
    expect(await refusal({ cursor: 'garbage' })).toEqual(['cursor']);
    expect(await refusal({ cursor: encodeCursor({ at: new Date().toISOString(), id: 'not-a-number' }) })).toEqual(['cursor']);
    expect(await refusal({ cursor: encodeCursor({ at: new Date().toISOString(), id: '00000000-0000-4000-8000-000000000000' }) })).toEqual(['cursor']);
    expect(await refusal({ outcome: 'maybe' })).toEqual(['outcome']);
    expect(await refusal({ from: 'yesterday' })).toEqual(['from']);
    expect(await refusal({ to: '2026-01-31T09:00' })).toEqual(['to']);
    expect(await refusal({ from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' })).toEqual(['to']);
    expect(await refusal({ action: 'auth*.x' })).toEqual(['action']);
    expect(await refusal({ organizationId: 'acme' })).toEqual(['organizationId']);
    expect(await refusal({ limit: 0 })).toEqual(['limit']);
  });
});
