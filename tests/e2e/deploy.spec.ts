// Issue 5 in the browser, on the `local` node that `npm start` enrolls: an operator deploys a real
// OpenClaw gateway from the node's page; the job waits for the typed approval, refuses a wrong phrase
// with a clear message, and after the right one deploys (its page showing the step's progress bar),
// turns healthy and shows the instance as managed on the node. Then the operator checks its health, reads its logs, restarts it with approval, and takes
// over a second, hand-started gateway.
import Dockerode from 'dockerode';
import { expect, test } from '@playwright/test';
import { freePort } from '../../infra/ports.ts';
import { ensureBundleImage } from '../../agent-worker/openclaw/image.ts';
import { loadConfig } from '../../infra/config.ts';
import { startHandStartedGateway } from '../jest/openclaw-gateway.ts';
import { seriousViolations } from './axe.ts';
import { signInAsAdmin } from './helpers.ts';
import { approveInBrowser, untilCompleted } from './jobs-helpers.ts';

const NODE_NAME = 'local';
// The local agent's engine (global-setup.ts): where the gateways run, and where a hand-started one is found.
const docker = new Dockerode({ socketPath: process.env.E2E_LOCAL_DOCKER_SOCKET });
let nodePage: string | undefined;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  // The first run on a machine builds the bundle image (about a minute); later runs reuse it.
  test.setTimeout(300_000);
  await ensureBundleImage(docker, { cacheDir: loadConfig().cacheDir });
});

test('deploys OpenClaw to the local node after the typed approval, refusing a wrong phrase first', async ({ page }) => {
  test.setTimeout(240_000);
  await signInAsAdmin(page);
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Nodes', exact: true }).click();
  await page.getByTestId('nodes').getByRole('link', { name: NODE_NAME, exact: true }).click();
  await expect(page.getByRole('heading', { name: NODE_NAME })).toBeVisible();
  nodePage = page.url();

  const form = page.getByRole('form', { name: 'Deploy OpenClaw' });
  // The local node is the MSP's shared infrastructure: it may host an instance for any customer (default: the MSP's own).
  await expect(form.getByLabel('For')).toHaveValue(/^[0-9a-f-]{36}$/);
  await form.getByLabel('Instance name').fill('e2e-claw');
  await form.getByLabel('Gateway port').fill(String(await freePort()));
  await form.getByRole('button', { name: 'Request deployment' }).click();
  await expect(page).toHaveURL(/\/jobs\/[0-9a-f-]+$/);
  await expect(page.getByRole('heading', { name: `Deploy OpenClaw: e2e-claw on ${NODE_NAME}` })).toBeVisible();
  await expect(page.getByTestId('temporal-link')).toHaveAttribute('href', /\/workflows\/deploy-openclaw-[0-9a-f-]+/);

  // Preflight on the node, then the wait for a person: the page follows the run live.
  await expect(page.getByTestId('job-state')).toHaveText('waiting for approval', { timeout: 60_000 });
  await expect(page.getByTestId('preflight')).toContainText('port:');
  const phrase = (await page.getByTestId('approval-phrase').textContent())!;
  expect(phrase).toBe(`deploy openclaw to ${NODE_NAME}`);

  // The temporal CLI path: the page hands this person a grant and the exact command to run.
  await page.getByText('Approve from the temporal CLI instead').click();
  const cli = page.getByRole('form', { name: 'Grant for the temporal CLI' });
  await cli.getByLabel('Phrase').fill(phrase);
  await cli.getByRole('button', { name: 'Get the command' }).click();
  await expect(page.getByTestId('grant-command')).toContainText(/^temporal workflow signal --workflow-id deploy-openclaw-[0-9a-f-]+ --name approve --input '\{"grant":\{/);

  const approval = page.getByRole('form', { name: 'Approve' });
  await approval.getByLabel('Phrase').fill('deploy openclaw');
  await approval.getByRole('button', { name: 'Approve' }).click();
  await expect(approval.getByRole('alert')).toHaveText(`The phrase does not match: type exactly "${phrase}".`);
  await expect(page.getByTestId('job-state')).toHaveText('waiting for approval');

  await approval.getByLabel('Phrase').fill(phrase);
  await approval.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByTestId('job-state')).toHaveText(/running|completed/);
  // While it deploys, the current step's progress as the agent reports it (ADR 0022): the gateway's wait
  // for health counts its seconds against the step's timeout, naming the checks that answer.
  const progress = page.getByTestId('step-progress');
  await expect(progress.getByRole('progressbar')).toBeVisible({ timeout: 60_000 });
  await expect(progress.getByRole('progressbar', { name: /waiting for health: attempt \d+: \/healthz/ })).toHaveAttribute('max', /^\d+$/, { timeout: 60_000 });
  expect(await seriousViolations(page)).toEqual([]); // the bar as axe-core sees it
  await expect(page.getByTestId('job-state')).toHaveText('completed', { timeout: 180_000 });
  await expect(progress).toHaveCount(0); // a finished job reports none
  await expect(page.getByTestId('job-result')).toContainText('OpenClaw 2026.9.6');
  await expect(page.getByTestId('approvals')).toContainText('approved');
  // Attempts and timeouts of each step, from the run's history.
  await expect(page.getByTestId('activities').getByRole('row').filter({ hasText: 'openclaw.deploy on the node' })).toContainText('start-to-close 15 min');

  await page.goto(nodePage);
  await expect(page.getByTestId('instances').getByRole('row').filter({ hasText: 'e2e-claw' })).toContainText('managed');
  await page.getByRole('link', { name: 'Jobs on this node' }).click();
  await expect(page.getByRole('form', { name: 'Filter jobs' }).getByLabel('Node')).toHaveValue(/^[0-9a-f-]{36}$/);
  await expect(
    page
      .getByTestId('jobs')
      .getByRole('row')
      .filter({ hasText: `e2e-claw on ${NODE_NAME}` }),
  ).toContainText('completed');
  await page.getByRole('form', { name: 'Filter jobs' }).getByLabel('State').selectOption('failed');
  await page.getByRole('form', { name: 'Filter jobs' }).getByRole('button', { name: 'Show' }).click();
  await expect(page.getByTestId('jobs').getByRole('row').filter({ hasText: 'e2e-claw' })).toHaveCount(0);
});

