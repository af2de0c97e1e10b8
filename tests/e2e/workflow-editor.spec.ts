// Issue 14's editor in the browser, no JSON typed anywhere: a company admin builds "list the Acme shared
// folder, then restart the Acme gateway" from the catalogue, the organization's Drive connection and its
// managed instance, with the input form generated from files.list's schema and a confirmation of two
// approvals from "Acme approvers". A page size out of range is shown beside its field and saves nothing;
// Check policy shows each step's verdict; the save is version 1. Editing adds, moves and removes steps: a
// reference to a later step is refused beside the message, and the fixed order is version 2. Version 3
// checks the gateway's health and restarts it only if unhealthy ("Run only if"), shown in words.
import { expect, test, type Page } from '@playwright/test';
import { and, asc, eq } from 'drizzle-orm';
import { createDb, type Db } from '../../db/client.ts';
import { approverGroups, connections, instances, nodes, workflowDefinitions, workflowVersions } from '../../db/schema.ts';
import { generateKeyPair } from '../../protocol/envelope.ts';
import { driveListStep } from '../jest/sample-steps.ts';
import { customerAllowed, testedDemoDrive } from './connections-helpers.ts';

let db: Db;
test.beforeAll(() => {
  db = createDb(process.env.E2E_DATABASE_URL!, { max: 1 });
});
test.afterAll(async () => {
  await db?.$client.end();
});

const NAME = 'List and restart';
const step = (page: Page, n: number) => page.getByTestId(`editor-step-${n}`);
const versionsOf = async (organizationId: string) => {
  const [d] = await db
    .select()
    .from(workflowDefinitions)
    .where(and(eq(workflowDefinitions.organizationId, organizationId), eq(workflowDefinitions.name, NAME)));
  return d ? db.select().from(workflowVersions).where(eq(workflowVersions.definitionId, d.id)).orderBy(asc(workflowVersions.number)) : [];
};

