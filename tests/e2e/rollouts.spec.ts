// Issue 19 in the browser: an MSP admin starts a restart rollout over an organization's instances from the
// Rollouts page (a canary of one, batches of two, a second approval after the canary), pauses and resumes
// it while it waits for its approval, approves it on its job page, and follows its canary live; pausing
// again holds the batches after it. Then a change of version: "Change version" to 2026.9.6 over another
// organization's instances at 2026.9.5, started, paused and resumed before and after its approval, its
// canary an upgrade job of its own. The instances' nodes have an enrolled agent key no agent holds, so a
// canary's child job waits for its node: nothing touches a machine here.
import { expect, test, type Page } from '@playwright/test';
import { createDb, type Db } from '../../db/client.ts';
import { instances, nodes, organizations } from '../../db/schema.ts';
import { generateKeyPair } from '../../protocol/envelope.ts';
import { seriousViolations } from './axe.ts';
import { signInAsAdmin } from './helpers.ts';
import { approveInBrowser } from './jobs-helpers.ts';

const suffix = Date.now().toString(36);
const ORG = `Rollout ${suffix}`;
const UPGRADE_ORG = `Upgrade ${suffix}`;
let db: Db;

/** An organization with one node (an agent key nobody holds) and three managed instances at `version`. */
async function fleetOf(name: string, nodeName: string, version: string) {
  const [org] = await db.insert(organizations).values({ name, kind: 'customer' }).returning();
  const [node] = await db
    .insert(nodes)
    .values({ organizationId: org!.id, name: nodeName, status: 'online', agentPublicKey: generateKeyPair().publicKey, enrolledAt: new Date() })
    .returning();
  await db.insert(instances).values(
    ['gw-1', 'gw-2', 'gw-3'].map((instance, i) => ({
      organizationId: org!.id,
      nodeId: node!.id,
      name: instance,
      state: 'managed' as const,
      // A gateway and its helper, as the bundle deploys them (an upgrade refuses an adopted instance).
      containerIds: [String(i + 1).repeat(64), String(i + 4).repeat(64)],
      port: 18789 + i,
      bundleVersion: version,
    })),
  );
}

test.beforeAll(async () => {
  db = createDb(process.env.E2E_DATABASE_URL!, { max: 1 });
  await fleetOf(ORG, `roll-${suffix}`, '2026.9.6');
  await fleetOf(UPGRADE_ORG, `upg-${suffix}`, '2026.9.5');
});
test.afterAll(async () => {
  await db?.$client.end();
});

/** From the Rollouts page: starts `action` over `org`'s instances with a canary of one, batches of two and a second approval; returns its page's address. */
async function startRollout(page: Page, opts: { action: string; org: string; toVersion?: string }): Promise<string> {
  const form = page.getByRole('form', { name: 'Start a rollout' });
  await form.getByLabel('Action').selectOption(opts.action);
  await form.getByLabel('Organization').selectOption({ label: opts.org });
  if (opts.toVersion) await form.getByLabel('Change to version').selectOption(opts.toVersion);
  await form.getByLabel('Canary size').fill('1');
  await form.getByLabel('Batch size').fill('2');
  await form.getByLabel('Second approval after the canary').check();
  await form.getByRole('button', { name: 'Start rollout' }).click();
  await expect(page).toHaveURL(/\/rollouts\/[0-9a-f-]+$/);
  return page.url();
}

/** Pause: recorded, the page says so (`saying`) and offers Resume; resume: Pause again. */
async function pauseAndResume(page: Page, saying?: string): Promise<void> {
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('rollout-paused')).toBeVisible();
  if (saying) await expect(page.getByTestId('rollout-paused')).toContainText(saying);
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('rollout-paused')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Pause' })).toBeVisible();
}