test('checks its health, reads its logs, restarts it with approval, and adopts a hand-started gateway', async ({ page }) => {
  test.setTimeout(300_000);
  test.skip(!nodePage, 'needs the deployment of the test before');
  await signInAsAdmin(page);
  const row = () => page.getByTestId('instances').getByRole('row').filter({ hasText: 'e2e-claw' });

  // Health: each container on its own line, and the gateway's health JSON.
  await page.goto(nodePage!);
  await row().getByRole('button', { name: 'Check health' }).click();
  await expect(page).toHaveURL(/\/jobs\/[0-9a-f-]+$/);
  await untilCompleted(page, 60_000);
  const health = page.getByTestId('health-now');
  await expect(health).toContainText('healthy');
  await expect(health.getByRole('row').filter({ hasText: 'Gateway container' })).toContainText('running');
  await expect(health.getByRole('row').filter({ hasText: 'Helper container' })).toContainText('running');
  await expect(health.getByRole('row').filter({ hasText: '/readyz' })).toContainText('ok');

  // Logs, read on the node and redacted there.
  await page.goto(nodePage!);
  await row().getByRole('link', { name: 'Logs' }).click();
  await expect(page.getByRole('heading', { name: 'Logs of e2e-claw' })).toBeVisible();
  await expect(page.getByTestId('logs')).toContainText('[gateway]');
  expect(await seriousViolations(page), 'the logs page with lines').toEqual([]);

  // Restart: approval-gated; the approver sees the instance as it is, and the job reports the downtime.
  await page.goto(nodePage!);
  await row().getByRole('button', { name: 'Restart gateway' }).click();
  await expect(page.getByTestId('health-before')).toContainText('healthy', { timeout: 60_000 });
  expect(await approveInBrowser(page)).toBe(`restart e2e-claw on ${NODE_NAME}`);
  await untilCompleted(page);
  await expect(page.getByTestId('job-result')).toContainText(/answered again after [\d.]+ s of downtime/);

  // Adopt: a gateway started by hand shows up as discovered; after the typed phrase it is managed.
  await startHandStartedGateway(docker, 'e2e-found');
  await page.goto(nodePage!);
  const found = page.getByTestId('instances').getByRole('row').filter({ hasText: 'e2e-found' });
  await expect(async () => {
    await page.reload();
    await expect(found).toContainText('discovered', { timeout: 1000 });
    // Both containers, gateway and helper (a heartbeat between their starts reports the gateway alone).
    await expect(found).toContainText(/[0-9a-f]{12}, [0-9a-f]{12}/, { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  await found.getByRole('button', { name: 'Adopt' }).click();
  expect(await approveInBrowser(page)).toBe(`adopt e2e-found on ${NODE_NAME}`);
  await untilCompleted(page, 60_000);
  await expect(page.getByTestId('job-result')).toContainText('nothing on the machine was changed');
  await page.goto(nodePage!);
  await expect(found).toContainText('managed');
});

test('applies capabilities to the gateway after the typed approval: the read-only pack leaves exec out of its effective tools', async ({ page }) => {
  test.setTimeout(300_000);
  test.skip(!nodePage, 'needs the deployment of the first test');
  await signInAsAdmin(page);
  // The instance is the MSP's own: grant its organization the file tools (the runtime tools stay ungranted).
  await page.goto(nodePage!);
  const row = page.getByTestId('instances').getByRole('row').filter({ hasText: 'e2e-claw' });
  await row.getByRole('link', { name: 'Capabilities' }).click();
  await expect(page.getByRole('heading', { name: 'Capabilities of e2e-claw' })).toBeVisible();
  const capabilitiesPage = page.url();
  await page.getByRole('link', { name: 'permissions' }).click();
  const fs = page.getByTestId('permissions').locator('tr[data-key="openclaw.fs"]');
  await fs.getByLabel('Enabled').check();
  await fs.getByRole('checkbox', { name: 'read' }).check();
  await fs.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toHaveText('Saved the permission for OpenClaw file tools (its own).');

  await page.goto(capabilitiesPage);
  const attach = page.getByRole('form', { name: 'Attach a capability' });
  await attach.getByLabel('Capability or pack').selectOption({ label: 'Read-only assistant (pack)' });
  await attach.getByRole('button', { name: 'Attach' }).click();
  await expect(page.getByTestId('attached')).toContainText('pack.read_only_assistant');
  await expect(page.getByTestId('effective').locator('tr[data-key="openclaw.fs"]')).toContainText('read');
  await expect(page.getByTestId('tool-policy-summary')).toContainText('deny');
  await expect(page.getByTestId('tool-policy-summary')).toContainText('exec');

  await page.getByRole('button', { name: 'Apply to the gateway' }).click();
  await expect(page).toHaveURL(/\/jobs\/[0-9a-f-]+$/);
  expect(await approveInBrowser(page)).toBe(`apply capabilities to e2e-claw on ${NODE_NAME}`);
  await untilCompleted(page, 120_000);
  await expect(page.getByTestId('job-result')).toContainText("The gateway's tool policy is applied");
  // What the running gateway reports: read is offered, exec is not.
  const result = page.getByTestId('job-result');
  await expect(result).toContainText(/The running gateway offers: [^;]*\bread\b/);
  await expect(result).toContainText('exec among them');
  await page.goto(capabilitiesPage);
  await expect(page.getByText('the gateway reports the same configuration')).toBeVisible({ timeout: 30_000 });
});
