// Issue 19 in the browser: an MSP admin starts a restart rollout over an organization's instances from the
// Rollouts page (a canary of one, batches of two, a second approval after the canary), pauses and resumes
// it while it waits for its approval, approves it on its job page, and follows its canary live; pausing
// again holds the batches after it. The instances' node has an enrolled agent key no agent holds, so the
// canary's child job waits for its node: nothing touches a machine here.
import { expect, test } from '@playwright/test';
import { createDb, type Db } from '../../db/client.ts';
import { instances, nodes, organizations } from '../../db/schema.ts';
import { generateKeyPair } from '../../protocol/envelope.ts';
import { seriousViolations } from './axe.ts';
import { signInAsAdmin } from './helpers.ts';
import { approveInBrowser } from './jobs-helpers.ts';

const suffix = Date.now().toString(36);
const ORG = `Rollout ${suffix}`;
let db: Db;

test.beforeAll(async () => {
  db = createDb(process.env.E2E_DATABASE_URL!, { max: 1 });
  const [org] = await db.insert(organizations).values({ name: ORG, kind: 'customer' }).returning();
  const [node] = await db
    .insert(nodes)
    .values({ organizationId: org!.id, name: `roll-${suffix}`, status: 'online', agentPublicKey: generateKeyPair().publicKey, enrolledAt: new Date() })
    .returning();
  await db.insert(instances).values(
    ['gw-1', 'gw-2', 'gw-3'].map((name, i) => ({
      organizationId: org!.id,
      nodeId: node!.id,
      name,
      state: 'managed' as const,
      containerIds: [String(i + 1).repeat(64)],
      port: 18789 + i,
      bundleVersion: '2026.9.6',
    })),
  );
});
test.afterAll(async () => {
  await db?.$client.end();
});

test('starts a restart rollout, pauses and resumes it, and follows its canary after the approval', async ({ page }) => {
  test.setTimeout(180_000);
  await signInAsAdmin(page);
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Rollouts', exact: true }).click();
  const form = page.getByRole('form', { name: 'Start a rollout' });
  await form.getByLabel('Action').selectOption('restart');
  await form.getByLabel('Organization').selectOption({ label: ORG });
  await form.getByLabel('Canary size').fill('1');
  await form.getByLabel('Batch size').fill('2');
  await form.getByLabel('Second approval after the canary').check();
  await form.getByRole('button', { name: 'Start rollout' }).click();

  await expect(page).toHaveURL(/\/rollouts\/[0-9a-f-]+$/);
  const rolloutUrl = page.url();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Fleet rollout: restart × 3');
  await expect(page.getByTestId('rollout-state')).toHaveText('waiting for approval', { timeout: 30_000 });
  await expect(page.locator('strong', { hasText: 'restart 3 instances' })).toBeVisible();
  await expect(page.getByTestId('rollout-targets').locator('tbody tr')).toHaveCount(3);
  await expect(page.getByTestId('rollout-counts')).toHaveText('0 of 3 finished: 0 completed, 0 failed');
  await expect(page.getByTestId('temporal-link')).toHaveAttribute('href', /fleet-rollout-/);
  expect(await seriousViolations(page), 'the rollout page waiting').toEqual([]);

  // Pause: recorded, the page says so and offers Resume; resume: Pause again.
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('rollout-paused')).toBeVisible();
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('rollout-paused')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Pause' })).toBeVisible();

  // One approval for the whole rollout, on its job page.
  await page.getByTestId('rollout-job').click();
  await approveInBrowser(page);
  await page.goto(rolloutUrl);
  // The canary starts alone: its child job waits for its node (no agent holds its key here).
  const canary = page.getByTestId('rollout-targets').locator('tbody tr').first();
  await expect(canary).toContainText('canary');
  await expect(canary).toContainText('running', { timeout: 30_000 });
  await expect(page.getByTestId('rollout-step')).toHaveText('canary');
  await expect(page.getByTestId('rollout-targets').locator('tbody tr', { hasText: 'pending' })).toHaveCount(2);
  await expect(canary.getByRole('link', { name: 'job' })).toHaveAttribute('href', /\/jobs\/[0-9a-f-]+$/);

  // Paused again mid-canary: the canary goes on, nothing after it starts until a resume.
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('rollout-paused')).toContainText('a batch under way finishes first');
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByRole('button', { name: 'Pause' })).toBeVisible();
  expect(await seriousViolations(page), 'the rollout page running').toEqual([]);
});
