// A job with no node, end to end: the readiness check is requested through the job kernel (as the System
// page does), the real control-plane worker process runs its workflow on the real Temporal server, and its
// activities record the verdict as the job's result in PostgreSQL; retrying it makes a new, linked job.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from 'drizzle-orm';
import { getJob, retryJob } from '../../api/jobs/service.ts';
import { requestReadinessCheck } from '../../api/system/readiness.ts';
import { auditEvents, jobs } from '../../db/schema.ts';
import { readinessCheck } from '../../workflows/readiness-check.ts';
import { startAgentStack, type AgentStack } from '../jest/agent-stack.ts';
import { ownControlPlaneQueue, type TestControlPlane } from '../jest/control-plane.ts';
import type { TestDatabase } from '../jest/db.ts';
import { failure, type Tenants } from '../jest/tenants.ts';
import { waitFor } from '../jest/wait-for.ts';

const QUEUE = ownControlPlaneQueue(import.meta.url);

let stack: AgentStack;
let t: TestDatabase;
let w: Tenants;
let controlPlane: TestControlPlane;

beforeAll(async () => {
  stack = await startAgentStack('readiness-check', {}, { web: false });
  ({ t, w, controlPlane } = stack);
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

describe('readiness check, a job without a node', () => {
  it('checks PostgreSQL and Temporal from the real worker and records the verdict on the job', async () => {
    const requested = await requestReadinessCheck(w.ctx(w.actors.operator));
    expect(requested).toMatchObject({ type: 'readiness_check', label: 'Readiness check', nodeId: null, nodeName: null, needsApproval: false, organizationId: w.msp.id });
    const done = await waitFor(
      'the readiness check to end',
      async () => {
        const job = await getJob(w.ctx(w.actors.operator), requested.id);
        return job.state === 'completed' || job.state === 'failed' ? job : undefined;
      },
      60_000,
    );
    expect(done.state).toBe('completed');
    const results = done.result!.results as { name: string; ok: boolean; detail: string }[];
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['PostgreSQL', true],
      ['Temporal', true],
    ]);
    expect(results[0]!.detail).toMatch(/^PostgreSQL 18\.\d+, \d+ migrations applied$/);
    expect(results[1]!.detail).toMatch(/^Temporal server 1\.\d+\.\d+, namespace "default" reachable$/);
    expect(done.summary).toContain('PostgreSQL: PostgreSQL 18');
    // The job's run is the workflow in Temporal, started on this file's queue.
    const run = await controlPlane.client.workflow.getHandle(done.workflowId).describe();
    expect(run.type).toBe(readinessCheck.name);
    expect(run.taskQueue).toBe(QUEUE);
    expect(done.temporalUrl).toContain(`/workflows/${done.workflowId}/${run.runId}/history`);
    const events = await t.db.select().from(auditEvents).where(eq(auditEvents.targetId, done.id));
    expect(events.map((e) => e.action)).toEqual(['job.request', 'job.running', 'job.completed']);
  });

  it('is refused to company people, and a completed check is not retried', async () => {
    expect(await failure(requestReadinessCheck(w.ctx(w.actors.acmeAdmin)))).toMatchObject({ status: 403 });
    const [completed] = await t.db.select().from(jobs).where(eq(jobs.type, 'readiness_check'));
    expect(await failure(retryJob(w.ctx(w.actors.operator), completed!.id))).toMatchObject({ status: 409, message: 'Only a failed or expired job can be retried.' });
  });

  it('retries a failed check as a new job linked to the first', async () => {
    const [failed] = await t.db
      .insert(jobs)
      .values({
        type: 'readiness_check',
        organizationId: w.msp.id,
        workflowId: `readiness-check-failed-${Date.now()}`,
        state: 'failed',
        failureReason: 'Temporal: unreachable',
        params: {},
      })
      .returning();
    const again = await retryJob(w.ctx(w.actors.admin), failed!.id);
    expect(again).toMatchObject({ type: 'readiness_check', retryOf: failed!.id });
    expect(again.id).not.toBe(failed!.id);
    const done = await waitFor(
      'the retried check to complete',
      async () => {
        const job = await getJob(w.ctx(w.actors.admin), again.id);
        return job.state === 'completed' ? job : undefined;
      },
      60_000,
    );
    expect(done.retry).toEqual({ allowed: false, why: 'Only a failed or expired job can be retried.' });
    const [audit] = await t.db.select().from(auditEvents).where(eq(auditEvents.action, 'job.retry'));
    expect(audit).toMatchObject({ targetId: failed!.id, details: expect.objectContaining({ newJobId: again.id }) });
  });
});
