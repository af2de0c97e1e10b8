// A workflow run survives every process: while it waits for the second of two approvals, the worker is
// killed and the Temporal dev server stopped and started again on the same database file; afterwards the
// first approval still counts (1 of 2), the second completes the step, and the run ends.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addApproverGroupMember, createApproverGroup } from '../../api/approver-groups/service.ts';
import type { Actor } from '../../api/authz.ts';
import { approveJob, getJob } from '../../api/jobs/service.ts';
import type { JobOutput } from '../../api/jobs/job-output.ts';
import { createDefinition } from '../../api/workflow-definitions/service.ts';
import { startWorkflowRun } from '../../api/workflow-runs/service.ts';
import { startAgentStack, type AgentStack } from '../jest/agent-stack.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';
import { killProcess, startOwnTemporal, type OwnTemporal } from '../jest/own-temporal.ts';
import { waitFor } from '../jest/wait-for.ts';

ownControlPlaneQueue(import.meta.url);

let stack: AgentStack;
let temporal: OwnTemporal;
let approvers: Actor[];
let definitionId: string;

beforeAll(async () => {
  temporal = await startOwnTemporal('run-durable');
  stack = await startAgentStack('workflow-run-durability', {}, { web: false });
  const { w } = stack;
  const group = await createApproverGroup(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, name: 'Acme approvers' });
  approvers = [w.actors.acmeUser, await w.person('company_user', w.acme.id, 'second@acme.test')];
  for (const a of approvers) await addApproverGroupMember(w.ctx(w.actors.acmeAdmin), group.id, a.userId);
  definitionId = (
    await createDefinition(w.ctx(w.actors.acmeAdmin), {
      organizationId: w.acme.id,
      name: 'Durable approval',
      steps: [
        { id: 'ok', name: 'Two approvers look', kind: 'wait_for_person', message: 'Check', confirmation: { approvalsNeeded: 2, approverGroupIds: [group.id], onExpiry: 'fail' } },
        { id: 'tell', name: 'Tell', kind: 'notify', message: 'approved' },
      ],
    })
  ).id;
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await temporal?.stop();
});

const until = (id: string, done: (j: JobOutput) => boolean, what: string) =>
  waitFor(
    what,
    async () => {
      const job = await getJob(stack.w.ctx(stack.w.actors.admin), id);
      return done(job) ? job : undefined;
    },
    90_000,
  );

describe('a workflow run waiting for its second approval', () => {
  it('keeps its first approval across a kill of the worker and a restart of the Temporal server, and completes with the second', async () => {
    const { w } = stack;
    const run = await startWorkflowRun(w.ctx(w.actors.acmeAdmin), definitionId, {});
    const waiting = await until(run.id, (j) => j.state === 'waiting_for_approval', 'the run to wait');
    const first = await approveJob(w.ctx(approvers[0]!), run.id, { phrase: waiting.approvalPhrase });
    expect(first.approvalProgress).toMatchObject({ given: 1, needed: 2 });

    await killProcess(stack.controlPlane.worker);
    await temporal.restart(); // same port, same database file
    stack.controlPlane = await stack.startControlPlane();

    expect((await getJob(w.ctx(w.actors.admin), run.id)).approvalProgress).toMatchObject({ given: 1, needed: 2 });
    // The first approver still counts once: a second approval of theirs is refused by the run itself.
    await expect(approveJob(w.ctx(approvers[0]!), run.id, { phrase: waiting.approvalPhrase })).rejects.toThrow(/already approved/);
    await approveJob(w.ctx(approvers[1]!), run.id, { phrase: waiting.approvalPhrase });
    const done = await until(run.id, (j) => j.state === 'completed' || j.state === 'failed', 'the run to end');
    expect(done.state).toBe('completed');
    expect((done.result!.steps as { id: string; approvedBy?: string[] }[]).map((s) => [s.id, s.approvedBy ?? null])).toEqual([
      ['ok', [approvers[0]!.email, approvers[1]!.email]],
      ['tell', null],
    ]);
  });
});
