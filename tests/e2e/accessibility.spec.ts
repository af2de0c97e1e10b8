// Issue 16's accessibility bar: every console page, as the people who see it, passes axe-core (the real
// engine, through @axe-core/playwright) with no serious or critical violation. The pages are those of
// web/app/routes.ts: a route added there without a case here fails this test. Records the detail pages
// need are made straight in the product's database.
import crypto from 'node:crypto';
import { decodeBase32IgnorePadding } from '@oslojs/encoding';
import { generateTOTP } from '@oslojs/otp';
import { expect, test } from '@playwright/test';
import { eq } from 'drizzle-orm';
import { createDb, type Db } from '../../db/client.ts';
import { hashToken } from '../../api/auth/token-hash.ts';
import { connections, instances, jobs, nodes, organizations, reportShareLinks, schedules, users, workflowDefinitions, workflowVersions } from '../../db/schema.ts';
import { createUser } from '../../db/users.ts';
import routes from '../../web/app/routes.ts';
import { seriousViolations } from './axe.ts';
import { signIn, signInAsAdmin } from './helpers.ts';

type Ids = { organization: string; node: string; instance: string; job: string; connection: string; definition: string; schedule: string; rollout: string };

/** Each route's page, as a path with its records' ids; null for routes that are no page of their own (say why). */
const PAGES: Record<string, ((ids: Ids) => string) | { none: string }> = {
  login: { none: 'checked signed out, below' },
  'login/two-factor': { none: 'checked with a sign-in waiting for its code, below' },
  logout: { none: 'an action: signs out and redirects' },
  'invite/:token': { none: 'checked signed out, below, with an unknown token' },
  'reports/shared/:token': { none: 'checked signed out, below: a live link, a revoked one and an unknown one' },
  '': () => '/',
  organizations: () => '/organizations',
  'organizations/:organizationId': (i) => `/organizations/${i.organization}`,
  'organizations/:organizationId/permissions': (i) => `/organizations/${i.organization}/permissions`,
  'organizations/:organizationId/report': (i) => `/organizations/${i.organization}/report`,
  capabilities: () => '/capabilities',
  instances: () => '/instances',
  'instances/:instanceId/capabilities': (i) => `/instances/${i.instance}/capabilities`,
  people: () => '/people',
  nodes: () => '/nodes',
  'nodes/:nodeId': (i) => `/nodes/${i.node}`,
  // Its node has no agent here: the page shows its form and why no lines were read (with lines: deploy.spec.ts).
  'instances/:instanceId/logs': (i) => `/instances/${i.instance}/logs`,
  jobs: () => '/jobs',
  'jobs/:jobId': (i) => `/jobs/${i.job}`,
  rollouts: () => '/rollouts',
  'rollouts/:jobId': (i) => `/rollouts/${i.rollout}`,
  approvals: () => '/approvals',
  'approver-groups': () => '/approver-groups',
  audit: () => '/audit',
  account: () => '/account',
  'account/two-factor': () => '/account/two-factor',
  'account/tokens': () => '/account/tokens',
  'settings/security': () => '/settings/security',
  system: () => '/system',
  connections: () => '/connections',
  'connections/oauth/callback': { none: 'the provider’s redirect: finishes a consent and redirects' },
  'connections/:connectionId': (i) => `/connections/${i.connection}`,
  workflows: () => '/workflows',
  'workflows/new': (i) => `/workflows/new?organizationId=${i.organization}`,
  'workflows/:definitionId': (i) => `/workflows/${i.definition}`,
  'workflows/:definitionId/edit': (i) => `/workflows/${i.definition}/edit`,
  schedules: () => '/schedules',
  'schedules/:scheduleId': (i) => `/schedules/${i.schedule}`,
  tools: () => '/tools',
};

