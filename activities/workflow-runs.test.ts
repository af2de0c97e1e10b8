// A workflow run's activities believe the run's pinned version in Postgres, not what the workflow hands
// them: the approval policy a gated step waits under is computed from the pinned step and the permission
// now, a step that is not the version's (another id, another connection) is refused, and a step's
// condition is the pinned one's (unmet: skipped, and the policy engine neither asked nor counted).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import { createConnection, testConnection } from '../api/connections/service.ts';
import { setPermission } from '../api/permissions/service.ts';
import { capabilities, capabilityUsage, jobs, workflowDefinitions, workflowVersions } from '../db/schema.ts';
import type { Step } from '../protocol/workflow-definition.ts';
import { driveListStep } from '../tests/jest/sample-steps.ts';
import { freshDatabase, type TestDatabase } from '../tests/jest/db.ts';
import { seedTenants, type Tenants } from '../tests/jest/tenants.ts';
import { createWorkflowRunActivities } from './workflow-runs.ts';

let t: TestDatabase;
let w: Tenants;
let run: { id: string; workflowId: string; runId: string };
const GROUP = crypto.randomUUID();
const steps: Step[] = [
  { id: 'ok', name: 'Two look', kind: 'wait_for_person', message: 'Look', confirmation: { approvalsNeeded: 2, approverGroupIds: [GROUP], onExpiry: 'fail' } },
  { id: 'tell', name: 'Tell', kind: 'notify', message: 'done' },
];

beforeAll(async () => {
  t = await freshDatabase();
  w = await seedTenants(t.db);
  const [d] = await t.db.insert(workflowDefinitions).values({ organizationId: w.acme.id, name: 'Pinned' }).returning();
  const [v] = await t.db.insert(workflowVersions).values({ definitionId: d!.id, number: 1, name: 'Pinned', description: '', steps, contentHash: 'h' }).returning();
  const workflowId = `workflow_run-${crypto.randomUUID()}`;
  const runId = crypto.randomUUID();
  const [job] = await t.db
    .insert(jobs)
    .values({ type: 'workflow_run', organizationId: w.acme.id, workflowId, runId, state: 'running', requestedBy: w.actors.acmeAdmin.userId, params: { versionId: v!.id } })
    .returning();
  run = { id: job!.id, workflowId, runId };
});
afterAll(() => t.close());

const activities = () => createWorkflowRunActivities({ db: t.db });

/** A new definition with one version of `stepsOf`, and a running job of it requested by Acme's admin. */
async function runOfNew(name: string, stepsOf: Step[]): Promise<typeof run> {
  const [d] = await t.db.insert(workflowDefinitions).values({ organizationId: w.acme.id, name }).returning();
  const [v] = await t.db.insert(workflowVersions).values({ definitionId: d!.id, number: 1, name, description: '', steps: stepsOf, contentHash: name }).returning();
  const other = { workflowId: `workflow_run-${crypto.randomUUID()}`, runId: crypto.randomUUID() };
  const [job] = await t.db
    .insert(jobs)
    .values({
      type: 'workflow_run',
      organizationId: w.acme.id,
      ...other,
      state: 'running',
      requestedBy: w.actors.acmeAdmin.userId,
      params: { versionId: v!.id, definitionId: d!.id },
    })
    .returning();
  return { id: job!.id, ...other };
}
const asRunOf = <A extends unknown[], R>(of: typeof run, fn: (...a: A) => Promise<R>, ...args: A) =>
  new MockActivityEnvironment({ workflowExecution: { workflowId: of.workflowId, runId: of.runId }, workflowType: 'workflowRun' }).run(fn, ...args) as Promise<R>;
const asRun = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A) => asRunOf(run, fn, ...args);

