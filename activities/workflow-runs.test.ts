// A workflow run's activities believe the run's pinned version in Postgres, not what the workflow hands
// them: the approval policy a gated step waits under is computed from the pinned step and the permission
// now, and a step that is not the version's (another id, another connection) is refused.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import { jobs, workflowDefinitions, workflowVersions } from '../db/schema.ts';
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
const asRunOf = <A extends unknown[], R>(of: typeof run, fn: (...a: A) => Promise<R>, ...args: A) =>
  new MockActivityEnvironment({ workflowExecution: { workflowId: of.workflowId, runId: of.runId }, workflowType: 'workflowRun' }).run(fn, ...args);
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
    const [d] = await t.db.insert(workflowDefinitions).values({ organizationId: w.acme.id, name: 'Gone gateway' }).returning();
    const [v] = await t.db
      .insert(workflowVersions)
      .values({ definitionId: d!.id, number: 1, name: 'Gone gateway', description: '', steps: [gone], contentHash: 'g' })
      .returning();
    const other = { id: '', workflowId: `workflow_run-${crypto.randomUUID()}`, runId: crypto.randomUUID() };
    const [job] = await t.db
      .insert(jobs)
      .values({
        type: 'workflow_run',
        organizationId: w.acme.id,
        workflowId: other.workflowId,
        runId: other.runId,
        state: 'running',
        requestedBy: w.actors.acmeAdmin.userId,
        params: { versionId: v!.id, definitionId: d!.id },
      })
      .returning();
    other.id = job!.id;
    const checked = await asRunOf(other, activities().checkRunStep, { jobId: other.id, step: gone, outputs: {}, simulate: false });
    expect(checked).toMatchObject({ verdict: { outcome: 'blocked', rule: 'instance.missing' } });
  });
});