/** Every path of web/app/routes.ts, layouts flattened. */
function routePaths(): string[] {
  const walk = (r: { path?: string; index?: boolean; children?: unknown[] }): string[] => [
    ...(r.index ? [''] : r.path !== undefined ? [r.path] : []),
    ...((r.children ?? []) as (typeof r)[]).flatMap(walk),
  ];
  return (routes as unknown as (typeof routes)[number][]).flatMap((r) => walk(r as never));
}

let db: Db;
let ids: Ids;
const suffix = Date.now().toString(36);
const companyAdmin = { email: `a11y-admin-${suffix}@customer.test`, password: 'a11y-password-0123' };
const companyUser = { email: `a11y-user-${suffix}@customer.test`, password: 'a11y-password-0123' };

test.beforeAll(async () => {
  db = createDb(process.env.E2E_DATABASE_URL!, { max: 1 });
  const [org] = await db
    .insert(organizations)
    .values({ name: `Accessible ${suffix}`, kind: 'customer' })
    .returning();
  const organization = org!.id;
  await createUser(db, { ...companyAdmin, name: 'A11y Admin', role: 'company_admin', organizationId: organization });
  await createUser(db, { ...companyUser, name: 'A11y User', role: 'company_user', organizationId: organization });
  const [node] = await db
    .insert(nodes)
    .values({ organizationId: organization, name: `a11y-node-${suffix}` })
    .returning();
  const [instance] = await db
    .insert(instances)
    .values({ organizationId: organization, nodeId: node!.id, name: `a11y-gw-${suffix}`, state: 'managed', containerIds: ['e'.repeat(64)], port: 18789 })
    .returning();
  const [job] = await db
    .insert(jobs)
    .values({
      type: 'deploy_openclaw',
      organizationId: organization,
      nodeId: node!.id,
      workflowId: `a11y-${crypto.randomUUID()}`,
      state: 'completed',
      params: { instanceName: 'a11y', port: 18789 },
    })
    .returning();
  // A rollout part way: a canary done, one failure with its reason, one target waiting (its page's every part).
  const targets = [
    { id: crypto.randomUUID(), name: 'a11y-one', state: 'completed', batch: 0 },
    { id: crypto.randomUUID(), name: 'a11y-two', state: 'failed', batch: 1, reason: 'the gateway did not answer /readyz' },
    { id: crypto.randomUUID(), name: 'a11y-three', state: 'pending' },
  ];
  const [rollout] = await db
    .insert(jobs)
    .values({
      type: 'fleet_rollout',
      organizationId: organization,
      workflowId: `a11y-${crypto.randomUUID()}`,
      state: 'running',
      step: 'stopped',
      params: { action: 'restart', count: 3, targets, settings: { canarySize: 1 } },
      result: { action: 'restart', phase: 'stopped', control: 'pause', stopped: 'batch 2 had 1 failure(s) (the limit is 1)', total: 3, completed: 1, failed: 1, targets },
    })
    .returning();
  const [connection] = await db
    .insert(connections)
    .values({ organizationId: organization, provider: 'google_drive', name: 'A11y Drive', statusReason: 'Not tested yet.', mode: 'demo' })
    .returning();
  const [definition] = await db.insert(workflowDefinitions).values({ organizationId: organization, name: 'A11y workflow' }).returning();
  const steps = [{ id: 'tell', name: 'Tell', kind: 'notify', message: 'Hello' }];
  const [version] = await db
    .insert(workflowVersions)
    .values({ definitionId: definition!.id, number: 1, name: 'A11y workflow', description: '', steps, contentHash: crypto.randomBytes(32).toString('hex') })
    .returning();
  await db.update(workflowDefinitions).set({ currentVersionId: version!.id }).where(eq(workflowDefinitions.id, definition!.id));
  const [owner] = await db.select().from(users).where(eq(users.email, companyAdmin.email));
  const [schedule] = await db
    .insert(schedules)
    .values({
      organizationId: organization,
      definitionId: definition!.id,
      name: 'A11y nightly',
      spec: { kind: 'interval', everySeconds: 86_400, offsetSeconds: 0 },
      createdBy: owner!.id,
    })
    .returning();
  ids = {
    organization,
    node: node!.id,
    instance: instance!.id,
    job: job!.id,
    connection: connection!.id,
    definition: definition!.id,
    schedule: schedule!.id,
    rollout: rollout!.id,
  };
});
test.afterAll(async () => {
  await db?.$client.end();
});