/** After the approval, back on the rollout's page: the canary (its first row) runs alone, the two others wait. */
async function canaryAlone(page: Page, rolloutUrl: string) {
  await page.goto(rolloutUrl);
  const canary = page.getByTestId('rollout-targets').locator('tbody tr').first();
  await expect(canary).toContainText('canary');
  await expect(canary).toContainText('running', { timeout: 30_000 });
  await expect(page.getByTestId('rollout-step')).toHaveText('canary');
  await expect(page.getByTestId('rollout-targets').locator('tbody tr', { hasText: 'pending' })).toHaveCount(2);
  return canary;
}

test('starts a restart rollout, pauses and resumes it, and follows its canary after the approval', async ({ page }) => {
  test.setTimeout(180_000);
  await signInAsAdmin(page);
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Rollouts', exact: true }).click();
  const rolloutUrl = await startRollout(page, { action: 'restart', org: ORG });
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Fleet rollout: restart × 3');
  await expect(page.getByTestId('rollout-state')).toHaveText('waiting for approval', { timeout: 30_000 });
  await expect(page.locator('strong', { hasText: 'restart 3 instances' })).toBeVisible();
  await expect(page.getByTestId('rollout-targets').locator('tbody tr')).toHaveCount(3);
  await expect(page.getByTestId('rollout-counts')).toHaveText('0 of 3 finished: 0 completed, 0 failed');
  await expect(page.getByTestId('temporal-link')).toHaveAttribute('href', /fleet-rollout-/);
  await expect(page.getByTestId('rollout-to-version')).toHaveCount(0);
  expect(await seriousViolations(page), 'the rollout page waiting').toEqual([]);
  await pauseAndResume(page);

  // One approval for the whole rollout, on its job page.
  await page.getByTestId('rollout-job').click();
  await approveInBrowser(page);
  // The canary starts alone: its child job waits for its node (no agent holds its key here).
  const canary = await canaryAlone(page, rolloutUrl);
  await expect(canary.getByRole('link', { name: 'job' })).toHaveAttribute('href', /\/jobs\/[0-9a-f-]+$/);

  // Paused again mid-canary: the canary goes on, nothing after it starts until a resume.
  await pauseAndResume(page, 'a batch under way finishes first');
  expect(await seriousViolations(page), 'the rollout page running').toEqual([]);
});

test('starts a change of version, pauses and resumes it before and after its approval, its canary an upgrade job', async ({ page }) => {
  test.setTimeout(180_000);
  await signInAsAdmin(page);
  await page.goto('/rollouts');
  const rolloutUrl = await startRollout(page, { action: 'upgrade', org: UPGRADE_ORG, toVersion: '2026.9.6' });
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Fleet rollout: upgrade × 3');
  await expect(page.getByTestId('rollout-to-version')).toHaveText('Each instance changes to OpenClaw 2026.9.6.');
  await expect(page.getByTestId('rollout-state')).toHaveText('waiting for approval', { timeout: 30_000 });
  await expect(page.locator('strong', { hasText: 'change 3 instances to 2026.9.6' })).toBeVisible();
  await expect(page.getByTestId('rollout-targets').locator('tbody tr')).toHaveCount(3);
  await pauseAndResume(page);

  await page.getByTestId('rollout-job').click();
  expect(await approveInBrowser(page)).toBe('change 3 instances to 2026.9.6');
  // The canary alone: gw-1's upgrade job, asking no approval of its own, waits for its node at its preflight.
  const canary = await canaryAlone(page, rolloutUrl);
  await expect(canary).toContainText('gw-1');
  await pauseAndResume(page, 'a batch under way finishes first');
  expect(await seriousViolations(page), 'the upgrade rollout running').toEqual([]);

  await canary.getByRole('link', { name: 'job' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Upgrade OpenClaw: gw-1 on upg-${suffix}`);
  await expect(page.getByTestId('job-state')).toHaveText(/preflight|running/);
  await expect(page.getByTestId('approval-phrase')).toHaveCount(0);
});