describe('a workflow run’s activities', () => {
  it('wait under the approval policy of the pinned step, whatever the workflow asks', async () => {
    await asRun(activities().openStepApproval, { jobId: run.id, stepId: 'ok', phrase: 'run ok of Pinned', expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    const [job] = await t.db.select().from(jobs).where(eq(jobs.id, run.id));
    expect(job).toMatchObject({ state: 'waiting_for_approval', step: 'ok', approvalPolicy: { approvalsNeeded: 2, approverRoles: [], approverGroupIds: [GROUP] } });
  });

  it('refuse a step the version does not hold, or holds otherwise', async () => {
    await expect(asRun(activities().openStepApproval, { jobId: run.id, stepId: 'nope', phrase: 'x', expiresAt: new Date().toISOString() })).rejects.toMatchObject({
      type: 'NotThisRunsStep',
    });
    const forged = { ...driveListStep(crypto.randomUUID()), id: 'tell' };
    await expect(asRun(activities().runConnectionStep, { jobId: run.id, step: forged, simulate: false })).rejects.toMatchObject({ type: 'NotThisRunsStep' });
    await expect(asRun(activities().checkRunStep, { jobId: run.id, step: { ...forged, id: 'elsewhere' }, outputs: {}, simulate: true })).rejects.toMatchObject({
      type: 'NotThisRunsStep',
    });
  });

  it('block an instance step whose instance no longer exists with instance.missing, as the preview says', async () => {
    const gone: Step = { id: 'restart', name: 'Restart', kind: 'instance_action', action: 'restart', instanceId: crypto.randomUUID(), input: {} };
    const other = await runOfNew('Gone gateway', [gone]);
    const checked = await asRunOf(other, activities().checkRunStep, { jobId: other.id, step: gone, outputs: {}, simulate: false });
    expect(checked).toMatchObject({ verdict: { outcome: 'blocked', rule: 'instance.missing' } });
  });
});

describe('a step with a condition (when)', () => {
  const check: Step = { id: 'check-gw', name: 'Check the gateway', kind: 'instance_action', action: 'health', instanceId: crypto.randomUUID(), input: {} };
  const onlyIfDown = { value: '{{ steps.check-gw.output.health.healthy }}', is: 'equal', to: false } as const;
  let listIfDown: Extract<Step, { kind: 'connection_action' }>;
  let other: typeof run;
  const used = async () => (await t.db.select().from(capabilityUsage).where(eq(capabilityUsage.jobId, other.id))).length;
  const checkWith = (step: Step, outputs: Record<string, unknown>, simulate = false) => asRunOf(other, activities().checkRunStep, { jobId: other.id, step, outputs, simulate });

  beforeAll(async () => {
    // Acme may list its Drive with no confirmation, through a connected (demo) connection: a real run counts each use.
    const admin = w.ctx(w.actors.admin);
    const [drive] = await t.db.select().from(capabilities).where(eq(capabilities.key, 'google_drive'));
    await setPermission(admin, w.acme.id, drive!.id, { enabled: true, allowedActions: ['files.list'], confirmation: 'never' });
    const connection = await createConnection(admin, { organizationId: w.acme.id, provider: 'google_drive', name: 'Acme Drive', mode: 'demo' });
    await testConnection(admin, connection.id);
    listIfDown = { ...driveListStep(connection.id), when: onlyIfDown };
    other = await runOfNew('List if down', [check, listIfDown]);
  });

  it('skips the pinned step when its condition does not hold, asking the policy engine nothing', async () => {
    const healthy = { 'check-gw': { health: { healthy: true } } };
    expect(await checkWith(listIfDown, healthy)).toEqual({ skipped: 'runs only if steps.check-gw.output.health.healthy is false, and it is true' });
    // The workflow's copy without the condition changes nothing: the pinned step's condition decides.
    const { when: _, ...forged } = listIfDown;
    expect(await checkWith(forged as Step, healthy)).toEqual({ skipped: expect.stringContaining('runs only if') });
    expect(await used()).toBe(0);
  });

  it('asks the policy engine (and counts the use) when it holds, saying why the step runs', async () => {
    const checked = await checkWith(listIfDown, { 'check-gw': { health: { healthy: false } } });
    expect(checked).toMatchObject({
      step: { id: 'list', when: onlyIfDown },
      verdict: { outcome: 'allowed' },
      condition: 'runs only if steps.check-gw.output.health.healthy is false, and it is false',
    });
    expect(await used()).toBe(1);
    // The step handed back is still the pinned one, condition and all: the next activity takes it.
    if (!('step' in checked)) throw new Error('expected a verdict');
    await expect(asRunOf(other, activities().runConnectionStep, { jobId: other.id, step: checked.step as typeof listIfDown, simulate: true })).resolves.toMatchObject({
      source: 'Simulated',
    });
  });

  it('fails a real run whose condition cannot be read, and lets a simulation go on as if it held', async () => {
    expect(await checkWith(listIfDown, {})).toEqual({ unresolved: '{{ steps.check-gw.output.health.healthy }}: step "check-gw" has no output yet' });
    const simulated = await checkWith(listIfDown, { 'check-gw': { simulated: true, action: 'health' } }, true);
    expect(simulated).toMatchObject({ verdict: { outcome: 'allowed' }, condition: expect.stringContaining('which a simulation cannot know') });
    expect(await used()).toBe(1);
  });
});