test('every route of the console has a case here', () => {
  expect(routePaths().sort()).toEqual(Object.keys(PAGES).sort());
});

test('the sign-in and invitation pages have no serious violations, signed out', async ({ page }) => {
  for (const path of ['/login', `/invite/${'x'.repeat(43)}`]) {
    await page.goto(path);
    expect(await seriousViolations(page), path).toEqual([]);
  }
});

test('a customer report’s share link has no serious violations, open, revoked and unknown, signed out', async ({ page }) => {
  const token = `awrep_${crypto.randomBytes(32).toString('hex')}`;
  const [link] = await db
    .insert(reportShareLinks)
    .values({ organizationId: ids.organization, tokenHash: hashToken(token), fromDate: '2026-11-01', toDate: '2026-11-30', expiresAt: new Date(Date.now() + 86_400_000) })
    .returning();
  await page.goto(`/reports/shared/${token}`);
  await expect(page.getByTestId('customer-report')).toBeVisible();
  expect(await seriousViolations(page), 'open').toEqual([]);
  await db.update(reportShareLinks).set({ revokedAt: new Date() }).where(eq(reportShareLinks.id, link!.id));
  await page.goto(`/reports/shared/${token}`);
  await expect(page.getByTestId('shared-report-problem')).toBeVisible();
  expect(await seriousViolations(page), 'revoked').toEqual([]);
  await page.goto('/reports/shared/awrep_never-issued');
  expect(await seriousViolations(page), 'unknown').toEqual([]);
});

test('two-factor sign-in has no serious violations: its setup, the recovery codes, and the code asked at sign-in', async ({ page }) => {
  const person = { email: `a11y-2fa-${suffix}@customer.test`, password: 'a11y-password-0123' };
  await createUser(db, { ...person, name: 'A11y Two-Factor', role: 'company_user', organizationId: ids.organization });
  await signIn(page, person.email, person.password);
  await expect(page.getByTestId('console-view')).toHaveText('User view');
  await page.goto('/account/two-factor');
  await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
  const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
  expect(await seriousViolations(page), 'setting up').toEqual([]);
  await page.getByLabel('Code from your app').fill(generateTOTP(decodeBase32IgnorePadding(secret), 30, 6));
  await page.getByRole('button', { name: 'Confirm and turn on' }).click();
  await expect(page.getByTestId('recovery-codes')).toBeVisible();
  expect(await seriousViolations(page), 'the recovery codes').toEqual([]);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, person.email, person.password);
  await expect(page).toHaveURL(/\/login\/two-factor/);
  await expect(page.getByLabel('Authentication code')).toBeVisible();
  expect(await seriousViolations(page), 'the code asked at sign-in').toEqual([]);
});

const PEOPLE = { 'company admin': companyAdmin, 'company user': companyUser };
for (const who of ['MSP admin', 'company admin', 'company user'] as const) {
  test(`every console page has no serious violations, as ${who}`, async ({ page }) => {
    test.setTimeout(180_000);
    if (who === 'MSP admin') await signInAsAdmin(page);
    else await signIn(page, PEOPLE[who].email, PEOPLE[who].password);
    const found: string[] = [];
    for (const [route, page_] of Object.entries(PAGES)) {
      if (typeof page_ !== 'function') continue;
      const path = page_(ids);
      const response = await page.goto(path);
      // A page this person may not open answers its error page, which must be accessible too.
      expect(response?.status(), `${path} answered`).toBeLessThan(500);
      found.push(...(await seriousViolations(page)).map((v) => `${route}: ${v}`));
    }
    expect(found).toEqual([]);
  });
}
