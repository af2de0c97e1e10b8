// The record of an applied tool policy is what drift is measured against, so only the run of an apply
// job whose approval Postgres recorded may write it. Another job's genuine run on the same instance (a
// health check whose workflow code was swapped by someone who reaches the control-plane queue), an
// apply nobody approved, or a workflow that is no job's run is refused, audited, and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { and, eq } from 'drizzle-orm';
import { auditEvents, instances, jobs, nodes, type JobApproval } from '../db/schema.ts';
import { freshDatabase, type TestDatabase } from '../tests/jest/db.ts';
import { seedTenants, type Tenants } from '../tests/jest/tenants.ts';
import { createToolPolicyActivities, type AppliedToolsRecord } from './tool-policy.ts';

let t: TestDatabase;
let w: Tenants;
let instanceId: string;
let nodeId: string;

beforeAll(async () => {
  t = await freshDatabase();
  w = await seedTenants(t.db);
  nodeId = (await t.db.insert(nodes).values({ organizationId: w.acme.id, name: 'edge' }).returning())[0]!.id;
  const [instance] = await t.db
    .insert(instances)
    .values({ organizationId: w.acme.id, nodeId, name: 'claw', state: 'managed', containerIds: ['c'.repeat(64)], port: 18789, driftedSince: new Date() })
    .returning();
  instanceId = instance!.id;
});
afterAll(() => t.close());

/** A job on the instance whose run is `runId`; approved by a person or not. */
async function job(type: string, approved: boolean) {
  const workflowId = `${type}-${crypto.randomUUID()}`;
  const runId = crypto.randomUUID();
  const approvals: JobApproval[] = approved
    ? [{ at: new Date().toISOString(), by: 'admin@msp.test', role: 'msp_admin', via: 'console', outcome: 'approved', userId: w.actors.admin.userId!, nonce: 'n1' }]
    : [];
  const [row] = await t.db.insert(jobs).values({ type, organizationId: w.acme.id, nodeId, instanceId, workflowId, runId, state: 'running', approvals }).returning();
  return { id: row!.id, workflowId, runId };
}

const record = (jobId: string): AppliedToolsRecord => ({
  jobId,
  instanceId,
  hash: 'f'.repeat(64),
  tools: { allow: [] },
  writtenAt: new Date().toISOString(),
  allowed: [],
  denied: ['exec'],
});

/** Calls the activity as the given run would (the server sets the workflow execution in the activity's info). */
const asRun = (run: { workflowId: string; runId: string }, input: AppliedToolsRecord) =>
  new MockActivityEnvironment({ workflowExecution: run, workflowType: 'rogue' }).run(createToolPolicyActivities({ db: t.db }).recordToolPolicyApplied, input);

const instanceNow = async () => (await t.db.select().from(instances).where(eq(instances.id, instanceId)))[0]!;

describe('recordToolPolicyApplied', () => {
  it.each([
    ['a health check’s own run', 'health_check', true],
    ['an apply nobody approved', 'apply_capabilities', false],
  ])('refuses %s, audits the refusal, and leaves the drift as it was', async (_what, type, approved) => {
    const j = await job(type, approved);
    await expect(asRun(j, record(j.id))).rejects.toMatchObject({ type: 'NotAnApprovedApply', nonRetryable: true });
    const after = await instanceNow();
    expect(after.appliedToolsHash).toBeNull();
    expect(after.driftedSince).not.toBeNull();
    const denied = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'instance.tool_policy'), eq(auditEvents.targetId, j.id), eq(auditEvents.outcome, 'denied')));
    expect(denied).toHaveLength(1);
    expect(denied[0]!.reason).toBe(`refused: job ${j.id} is not an approved apply of capabilities`);
  });

  it('refuses a workflow that is no job’s run, even naming a real approved apply', async () => {
    const j = await job('apply_capabilities', true);
    await expect(asRun({ workflowId: `rogue-${crypto.randomUUID()}`, runId: crypto.randomUUID() }, record(j.id))).rejects.toMatchObject({ type: 'NotThisJobsRun' });
    expect((await instanceNow()).appliedToolsHash).toBeNull();
  });

  it('records the approved apply’s own run, and the drift ends', async () => {
    const j = await job('apply_capabilities', true);
    await asRun(j, record(j.id));
    const after = await instanceNow();
    expect(after.appliedToolsHash).toBe('f'.repeat(64));
    expect(after.driftedSince).toBeNull();
  });
});
