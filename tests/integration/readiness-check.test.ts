// The end-to-end wiring of the foundation: the real control-plane worker process runs the readiness
// check workflow on the real Temporal server, and its activities write the verdict to PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { auditEvents, readinessChecks } from '../../db/schema.ts';
import type { readinessCheck } from '../../workflows/readiness-check.ts';
import { startAgentStack, type AgentStack } from '../jest/agent-stack.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';
import type { TestDatabase } from '../jest/db.ts';

const QUEUE = ownControlPlaneQueue(import.meta.url);

let stack: AgentStack;
let t: TestDatabase;
let client: Client;

beforeAll(async () => {
  stack = await startAgentStack('readiness-check', {}, { web: false, tenants: false });
  ({ t, controlPlane: { client } } = stack);
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

describe('readiness check workflow', () => {
  it('checks PostgreSQL and Temporal from the real worker and records the result', async () => {
    const workflowId = `readiness-check-test-${Date.now()}`;
    await t.db.insert(readinessChecks).values({ workflowId });
    const outcome = await client.workflow.execute<typeof readinessCheck>('readinessCheck', {
      taskQueue: QUEUE, workflowId, workflowExecutionTimeout: '1 minute',
    });
    expect(outcome.status).toBe('passed');
    expect(outcome.results.map((r) => [r.name, r.ok])).toEqual([['PostgreSQL', true], ['Temporal', true]]);
    expect(outcome.results[0]!.detail).toMatch(/^PostgreSQL 18\.\d+, \d+ migrations applied$/);
    expect(outcome.results[1]!.detail).toMatch(/^Temporal server 1\.\d+\.\d+, namespace "default" reachable$/);

    const [row] = await t.db.select().from(readinessChecks).where(eq(readinessChecks.workflowId, workflowId));
    const run = await client.workflow.getHandle(workflowId).describe();
    expect(row).toMatchObject({ status: 'passed', runId: run.runId });
    expect(row!.completedAt).toBeInstanceOf(Date);
    expect(row!.results).toEqual(outcome.results);
    const events = await t.db.select().from(auditEvents).where(eq(auditEvents.targetId, row!.id));
    expect(events).toEqual([expect.objectContaining({ action: 'system.readiness_check.completed', outcome: 'success', actorType: 'workflow' })]);
  });

  it('fails, with the reason, when the check has no record to write to', async () => {
    const workflowId = `readiness-check-unrecorded-${Date.now()}`;
    const handle = await client.workflow.start<typeof readinessCheck>('readinessCheck', {
      taskQueue: QUEUE, workflowId, workflowExecutionTimeout: '1 minute',
    });
    // recordReadinessResult retries (it is idempotent), so stop the run once the reason is visible.
    let reason = '';
    for (let i = 0; i < 50 && !reason; i++) {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      reason = pending.map((a) => a.lastFailure?.message ?? '').find(Boolean) ?? '';
      if (!reason) await new Promise((r) => setTimeout(r, 200));
    }
    expect(reason).toBe(`no readiness check is recorded for workflow ${workflowId}`);
    await handle.terminate('test done');
  });
});
