// The customer report against real PostgreSQL records: uptime from audited health checks (written with the
// times they happened, chained like any event), scope (only the organization's own records), who may see
// it, bad input naming its field, and share links (only a hash stored, revocation and expiry, audited).
import { beforeAll, describe, expect, it } from '@jest/globals';
import { and, asc, eq, sql } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.ts';
import { auditEvents, instances, jobs, nodes, organizations, reportShareLinks } from '../../db/schema.ts';
import type { TestDatabase } from '../../tests/jest/db.ts';
import { tenantsForFile } from '../../tests/jest/tenants-for-file.ts';
import { failure, type Tenants } from '../../tests/jest/tenants.ts';
import { hashToken } from '../auth/token-hash.ts';
import type { InvalidInputError } from '../errors.ts';
import { ForbiddenError, NotFoundError, PolicyBlockedError } from '../errors.ts';
import { enforcePolicy } from '../policy/service.ts';
import { periodOf, startOfDay } from './period.ts';
import { getOrganizationReport } from './service.ts';
import type { ShareLinkError } from './share-links.ts';
import { createShareLink, listShareLinks, openSharedReport, revokeShareLink } from './share-links.ts';

let t: TestDatabase;
let w: Tenants;
tenantsForFile((db, tenants) => {
  t = db;
  w = { ...tenants };
});

const at = (iso: string) => new Date(iso);
/** An audit event as the product records it, at a chosen time in the past. */
const auditAt = (
  at: Date,
  e: { action: string; targetType: string; targetId: string; organizationId: string; outcome: 'success' | 'failure'; details?: Record<string, unknown> },
) => recordAudit(t.db, { at, actorType: 'workflow', actorId: 'report-test', actorLabel: 'check_openclaw_health', ...e });

let acmeNode: string, acmeSteady: string, acmeFlaky: string, globexNode: string, globexInstance: string;
const NOW = at('2026-11-20T12:00:00Z');
const NOVEMBER_1_TO_10 = { from: '2026-11-01', to: '2026-11-10' };

beforeAll(async () => {
  const long = at('2026-10-01T00:00:00Z');
  const node = async (organizationId: string, name: string) => (await t.db.insert(nodes).values({ organizationId, name, status: 'online', createdAt: long }).returning())[0]!.id;
  acmeNode = await node(w.acme.id, 'acme-edge');
  globexNode = await node(w.globex.id, 'globex-secret-node');
  const instance = async (organizationId: string, nodeId: string, name: string) =>
    (await t.db.insert(instances).values({ organizationId, nodeId, name, state: 'managed', bundleVersion: '1.0.0', createdAt: long }).returning())[0]!.id;
  acmeFlaky = await instance(w.acme.id, acmeNode, 'acme-flaky');
  acmeSteady = await instance(w.acme.id, acmeNode, 'acme-steady');
  globexInstance = await instance(w.globex.id, globexNode, 'globex-gateway');
  const health = (id: string, org: string, when: string, healthy: boolean) =>
    auditAt(at(when), { action: 'instance.health', targetType: 'instance', targetId: id, organizationId: org, outcome: healthy ? 'success' : 'failure', details: { healthy } });
  // acme-flaky: never checked before 3 November, then healthy, unhealthy for half a day, healthy again.
  await health(acmeFlaky, w.acme.id, '2026-11-03T00:00:00Z', true);
  await health(acmeFlaky, w.acme.id, '2026-11-05T12:00:00Z', false);
  await health(acmeFlaky, w.acme.id, '2026-11-06T00:00:00Z', true);
  await health(acmeFlaky, w.acme.id, '2026-11-15T00:00:00Z', false); // after the period: not counted
  // acme-steady: checked unhealthy in October (before the period), healthy from 9 November.
  await health(acmeSteady, w.acme.id, '2026-10-20T00:00:00Z', false);
  await health(acmeSteady, w.acme.id, '2026-11-09T00:00:00Z', true);
  await health(globexInstance, w.globex.id, '2026-11-02T00:00:00Z', true);
  // The node: online from 1 November 06:00 (unknown before), offline for a day from 4 November.
  const status = (id: string, org: string, when: string, from: string, to: string) =>
    auditAt(at(when), { action: 'node.status', targetType: 'node', targetId: id, organizationId: org, outcome: 'success', details: { from, to } });
  await status(acmeNode, w.acme.id, '2026-11-01T06:00:00Z', 'pending', 'online');
  await status(acmeNode, w.acme.id, '2026-11-04T00:00:00Z', 'online', 'offline');
  await status(acmeNode, w.acme.id, '2026-11-05T00:00:00Z', 'offline', 'online');
});