test('a company admin builds, checks, saves and re-orders a workflow in the editor, without JSON', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const customer = await customerAllowed(page, browser, 'Acme', { key: 'google_drive', name: 'Google Drive', action: 'files.list' });

  // The organization's demo Drive connection, tested (console); its managed gateway and approver group (records).
  const connectionId = await testedDemoDrive(customer, 'Acme Drive');
  const [connection] = await db.select().from(connections).where(eq(connections.id, connectionId));
  const organizationId = connection!.organizationId;
  const [node] = await db
    .insert(nodes)
    .values({ organizationId, name: 'acme-edge', status: 'online', agentPublicKey: generateKeyPair().publicKey, enrolledAt: new Date() })
    .returning();
  const [gateway] = await db
    .insert(instances)
    .values({ organizationId, nodeId: node!.id, name: 'acme-gateway', state: 'managed', containerIds: ['a'.repeat(64), 'b'.repeat(64)], port: 18789, bundleVersion: '2026.9.6' })
    .returning();
  // A discovered one is not offered: only managed instances take lifecycle steps.
  await db.insert(instances).values({ organizationId, nodeId: node!.id, name: 'stray-gateway', state: 'discovered', containerIds: ['c'.repeat(64)] });
  const [group] = await db.insert(approverGroups).values({ organizationId, name: 'Acme approvers' }).returning();

  // MSP staff choose the organization first: the steps pick its connections, instances and groups.
  await page.goto('/workflows');
  await page.getByRole('link', { name: 'New workflow' }).click();
  const choose = page.getByRole('form', { name: 'Choose organization' });
  await choose.getByLabel('Organization').selectOption(organizationId);
  await choose.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: /^New workflow in Acme/ })).toBeVisible();
  await expect(page.getByLabel('Kind of step')).toBeEnabled();

  await customer.goto('/workflows');
  await customer.getByRole('link', { name: 'New workflow' }).click();
  await expect(customer.getByRole('heading', { name: /^New workflow in Acme/ })).toBeVisible();
  const editor = customer.getByRole('form', { name: 'Workflow editor' });
  await editor.getByLabel('Name', { exact: true }).fill(NAME);
  await editor.getByLabel('Description').fill('The Acme shared folder, then a gateway restart after two approvals.');

  // Step 1: Google Drive files.list through the Drive connection, its input from the generated form.
  await editor.getByRole('button', { name: 'Add step' }).click();
  await step(customer, 1).getByLabel('Step name').fill('List the shared folder');
  await expect(step(customer, 1).getByLabel('Id (for references)')).toHaveValue('list-the-shared-folder');
  await step(customer, 1).getByLabel('Id (for references)').fill('list');
  await step(customer, 1).getByLabel('Capability').selectOption({ label: 'Google Drive' });
  await step(customer, 1).getByLabel('Action').selectOption('files.list');
  await step(customer, 1).getByLabel('Connection').selectOption(connectionId);
  const input = step(customer, 1).getByTestId('step-input');
  await expect(input).toContainText('default 100 · 1 to 1000'); // pageSize's default and range, from its schema
  await input.getByLabel('folderId').fill('acme-shared');
  await input.getByLabel('pageSize').fill('5000');

  // Step 2: restart the managed gateway, confirmed by two of Acme approvers.
  await editor.getByLabel('Kind of step').selectOption('instance_action');
  await editor.getByRole('button', { name: 'Add step' }).click();
  await step(customer, 2).getByLabel('Step name').fill('Restart the Acme gateway');
  await step(customer, 2).getByLabel('Lifecycle action').selectOption('restart');
  await expect(step(customer, 2).getByLabel('Instance').locator('option')).toHaveText(['Choose…', 'acme-gateway on acme-edge']);
  await step(customer, 2).getByLabel('Instance').selectOption(gateway!.id);
  const confirmation = step(customer, 2).getByTestId('step-confirmation');
  await confirmation.getByRole('checkbox', { name: 'Ask for a stricter confirmation' }).check();
  await confirmation.getByLabel('Approvals needed').fill('2');
  await confirmation.getByRole('checkbox', { name: 'Acme approvers' }).check();

  // The page size is out of range: said beside the field and at the top, and nothing is saved.
  await editor.getByRole('button', { name: 'Save version 1' }).click();
  await expect(customer.getByTestId('editor-errors')).toContainText('Nothing was saved.');
  await expect(customer.getByTestId('editor-errors')).toContainText('Step 1 (List the shared folder), input.pageSize');
  await expect(input).toContainText('pageSize is at most 1000');
  await expect(step(customer, 2)).not.toContainText('pageSize is at most 1000');
  expect(await versionsOf(organizationId)).toHaveLength(0);

  // Fixed, the policy engine's verdict beside each step.
  await input.getByLabel('pageSize').fill('5');
  await editor.getByRole('button', { name: 'Check policy' }).click();
  await expect(step(customer, 1).getByTestId('step-verdict')).toContainText('Policy now: allowed: Acme');
  await expect(step(customer, 1).getByTestId('step-verdict')).toContainText('Google Drive: files.list');
  await expect(step(customer, 2).getByTestId('step-verdict')).toContainText('Policy now: needs confirmation');
  await expect(step(customer, 2).getByTestId('step-verdict')).toContainText('The step’s own confirmation applies where it is stricter.');
  await expect(customer.getByTestId('editor-errors')).toHaveCount(0);
  expect(await versionsOf(organizationId)).toHaveLength(0);

  await editor.getByRole('button', { name: 'Save version 1' }).click();
  await expect(customer.getByRole('heading', { name: NAME, exact: true })).toBeVisible();
  const [v1] = await versionsOf(organizationId);
  expect(v1!.steps).toEqual([
    driveListStep(connectionId, { folderId: 'acme-shared', pageSize: 5 }),
    {
      id: 'restart-the-acme-gateway',
      name: 'Restart the Acme gateway',
      kind: 'instance_action',
      action: 'restart',
      instanceId: gateway!.id,
      input: {},
      confirmation: { approvalsNeeded: 2, approverGroupIds: [group!.id], onExpiry: 'fail' },
    },
  ]);
  const steps = customer.getByTestId('workflow-steps');
  await expect(steps).toContainText('google_drive: files.list through Acme Drive');
  await expect(steps).toContainText('OpenClaw lifecycle: restart of acme-gateway');
  await expect(steps).toContainText('2 approvals, 1 approver group(s), on expiry: fail');

  // Editing: a notify step moved before the listing it refers to is refused beside its message.
  await customer.getByRole('link', { name: 'Edit', exact: true }).click();
  await expect(step(customer, 1).getByTestId('step-input').getByLabel('pageSize')).toHaveValue('5');
  await editor.getByLabel('Kind of step').selectOption('notify');
  await editor.getByRole('button', { name: 'Add step' }).click();
  await step(customer, 3).getByLabel('Step name').fill('Tell the office');
  await expect(step(customer, 3).getByTestId('step-references')).toContainText('{{ steps.list.output.<path> }}, {{ steps.restart-the-acme-gateway.output.<path> }}');
  await step(customer, 3).getByLabel('Message').fill('First file: {{ steps.list.output.files.0.name }}');
  await step(customer, 3).getByRole('button', { name: 'Move up' }).click();
  await step(customer, 2).getByRole('button', { name: 'Move up' }).click();
  await expect(step(customer, 1).getByLabel('Step name')).toHaveValue('Tell the office');
  await editor.getByRole('button', { name: 'Save version 2' }).click();
  await expect(step(customer, 1)).toContainText('step "tell-the-office" refers to step "list" which comes later');
  expect(await versionsOf(organizationId)).toHaveLength(1);

  // Moved back down, and a wait step added then removed: version 2 holds list, tell, restart.
  await step(customer, 1).getByRole('button', { name: 'Move down' }).click();
  await editor.getByLabel('Kind of step').selectOption('wait_for_person');
  await editor.getByRole('button', { name: 'Add step' }).click();
  await expect(step(customer, 4)).toContainText('Wait for a person');
  await step(customer, 4).getByRole('button', { name: 'Remove' }).click();
  await expect(step(customer, 4)).toHaveCount(0);
  await editor.getByRole('button', { name: 'Save version 2' }).click();
  await expect(customer.getByRole('heading', { name: NAME, exact: true })).toBeVisible();
  const versions = await versionsOf(organizationId);
  expect(versions.map((v) => [v.number, (v.steps as { id: string }[]).map((s) => s.id)])).toEqual([
    [1, ['list', 'restart-the-acme-gateway']],
    [2, ['list', 'tell-the-office', 'restart-the-acme-gateway']],
  ]);
  await expect(customer.getByTestId('workflow-versions').locator('tbody tr')).toHaveCount(2);
  await expect(steps.locator('tbody tr')).toHaveCount(3);
  await expect(steps.locator('tbody tr').nth(1)).toContainText('Notify: First file: {{ steps.list.output.files.0.name }}');

  // Version 3: a health check of the gateway, then the restart only if it is unhealthy ("Run only if").
  await customer.getByRole('link', { name: 'Edit', exact: true }).click();
  await expect(step(customer, 1).getByTestId('step-condition').getByRole('checkbox')).toBeDisabled(); // the first step always runs
  await editor.getByLabel('Kind of step').selectOption('instance_action');
  await editor.getByRole('button', { name: 'Add step' }).click();
  await step(customer, 4).getByLabel('Step name').fill('Check the gateway');
  await step(customer, 4).getByLabel('Instance').selectOption(gateway!.id);
  await step(customer, 4).getByRole('button', { name: 'Move up' }).click();
  const condition = step(customer, 4).getByTestId('step-condition');
  await condition.getByRole('checkbox', { name: 'Run this step only if' }).check();
  await expect(condition.getByLabel('Output of step')).toHaveValue('check-the-gateway');
  await condition.getByLabel('Path in its output').fill('health healthy');
  await condition.getByLabel('Value').fill('false');
  await editor.getByRole('button', { name: 'Save version 3' }).click();
  await expect(condition).toContainText('value is exactly one reference');
  expect(await versionsOf(organizationId)).toHaveLength(2);
  await condition.getByLabel('Path in its output').fill('health.healthy');
  await expect(condition).toContainText('Reads {{ steps.check-the-gateway.output.health.healthy }}');
  await editor.getByRole('button', { name: 'Save version 3' }).click();
  await expect(customer.getByRole('heading', { name: NAME, exact: true })).toBeVisible();
  const v3 = (await versionsOf(organizationId))[2]!.steps as { id: string; action?: string; when?: unknown }[];
  expect(v3.map((s) => [s.id, s.action ?? null, s.when ?? null])).toEqual([
    ['list', 'files.list', null],
    ['tell-the-office', null, null],
    ['check-the-gateway', 'health', null],
    ['restart-the-acme-gateway', 'restart', { value: '{{ steps.check-the-gateway.output.health.healthy }}', is: 'equal', to: false }],
  ]);
  await expect(steps.locator('tbody tr').nth(3).getByTestId('step-condition')).toHaveText('only if steps.check-the-gateway.output.health.healthy is false');
  await expect(steps.getByTestId('step-condition')).toHaveCount(1);
});
