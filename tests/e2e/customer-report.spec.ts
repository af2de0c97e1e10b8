// Issue 16's customer report in the browser: the MSP admin opens a customer's report from its organization
// page (its instance's uptime from a recorded health check), prints it to PDF with the print stylesheet
// (no navigation, no share-link forms), creates a share link; a fresh browser context with no cookies
// opens the link and sees that organization's report and not another organization's nodes; revoking the
// link makes it say so (410) and show nothing, the same through the API.
import crypto from 'node:crypto';
import { expect, test } from '@playwright/test';
import { recordAudit } from '../../db/audit.ts';
import { createDb, type Db } from '../../db/client.ts';
import { instances, jobs, nodes, organizations } from '../../db/schema.ts';
import { signInAsAdmin } from './helpers.ts';

let db: Db;
const suffix = Date.now().toString(36);
const names = {
  customer: `Reported ${suffix}`,
  node: `report-node-${suffix}`,
  instance: `report-gw-${suffix}`,
  other: `Elsewhere ${suffix}`,
  otherNode: `other-node-${suffix}`,
  run: `Nightly tidy ${suffix}`,
  otherRun: `Foreign run ${suffix}`,
};
let customerId: string;

test.beforeAll(async () => {
  db = createDb(process.env.E2E_DATABASE_URL!, { max: 1 });
  const org = async (name: string) => (await db.insert(organizations).values({ name, kind: 'customer', timeZone: 'Europe/Berlin' }).returning())[0]!.id;
  customerId = await org(names.customer);
  const otherId = await org(names.other);
  const [node] = await db.insert(nodes).values({ organizationId: customerId, name: names.node, status: 'online' }).returning();
  await db.insert(nodes).values({ organizationId: otherId, name: names.otherNode, status: 'online' });
  // A restart an MSP admin approved, and a workflow run whose step was blocked by a rule; another organization's run.
  const job = (organizationId: string, values: Partial<typeof jobs.$inferInsert> & { type: string; state: (typeof jobs.$inferInsert)['state'] }) =>
    db.insert(jobs).values({ organizationId, workflowId: `report-${crypto.randomUUID()}`, params: {}, ...values });
  await job(customerId, {
    type: 'restart_gateway',
    nodeId: node!.id,
    state: 'completed',
    params: { instanceName: names.instance },
    approvals: [{ at: new Date().toISOString(), by: 'approver@msp.test', role: 'msp_admin', via: 'console', outcome: 'approved' }],
  });
  const blockedRun = (organizationId: string, definitionName: string) =>
    job(organizationId, {
      type: 'workflow_run',
      state: 'failed',
      params: { definitionName },
      result: {
        definitionName,
        steps: [
          {
            name: 'Restart the gateway',
            state: 'blocked',
            endedAt: new Date().toISOString(),
            verdict: { outcome: 'blocked', rule: 'instance.missing', sentence: 'no such instance' },
          },
        ],
      },
    });
  await blockedRun(customerId, names.run);
  await blockedRun(otherId, names.otherRun);
  const [instance] = await db
    .insert(instances)
    .values({ organizationId: customerId, nodeId: node!.id, name: names.instance, state: 'managed', bundleVersion: '2026.11.1' })
    .returning();
  // A health check, recorded as the check job records it: the instance is healthy from now on.
  await recordAudit(db, {
    actorType: 'workflow',
    actorLabel: 'check_openclaw_health',
    organizationId: customerId,
    action: 'instance.health',
    targetType: 'instance',
    targetId: instance!.id,
    outcome: 'success',
    details: { healthy: true },
  });
});
test.afterAll(async () => {
  await db?.$client.end();
});