describe('uptime from the health history', () => {
  it('is the share of the period the last known health was healthy; before the first check it is unknown', async () => {
    const report = await getOrganizationReport(w.ctx(w.actors.admin), w.acme.id, NOVEMBER_1_TO_10, NOW);
    const flaky = report.instances.find((i) => i.name === 'acme-flaky')!;
    // 10 days: 2 unknown, 2.5 + 5 healthy, 0.5 unhealthy.
    expect(flaky).toMatchObject({ uptime: 0.75, unhealthy: 0.05, unknown: 0.2, checks: 3, countedMs: 10 * 86_400_000 });
    expect(flaky.lastCheck).toEqual({ at: '2026-11-06T00:00:00.000Z', healthy: true });
    // The check before the period says how it started: unhealthy for 8 days, healthy for 2.
    const steady = report.instances.find((i) => i.name === 'acme-steady')!;
    expect(steady).toMatchObject({ uptime: 0.2, unhealthy: 0.8, unknown: 0, checks: 1 });
    // The node: 6 hours unknown, 1 day offline, the rest online.
    const node = report.nodes.find((n) => n.name === 'acme-edge')!;
    expect(node.unknown).toBeCloseTo(0.25 / 10, 10);
    expect(node.notOnline).toBeCloseTo(1 / 10, 10);
    expect(node.online).toBeCloseTo(8.75 / 10, 10);
    expect(report.uptimeMethod).toMatch(/last known health was healthy/);
  });

  it('reads the days in the organization’s time zone, and does not count time still to come', async () => {
    expect(startOfDay('2026-11-01', 'Europe/Berlin').toISOString()).toBe('2026-10-31T23:00:00.000Z');
    expect(startOfDay('2026-03-29', 'Europe/Berlin').toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(startOfDay('2026-03-30', 'Europe/Berlin').toISOString()).toBe('2026-03-29T22:00:00.000Z');
    const p = periodOf({}, 'America/New_York', at('2026-11-20T03:00:00Z'));
    expect(p).toMatchObject({ from: '2026-10-21', to: '2026-11-19' }); // still the 19th in New York
    await t.db.update(organizations).set({ timeZone: 'Europe/Berlin' }).where(eq(organizations.id, w.acme.id));
    try {
      const report = await getOrganizationReport(w.ctx(w.actors.admin), w.acme.id, { from: '2026-11-19', to: '2026-11-20' }, NOW);
      expect(report.period).toMatchObject({ start: '2026-11-18T23:00:00.000Z', end: '2026-11-20T23:00:00.000Z', timeZone: 'Europe/Berlin' });
      // From 18 November 23:00 to now (20 November 12:00): 37 hours counted, unhealthy since the 15th.
      const flaky = report.instances.find((i) => i.name === 'acme-flaky')!;
      expect(flaky).toMatchObject({ countedMs: 37 * 3_600_000, uptime: 0, unhealthy: 1, checks: 0 });
    } finally {
      await t.db.update(organizations).set({ timeZone: 'UTC' }).where(eq(organizations.id, w.acme.id));
    }
  });
});

describe('the report', () => {
  it('shows only the organization’s own records', async () => {
    const job = (organizationId: string, id: string, extra: Partial<typeof jobs.$inferInsert> = {}) =>
      t.db.insert(jobs).values({ type: 'check_openclaw_health', organizationId, workflowId: `report-${id}`, state: 'completed', createdAt: at('2026-11-07T10:00:00Z'), ...extra });
    await job(w.acme.id, 'acme-1', {
      approvals: [
        { at: '2026-11-07T10:05:00.000Z', by: 'operator@msp.test', role: 'msp_operator', via: 'console', outcome: 'approved' },
        { at: '2026-11-07T10:06:00.000Z', by: 'mallory@example.com', role: 'msp_admin', via: 'signal', outcome: 'ignored' },
      ],
      params: { secretish: 'never-in-the-report' },
    });
    await job(w.globex.id, 'globex-1');
    const report = await getOrganizationReport(w.ctx(w.actors.acmeAdmin), w.acme.id, NOVEMBER_1_TO_10, NOW);
    expect(report.organization.name).toBe('Acme');
    expect(report.nodes.map((n) => n.name)).toEqual(['acme-edge']);
    expect(report.instances.map((i) => i.name)).toEqual(['acme-flaky', 'acme-steady']);
    expect(report.jobs.total).toBe(1);
    expect(report.jobs.items[0]).toMatchObject({ label: expect.any(String), state: 'completed', approvals: [{ by: 'operator@msp.test', outcome: 'approved', via: 'console' }] });
    const text = JSON.stringify(report);
    for (const foreign of ['globex', 'Globex', globexNode, globexInstance, 'never-in-the-report', 'mallory']) expect(text).not.toContain(foreign);
  });

  it('lists what the policy engine blocked by rule, once, and the audit highlights', async () => {
    const ctx = w.ctx(w.actors.acmeAdmin);
    const refused = await failure(enforcePolicy(ctx, { organizationId: w.acme.id, capabilityKey: 'google_drive', action: 'files.list' }));
    expect(refused).toBeInstanceOf(PolicyBlockedError);
    // Whichever rule refuses Google Drive in a bare catalogue (unknown capability, or no permission).
    const rule = (refused as PolicyBlockedError).rule;
    // A real run's blocked step: the trail names its job (listed once); a missing instance only the run names.
    const blockedRun = async (name: string, step: string, stepRule: string) =>
      (
        await t.db
          .insert(jobs)
          .values({
            type: 'workflow_run',
            organizationId: w.acme.id,
            workflowId: `report-${name}`,
            state: 'failed',
            result: {
              definitionName: name,
              steps: [{ name: step, state: 'blocked', endedAt: new Date().toISOString(), verdict: { outcome: 'blocked', rule: stepRule, sentence: 'refused' } }],
            },
          })
          .returning()
      )[0]!.id;
    await blockedRun('Nightly restart', 'restart gw', 'instance.missing');
    const listing = await blockedRun('Drive listing', 'list', rule);
    await failure(enforcePolicy(ctx, { organizationId: w.acme.id, capabilityKey: 'google_drive', action: 'files.list', jobId: listing }));
    await failure(enforcePolicy(w.ctx(w.actors.globexAdmin), { organizationId: w.globex.id, capabilityKey: 'google_drive', action: 'files.list' }));
    const report = await getOrganizationReport(w.ctx(w.actors.admin), w.acme.id, {});
    const rules = report.blocked.items.map((b) => `${b.rule} ${b.jobId ? 'run' : 'request'}`).sort();
    expect(rules).toEqual(['instance.missing run', `${rule} request`, `${rule} run`].sort());
    expect(report.blocked.items.find((b) => !b.jobId)).toMatchObject({ what: 'google_drive: files.list', by: 'admin@acme.test' });
    // Highlights: the creation of Acme's share link, not Globex's.
    await createShareLink(w.ctx(w.actors.operator), w.acme.id, { expiresInDays: 7 });
    await createShareLink(w.ctx(w.actors.operator), w.globex.id, { expiresInDays: 7 });
    // Sign-ins: the company admin's are highlights, a company user's are not.
    for (const who of [w.actors.acmeAdmin, w.actors.acmeUser])
      await recordAudit(t.db, { actorType: 'person', actorId: who.userId, actorLabel: who.email, organizationId: w.acme.id, action: 'auth.sign_in', outcome: 'success' });
    const again = await getOrganizationReport(w.ctx(w.actors.admin), w.acme.id, {});
    expect(again.highlights.items.filter((h) => h.action === 'auth.sign_in').map((h) => h.actor)).toEqual(['admin@acme.test']);
    expect(again.highlights.items.filter((h) => h.action === 'report.share_link.create')).toHaveLength(1);
    expect(again.highlights.items.some((h) => h.action === 'policy.enforce')).toBe(false);
  });

  it('is for MSP staff and the organization’s company admin; another organization’s does not exist', async () => {
    await expect(getOrganizationReport(w.ctx(w.actors.acmeUser), w.acme.id, {})).rejects.toBeInstanceOf(ForbiddenError);
    await expect(getOrganizationReport(w.ctx(w.actors.globexAdmin), w.acme.id, {})).rejects.toBeInstanceOf(NotFoundError);
    await expect(getOrganizationReport(w.ctx(w.actors.operator), '00000000-0000-4000-8000-000000000000', {})).rejects.toBeInstanceOf(NotFoundError);
    expect((await getOrganizationReport(w.ctx(w.actors.acmeAdmin), w.acme.id, {})).organization.id).toBe(w.acme.id);
  });

  it('names the field of bad input', async () => {
    const fields = async (query: unknown) => ((await failure(getOrganizationReport(w.ctx(w.actors.admin), w.acme.id, query))) as InvalidInputError).fieldErrors;
    expect(await fields({ from: '2026-13-01' })).toEqual({ from: expect.stringMatching(/from must be/) });
    expect(await fields({ to: 'yesterday' })).toEqual({ to: 'to must be a date (YYYY-MM-DD)' });
    expect(await fields({ to: '9999-12-31' })).toEqual({ to: 'to must be between 1970-01-01 and 2999-12-31' });
    expect(await fields({ from: '2026-11-10', to: '2026-11-01' })).toEqual({ from: 'from must be on or before to' });
    expect(await fields({ from: '2024-01-01', to: '2026-01-01' })).toEqual({ from: 'the period must be at most 366 days' });
  });
});

describe('share links', () => {
  it('open the organization’s report for the link’s period without signing in, until revoked; only a hash is stored', async () => {
    const before = (
      await t.db
        .select({ n: sql<number>`count(*)::int` })
        .from(auditEvents)
        .where(eq(auditEvents.action, 'report.share_link.create'))
    )[0]!.n;
    const created = await createShareLink(w.ctx(w.actors.operator), w.acme.id, { ...NOVEMBER_1_TO_10, expiresInDays: 30 }, NOW);
    expect(created.token).toMatch(/^awrep_[a-z2-7]{52}$/); // 256 random bits
    expect(created.path).toBe(`/reports/shared/${created.token}`);
    expect(created.link).toMatchObject({ from: '2026-11-01', to: '2026-11-10', status: 'active', createdBy: 'operator@msp.test' });
    const [stored] = await t.db.select().from(reportShareLinks).where(eq(reportShareLinks.id, created.link.id));
    expect(stored!.tokenHash).toBe(hashToken(created.token));
    expect(JSON.stringify(stored)).not.toContain(created.token);
    const after = (
      await t.db
        .select({ n: sql<number>`count(*)::int` })
        .from(auditEvents)
        .where(eq(auditEvents.action, 'report.share_link.create'))
    )[0]!.n;
    expect(after).toBe(before + 1);

    const shared = await openSharedReport(t.db, created.token, NOW);
    expect(shared.organization.name).toBe('Acme');
    expect(shared.period).toMatchObject({ from: '2026-11-01', to: '2026-11-10' });
    expect(shared.instances.find((i) => i.name === 'acme-flaky')!.uptime).toBe(0.75);
    expect(JSON.stringify(shared)).not.toContain('globex');
    expect((await listShareLinks(w.ctx(w.actors.admin), w.acme.id, {}, NOW)).items.find((l) => l.id === created.link.id)!.lastOpenedAt).toBe(NOW.toISOString());

    // Expired at its time; revoked from the moment it is revoked.
    const expired = (await failure(openSharedReport(t.db, created.token, at('2026-12-21T00:00:00Z')))) as ShareLinkError;
    expect(expired).toMatchObject({ problem: 'expired', status: 410 });
    await expect(revokeShareLink(w.ctx(w.actors.acmeAdmin), created.link.id)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(revokeShareLink(w.ctx(w.actors.globexAdmin), created.link.id)).rejects.toBeInstanceOf(NotFoundError);
    const revoked = await revokeShareLink(w.ctx(w.actors.admin), created.link.id, NOW);
    expect(revoked.status).toBe('revoked');
    expect(await failure(openSharedReport(t.db, created.token, NOW))).toMatchObject({ problem: 'revoked', status: 410 });
    expect(await failure(openSharedReport(t.db, 'awrep_never-issued', NOW))).toMatchObject({ problem: 'unknown', status: 404 });
    const events = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetType, 'report_share_link'), eq(auditEvents.targetId, created.link.id)))
      .orderBy(asc(auditEvents.id));
    expect(events.map((e) => `${e.action} ${e.outcome} ${e.actorLabel}`)).toEqual([
      'report.share_link.create success operator@msp.test',
      'report.share denied admin@acme.test',
      'report.share denied admin@globex.test',
      'report.share_link.revoke success admin@msp.test',
    ]);
    expect(JSON.stringify(events)).not.toContain(created.token);
  });

  it('are the MSP’s to create, always expire, and refuse bad input naming the field, writing nothing', async () => {
    const count = async () => (await t.db.select({ n: sql<number>`count(*)::int` }).from(reportShareLinks))[0]!.n;
    const n = await count();
    await expect(createShareLink(w.ctx(w.actors.acmeAdmin), w.acme.id, { expiresInDays: 7 })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(listShareLinks(w.ctx(w.actors.acmeAdmin), w.acme.id, {})).rejects.toBeInstanceOf(ForbiddenError);
    const fields = async (input: unknown) => ((await failure(createShareLink(w.ctx(w.actors.admin), w.acme.id, input))) as InvalidInputError).fieldErrors;
    expect(await fields({})).toEqual({ expiresInDays: 'expiresInDays is required: a share link always expires' });
    expect(await fields({ expiresInDays: 91 })).toEqual({ expiresInDays: 'expiresInDays must be between 1 and 90' });
    expect(await fields({ expiresInDays: 7, to: '2026-02-30' })).toEqual({ to: 'to must be a real date' });
    expect(await count()).toBe(n);
  });
});
