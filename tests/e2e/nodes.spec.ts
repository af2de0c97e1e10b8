// Issue 4's "done when", in the browser: the admin creates a node, runs the enrollment command the console
// shows (on this machine, against a private Docker engine running a customer container and a real
// OpenClaw gateway started by hand), and watches the node turn online, its containers appear and the
// gateway listed as a discovered OpenClaw instance; stopping the agent turns the node stale, then offline.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import type { RunningDockerEngine } from '../../infra/services/docker-engine.ts';
import { startTestEngine } from '../jest/docker.ts';
import { startHandStartedGateway } from '../jest/openclaw-gateway.ts';
import { signInAsAdmin } from './helpers.ts';
import { createNodeInConsole, enrollFromConsole, runAgent } from './nodes-helpers.ts';

const NODE_NAME = `edge-${Date.now().toString(36)}`;
let engine: RunningDockerEngine;
let stateDir: string;
let agent: ChildProcess | undefined;

test.beforeAll(async () => {
  // The first run on a machine builds the OpenClaw bundle image (about a minute); later runs reuse it.
  test.setTimeout(300_000);
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-e2e-agent-'));
  engine = await startTestEngine('e2e-nodes');
  await startHandStartedGateway(engine.docker, 'claw-e2e');
});

test.afterAll(async () => {
  agent?.kill('SIGKILL');
  await engine?.stop();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

test('a node enrolled with the shown command turns online, lists its containers and its OpenClaw gateway, then goes stale and offline', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  await signInAsAdmin(page);
  const nodePage = await createNodeInConsole(page, NODE_NAME);
  await expect(page.getByTestId('node').getByText('pending', { exact: true })).toBeVisible();
  await enrollFromConsole(page, stateDir);
  agent = runAgent(stateDir, engine.socketPath, testInfo);

  // The Nodes page follows status live, without a reload.
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Nodes', exact: true }).click();
  const row = page.getByTestId('nodes').getByRole('row').filter({ hasText: NODE_NAME });
  await expect(row.getByTestId('node-status')).toHaveText('online', { timeout: 20_000 });

  await page.goto(nodePage);
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId('containers')).toContainText('claw-e2e-openclaw-gateway', { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await expect(page.getByTestId('containers')).toContainText('claw-e2e-openclaw-cli');
  const instance = page.getByTestId('instances').getByRole('row').filter({ hasText: 'claw-e2e' });
  await expect(instance).toContainText('discovered');
  await expect(instance).toContainText('anthropy-works/openclaw');

  // "Refresh inventory" asks the agent now and links to the run in Temporal Web.
  await page.getByRole('button', { name: 'Refresh inventory' }).click();
  await expect(page.getByTestId('refresh-started').getByRole('link', { name: /its run in Temporal Web/ })).toHaveAttribute(
    'href',
    /\/namespaces\/default\/workflows\/inventory-refresh-[0-9a-f-]+\/[0-9a-f-]+\/history$/,
  );

  agent.kill('SIGTERM');
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Nodes', exact: true }).click();
  await expect(row.getByTestId('node-status')).toHaveText('stale', { timeout: 20_000 });
  await expect(row.getByTestId('node-status')).toHaveText('offline', { timeout: 30_000 });
  // The node's page tells the story, newest first, with the heartbeat's and the sweep's reasons.
  await page.goto(nodePage);
  await expect(page.getByTestId('status-history').locator('tbody tr td:nth-child(3)')).toHaveText(['offline', 'stale', 'online']);
});
