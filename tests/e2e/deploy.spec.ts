// Issue 5 in the browser: an operator deploys a real OpenClaw gateway to a node from its page; the job
// waits for the typed approval, refuses a wrong phrase with a clear message, and after the right one
// deploys, turns healthy and shows the instance as managed on the node.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { freePort } from '../../infra/ports.ts';
import type { RunningDockerEngine } from '../../infra/services/docker-engine.ts';
import { ensureBundleImage } from '../../agent-worker/openclaw/image.ts';
import { loadConfig } from '../../infra/config.ts';
import { startTestEngine } from '../jest/docker.ts';
import { signInAsAdmin } from './helpers.ts';
import { createNodeInConsole, enrollFromConsole, runAgent } from './nodes-helpers.ts';

const NODE_NAME = `deploy-${Date.now().toString(36)}`;
let engine: RunningDockerEngine;
let stateDir: string;
let agent: ChildProcess | undefined;

test.beforeAll(async () => {
  // The first run on a machine builds the bundle image (about a minute); later runs reuse it.
  test.setTimeout(300_000);
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-e2e-deploy-'));
  engine = await startTestEngine('e2e-deploy');
  await ensureBundleImage(engine.docker, { cacheDir: loadConfig().cacheDir });
});

test.afterAll(async () => {
  agent?.kill('SIGKILL');
  await engine?.stop();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

test('deploys OpenClaw after the typed approval, refusing a wrong phrase first', async ({ page }, testInfo) => {
  test.setTimeout(240_000);
  await signInAsAdmin(page);
  const nodePage = await createNodeInConsole(page, NODE_NAME);
  await enrollFromConsole(page, stateDir);
  agent = runAgent(stateDir, engine.socketPath, testInfo);
  await page.reload();

  const form = page.getByRole('form', { name: 'Deploy OpenClaw' });
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

  const approval = page.getByRole('form', { name: 'Approve' });
  await approval.getByLabel('Phrase').fill('deploy openclaw');
  await approval.getByRole('button', { name: 'Approve' }).click();
  await expect(approval.getByRole('alert')).toHaveText(`The phrase does not match: type exactly "${phrase}".`);
  await expect(page.getByTestId('job-state')).toHaveText('waiting for approval');

  await approval.getByLabel('Phrase').fill(phrase);
  await approval.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByTestId('job-state')).toHaveText(/running|completed/);
  await expect(page.getByTestId('job-state')).toHaveText('completed', { timeout: 180_000 });
  await expect(page.getByTestId('job-result')).toContainText('OpenClaw 2026.9.6');
  await expect(page.getByTestId('approvals')).toContainText('approved');

  await page.goto(nodePage);
  await expect(page.getByTestId('instances').getByRole('row').filter({ hasText: 'e2e-claw' })).toContainText('managed');
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Jobs', exact: true }).click();
  await expect(page.getByTestId('jobs').getByRole('row').filter({ hasText: `e2e-claw on ${NODE_NAME}` })).toContainText('completed');
});