test('customer report: print, share a read-only link that opens without signing in, revoke it', async ({ page, browser }) => {
  test.setTimeout(120_000);
  await signInAsAdmin(page);
  await page.goto(`/organizations/${customerId}`);
  await page.getByRole('link', { name: 'Report', exact: true }).click();
  await page.waitForURL(/\/report$/);
  const report = page.getByTestId('customer-report');
  await expect(report.getByRole('heading', { name: `Customer report: ${names.customer}` })).toBeVisible();
  await expect(page.getByTestId('report-period')).toContainText('(Europe/Berlin)');
  await expect(page.getByTestId('report-nodes')).toContainText(names.node);
  const instanceRow = page.getByTestId('report-instances').getByRole('row', { name: new RegExp(names.instance) });
  await expect(instanceRow).toContainText('healthy');
  await expect(page.getByTestId('uptime-method')).toContainText('last known health was healthy');
  await expect(report).not.toContainText(names.otherNode);

  // A bad period is refused on its field.
  await page.goto(`/organizations/${customerId}/report?from=2026-11-30&to=2026-11-01`);
  await expect(page.getByRole('form', { name: 'Report period' })).toContainText('from must be on or before to');
  await page.goto(`/organizations/${customerId}/report`);

  // Printed: the report alone, without the console's navigation or the share-link forms; Chromium saves it as PDF.
  await expect(page.getByRole('button', { name: 'Print or save as PDF' })).toBeVisible();
  await page.emulateMedia({ media: 'print' });
  await expect(page.getByRole('navigation', { name: 'Console' })).toBeHidden();
  await expect(page.getByRole('heading', { name: 'Share links' })).toBeHidden();
  await expect(report.getByRole('heading', { name: 'OpenClaw instances and their uptime' })).toBeVisible();
  const pdf = await page.pdf({ format: 'A4' });
  expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  await page.emulateMedia({ media: 'screen' });

  // A share link: expiry is required and bounded (refused on its field), then created and shown once.
  const share = page.getByRole('form', { name: 'Create share link' });
  await share.getByLabel('Expires in (days)').fill('91');
  await share.getByLabel('Expires in (days)').evaluate((e: HTMLInputElement) => e.removeAttribute('max'));
  await share.getByRole('button', { name: 'Create share link' }).click();
  await expect(page.getByRole('form', { name: 'Create share link' })).toContainText('expiresInDays must be between 1 and 90');
  await page.getByRole('form', { name: 'Create share link' }).getByLabel('Expires in (days)').fill('7');
  await page.getByRole('form', { name: 'Create share link' }).getByRole('button', { name: 'Create share link' }).click();
  const url = await page.getByTestId('share-link-url').inputValue();
  expect(url).toMatch(/\/reports\/shared\/awrep_[a-z2-7]{52}$/);
  await expect(page.getByTestId('share-links')).toContainText('active');
  const path = new URL(url).pathname;

  // A fresh browser without cookies opens it: that organization's report, read only, no console.
  const stranger = await browser.newContext();
  expect(await stranger.cookies()).toEqual([]);
  const outsider = await stranger.newPage();
  const opened = await outsider.goto(path);
  expect(opened?.status()).toBe(200);
  await expect(outsider.getByRole('heading', { name: `Customer report: ${names.customer}` })).toBeVisible();
  await expect(outsider.getByTestId('report-nodes')).toContainText(names.node);
  await expect(outsider.getByTestId('report-instances')).toContainText(names.instance);
  // Jobs with their approvals, what was blocked by which rule, and the audit highlights (the link's own creation).
  await expect(outsider.getByTestId('report-jobs').getByRole('row').filter({ hasText: 'completed' })).toContainText('approved by approver@msp.test');
  await expect(outsider.getByTestId('report-blocked')).toContainText(names.run);
  await expect(outsider.getByTestId('report-blocked')).toContainText('instance.missing');
  await expect(outsider.getByTestId('report-highlights')).toContainText('report.share_link.create');
  await expect(outsider.locator('body')).not.toContainText(names.otherRun);
  await expect(outsider.locator('body')).not.toContainText(names.otherNode);
  await expect(outsider.locator('body')).not.toContainText(names.other);
  await expect(outsider.getByRole('navigation', { name: 'Console' })).toHaveCount(0);
  await expect(outsider.locator('form')).toHaveCount(0);
  await expect(outsider.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
  // The server's own policy comes first; the last one a browser understands wins.
  expect(opened?.headers()['referrer-policy']).toMatch(/no-referrer$/);
  const token = path.split('/').at(-1)!;
  expect((await stranger.request.get(`/api/v1/shared-reports/${token}`)).status()).toBe(200);

  // Revoked: the same link shows that it was revoked (410), and nothing of the report.
  await page
    .getByTestId('share-links')
    .getByRole('button', { name: /^Revoke/ })
    .click();
  await expect(page.getByTestId('share-links')).toContainText('revoked');
  const gone = await outsider.goto(path);
  expect(gone?.status()).toBe(410);
  await expect(outsider.getByRole('heading', { name: 'This link has been revoked' })).toBeVisible();
  await expect(outsider.locator('body')).not.toContainText(names.node);
  await expect(outsider.locator('body')).not.toContainText(names.customer);
  expect((await stranger.request.get(`/api/v1/shared-reports/${token}`)).status()).toBe(410);
  // A link never issued: not found.
  expect((await outsider.goto('/reports/shared/awrep_never-issued'))?.status()).toBe(404);
  await stranger.close();
});
