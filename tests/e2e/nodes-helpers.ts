// Browser steps shared by the node and deployment specs: create a node in the console, run the
// enrollment command it shows (on this machine, against a test Docker engine), and start its agent.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, type Page, type TestInfo } from '@playwright/test';
import { agentEnvironment } from '../../agent-worker/child-env.ts';
import { REPO_ROOT } from '../../infra/config.ts';

const CLI = path.join(REPO_ROOT, 'agent-worker/cli.ts');

/** Creates the node (in the first organization offered) and leaves the browser on its page; returns the page's URL. */
export async function createNodeInConsole(page: Page, name: string): Promise<string> {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Nodes', exact: true }).click();
  const form = page.getByRole('form', { name: 'Create node' });
  await form.getByRole('combobox').selectOption({ index: 1 });
  await form.getByRole('textbox', { name: /^Name/ }).fill(name);
  await form.getByRole('button', { name: 'Create node' }).click();
  await page.getByRole('status').getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { name })).toBeVisible();
  return page.url();
}

/** On the node's page: creates the enrollment command and runs exactly what it shows. */
export async function enrollFromConsole(page: Page, stateDir: string): Promise<void> {
  await page.getByRole('button', { name: 'Create enrollment command' }).click();
  const command = (await page.getByTestId('enroll-command').textContent())!.trim();
  expect(command).toMatch(/^agent-worker enroll --server http:\/\/localhost:\d+ --token awenr_[a-z0-9]+ --control-plane-key [0-9a-f]{16}$/);
  // `agent-worker` is `npm run agent-worker --`; the state goes to a folder of the test's own. The agent
  // runs as on a managed machine: with its allow-listed environment, not the test runner's.
  const enrolled = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, ...command.split(' ').slice(1), '--state-dir', stateDir], {
    encoding: 'utf8',
    env: agentEnvironment(),
  });
  expect(enrolled.status, enrolled.stderr).toBe(0);
}

/** Runs the enrolled agent; its log goes beside the test's other results, for when it fails. */
export function runAgent(stateDir: string, socketPath: string, testInfo: TestInfo): ChildProcess {
  const log = fs.openSync(testInfo.outputPath('agent.log'), 'a');
  const agent = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, 'run', '--state-dir', stateDir, '--docker-socket', socketPath], {
    stdio: ['ignore', log, log],
    env: agentEnvironment(),
  });
  fs.closeSync(log);
  return agent;
}
