// Workflow runs end to end with the real control-plane worker, Temporal server and PostgreSQL: a company
// admin runs "list the Acme shared folder, wait for two of the Acme approvers, tell the office" (a demo
// Drive connection: the output is labelled Demo and feeds the note through a reference). The requester
// cannot approve; each approver counts once and the inbox shows 1 of 2; then the run completes. An MSP
// admin removing files.list from Acme's permission makes the next run stop at step 1 with
// action.not_allowed; a step whose condition does not hold is skipped with why; a simulation calls no
// provider. A live ServiceTitan step runs with canary credentials that appear nowhere in the run's
// Temporal history, neither raw nor decoded with the codec: workflows and activities pass connection ids,
// and the activity that calls the provider opens the secret itself.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from 'drizzle-orm';
import { countAwaitingMe, listInbox } from '../../api/approvals/service.ts';
import { addApproverGroupMember, createApproverGroup } from '../../api/approver-groups/service.ts';
import { createConnection, setConnectionCredentials, testConnection } from '../../api/connections/service.ts';
import type { Actor } from '../../api/authz.ts';
import { ForbiddenError, type InvalidInputError } from '../../api/errors.ts';
import { approveJob, cancelJob, getJob, listJobs, retryJob } from '../../api/jobs/service.ts';
import type { JobOutput } from '../../api/jobs/job-output.ts';
import { setPermission } from '../../api/permissions/service.ts';
import { createDefinition } from '../../api/workflow-definitions/service.ts';
import { setShares } from '../../api/workflow-definitions/sharing.ts';
import { startWorkflowRun } from '../../api/workflow-runs/service.ts';
import { capabilities } from '../../db/schema.ts';
import type { StepOutcome } from '../../workflows/workflow-run.ts';
import { historyBytes, payloadsOf } from '../jest/history-payloads.ts';
import { startServiceTitanStandIn, type ServiceTitanStandIn } from '../stand-ins/servicetitan-server.ts';
import { startAgentStack, type AgentStack } from '../jest/agent-stack.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';
import { driveListStep } from '../jest/sample-steps.ts';
import type { TestDatabase } from '../jest/db.ts';
import { failure, type Tenants } from '../jest/tenants.ts';
import { waitFor } from '../jest/wait-for.ts';

ownControlPlaneQueue(import.meta.url);

let stack: AgentStack;
let t: TestDatabase;
let w: Tenants;
let definitionId: string;
let driveCapabilityId: string;
let driveConnectionId: string;
let secondApprover: Actor;
let outsider: Actor;
let servicetitan: ServiceTitanStandIn;

const CANARY = 'CANARY-5d1c-never-in-temporal';
const titanCredentials = { clientId: `id-${CANARY}`, clientSecret: `cs-${CANARY}-tail`, appKey: `ak-${CANARY}` };
const TENANT = '1234567890';

const drivePermission = (allowedActions: string[]) => ({ enabled: true, allowedActions, confirmation: 'never' });

beforeAll(async () => {
  servicetitan = await startServiceTitanStandIn({ ...titanCredentials, tenantId: TENANT }, { tokenPrefix: `${CANARY}-` });
  // The worker process calls the stand-in; so does this process (the connection's test call).
  Object.assign(process.env, servicetitan.env);
  stack = await startAgentStack('workflow-runs', servicetitan.env, { web: false });
  ({ t, w } = stack);
  const admin = w.ctx(w.actors.admin);
  const [drive] = await t.db.select().from(capabilities).where(eq(capabilities.key, 'google_drive'));
  driveCapabilityId = drive!.id;
  await setPermission(admin, w.acme.id, driveCapabilityId, drivePermission(['files.list', 'files.get']));
  const connection = await createConnection(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, provider: 'google_drive', name: 'Acme Drive', mode: 'demo' });
  await testConnection(w.ctx(w.actors.acmeAdmin), connection.id);
  driveConnectionId = connection.id;
  const group = await createApproverGroup(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, name: 'Acme approvers' });
  secondApprover = await w.person('company_user', w.acme.id, 'second@acme.test');
  outsider = await w.person('company_user', w.acme.id, 'outsider@acme.test');
  for (const person of [w.actors.acmeUser, secondApprover]) await addApproverGroupMember(w.ctx(w.actors.acmeAdmin), group.id, person.userId);
  const definition = await createDefinition(w.ctx(w.actors.acmeAdmin), {
    organizationId: w.acme.id,
    name: 'Acme shared folder',
    steps: [
      driveListStep(connection.id, { pageSize: 5 }),
      {
        id: 'ok',
        name: 'Two approvers look',
        kind: 'wait_for_person',
        message: 'Check the list',
        confirmation: { approvalsNeeded: 2, approverGroupIds: [group.id], onExpiry: 'fail' },
      },
      { id: 'tell', name: 'Tell the office', kind: 'notify', message: 'First file: {{ steps.list.output.files.0.name }}' },
    ],
  });
  definitionId = definition.id;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await servicetitan?.close();
});

const settled = (id: string, done: (j: JobOutput) => boolean, what: string) =>
  waitFor(
    what,
    async () => {
      const job = await getJob(w.ctx(w.actors.admin), id);
      return done(job) ? job : undefined;
    },
    60_000,
  );
const stepsOf = (job: JobOutput) => (job.result?.steps ?? []) as StepOutcome[];

describe('a workflow run', () => {
  it('lists Drive files (Demo), waits for two different Acme approvers, then tells the office with the first file’s name', async () => {
    const run = await startWorkflowRun(w.ctx(w.actors.acmeAdmin), definitionId, {});
    expect(run).toMatchObject({ type: 'workflow_run', label: 'Workflow run', params: { definitionName: 'Acme shared folder', versionNumber: 1, simulate: false } });
    const waiting = await settled(run.id, (j) => j.state === 'waiting_for_approval', 'the run to wait at its approval step');
    expect(waiting).toMatchObject({ step: 'ok', approvalProgress: { given: 0, needed: 2 } });
    expect(stepsOf(waiting)).toEqual([expect.objectContaining({ id: 'list', state: 'completed', source: 'Demo' })]);

    // The requester is no approver here; an approver counts once.
    expect(await failure(approveJob(w.ctx(w.actors.acmeAdmin), run.id, { phrase: waiting.approvalPhrase }))).toBeInstanceOf(ForbiddenError);
    expect(await countAwaitingMe(w.ctx(w.actors.acmeUser))).toBe(1);
    const first = await approveJob(w.ctx(w.actors.acmeUser), run.id, { phrase: waiting.approvalPhrase });
    expect(first).toMatchObject({ state: 'waiting_for_approval', approvalProgress: { given: 1, needed: 2, approvedBy: [w.actors.acmeUser.email] } });
    await expect(approveJob(w.ctx(w.actors.acmeUser), run.id, { phrase: waiting.approvalPhrase })).rejects.toThrow(/already approved/);
    // MSP staff are not named by this step; a person of Acme outside the group may not approve.
    expect((await listInbox(w.ctx(w.actors.admin))).items).toEqual([]);
    expect(await failure(approveJob(w.ctx(outsider), run.id, { phrase: waiting.approvalPhrase }))).toBeInstanceOf(ForbiddenError);
    await approveJob(w.ctx(secondApprover), run.id, { phrase: waiting.approvalPhrase });
    const done = await settled(run.id, (j) => j.state === 'completed' || j.state === 'failed', 'the run to end');
    expect(done.state).toBe('completed');
    const steps = stepsOf(done);
    expect(steps.map((s) => [s.id, s.state])).toEqual([
      ['list', 'completed'],
      ['ok', 'completed'],
      ['tell', 'completed'],
    ]);
    expect(steps[1]!.approvedBy).toEqual([w.actors.acmeUser.email, 'second@acme.test']);
    expect(steps[2]!.output).toEqual({ message: expect.stringMatching(/^First file: Demo – /) });
    expect(done.summary).toBe('3 of 3 steps completed.');
  });

  it('stops the next run at step 1 with action.not_allowed once files.list is no longer allowed; a retry checks again', async () => {
    await setPermission(w.ctx(w.actors.admin), w.acme.id, driveCapabilityId, drivePermission(['files.get']));
    try {
      const run = await startWorkflowRun(w.ctx(w.actors.acmeAdmin), definitionId, {});
      const ended = await settled(run.id, (j) => j.state === 'failed' || j.state === 'completed', 'the run to stop');
      expect(ended.state).toBe('failed');
      expect(ended.failureReason).toMatch(/^step 1 \(List the shared folder\) is blocked by action\.not_allowed: /);
      expect(stepsOf(ended)).toEqual([expect.objectContaining({ id: 'list', state: 'blocked', verdict: expect.objectContaining({ rule: 'action.not_allowed' }) })]);
      // The definition's runs, and only them.
      expect((await listJobs(w.ctx(w.actors.acmeAdmin), { definitionId, limit: 50 })).items.map((j) => j.state)).toEqual(['failed', 'completed']);
      // A retry is a new run of the same version, checked again: allowed again, it passes step 1 and waits for its approvals afresh.
      await setPermission(w.ctx(w.actors.admin), w.acme.id, driveCapabilityId, drivePermission(['files.list', 'files.get']));
      const again = await retryJob(w.ctx(w.actors.admin), run.id);
      expect(again).toMatchObject({ type: 'workflow_run', retryOf: run.id, params: { definitionId, versionNumber: 1, simulate: false } });
      const waiting = await settled(again.id, (j) => j.state === 'waiting_for_approval', 'the retried run to wait for its approvals');
      expect(waiting).toMatchObject({ step: 'ok', approvalProgress: { given: 0, needed: 2 } });
      await cancelJob(w.ctx(w.actors.admin), again.id, {});
    } finally {
      await setPermission(w.ctx(w.actors.admin), w.acme.id, driveCapabilityId, drivePermission(['files.list', 'files.get']));
    }
  });

  it('is started by a company user only when the definition is shared with them; unsharing stops their run at its next step', async () => {
    const acmeAdmin = w.ctx(w.actors.acmeAdmin);
    const user = w.ctx(w.actors.acmeUser);
    const definition = await createDefinition(acmeAdmin, {
      organizationId: w.acme.id,
      name: 'Office check',
      steps: [
        { id: 'hello', name: 'Say hello', kind: 'notify', message: 'Starting' },
        { id: 'look', name: 'An MSP operator looks', kind: 'wait_for_person', message: 'Look at the office' },
        { id: 'bye', name: 'Say goodbye', kind: 'notify', message: 'Done' },
      ],
    });
    expect(await failure(startWorkflowRun(user, definition.id, {}))).toBeInstanceOf(ForbiddenError);
    // Only the organization's active company users: another organization's person reads as nobody; an admin runs everything already.
    const refused = (await failure(
      setShares(acmeAdmin, definition.id, { userIds: [w.actors.acmeUser.userId, w.actors.acmeAdmin.userId, w.actors.globexAdmin.userId] }),
    )) as InvalidInputError;
    expect(refused.fieldErrors).toEqual({
      'userIds.1': expect.stringMatching(/company admin runs every workflow of Acme/),
      'userIds.2': 'no person with this id in Acme',
    });
    expect(await failure(setShares(user, definition.id, { userIds: [w.actors.acmeUser.userId] }))).toBeInstanceOf(ForbiddenError);
    expect((await setShares(acmeAdmin, definition.id, { userIds: [w.actors.acmeUser.userId] })).sharedWith.map((p) => p.email)).toEqual([w.actors.acmeUser.email]);

    const run = await startWorkflowRun(user, definition.id, {});
    const waiting = await settled(run.id, (j) => j.state === 'waiting_for_approval', 'the shared run to wait for an MSP operator');
    // The company user sees their own runs, and only theirs.
    expect((await listJobs(user, { limit: 50 })).items.map((j) => j.id)).toEqual([run.id]);
    expect((await getJob(user, run.id)).requestedBy).toBe(w.actors.acmeUser.email);

    await setShares(acmeAdmin, definition.id, { userIds: [] });
    await approveJob(w.ctx(w.actors.admin), run.id, { phrase: waiting.approvalPhrase });
    const ended = await settled(run.id, (j) => j.state === 'failed' || j.state === 'completed', 'the unshared run to stop');
    expect(ended.state).toBe('failed');
    expect(ended.failureReason).toMatch(/^step 3 \(Say goodbye\): user@acme\.test may no longer run this workflow/);
    expect(stepsOf(ended).map((s) => [s.id, s.state])).toEqual([
      ['hello', 'completed'],
      ['look', 'completed'],
      ['bye', 'failed'],
    ]);
    expect(await failure(startWorkflowRun(user, definition.id, {}))).toBeInstanceOf(ForbiddenError);
  });

  it('skips a step whose condition does not hold, saying why, and runs the one whose condition does', async () => {
    const cutShort = { value: '{{ steps.list.output.incompleteSearch }}', is: 'equal', to: true } as const;
    const definition = await createDefinition(w.ctx(w.actors.acmeAdmin), {
      organizationId: w.acme.id,
      name: 'Only if cut short',
      steps: [
        driveListStep(driveConnectionId, { pageSize: 5 }),
        { id: 'more', name: 'Say the search was cut short', kind: 'notify', message: 'Cut short', when: cutShort },
        { id: 'all', name: 'Say all is listed', kind: 'notify', message: 'All listed', when: { ...cutShort, is: 'not_equal' } },
      ],
    });
    const run = await startWorkflowRun(w.ctx(w.actors.acmeAdmin), definition.id, {});
    const done = await settled(run.id, (j) => j.state === 'completed' || j.state === 'failed', 'the conditional run to end');
    expect(done.state).toBe('completed');
    expect(stepsOf(done).map((s) => [s.id, s.state, s.reason ?? null, s.output ?? null])).toEqual([
      ['list', 'completed', null, expect.objectContaining({ incompleteSearch: false })],
      ['more', 'skipped', 'runs only if steps.list.output.incompleteSearch is true, and it is false', null],
      ['all', 'completed', 'runs only if steps.list.output.incompleteSearch is not true, and it is false', { message: 'All listed' }],
    ]);
    expect(done.summary).toBe('2 of 3 steps completed, 1 skipped.');
  });

  it('simulates with the same checks: outputs say Simulated', async () => {
    const run = await startWorkflowRun(w.ctx(w.actors.acmeAdmin), definitionId, { simulate: true });
    const waiting = await settled(run.id, (j) => j.state === 'waiting_for_approval', 'the simulation to wait for its approvals');
    expect(stepsOf(waiting)[0]).toMatchObject({ id: 'list', source: 'Simulated' });
  });

  it('runs a live ServiceTitan step whose canary credentials are nowhere in the run’s history, raw or decoded', async () => {
    const admin = w.ctx(w.actors.admin);
    const [titan] = await t.db.select().from(capabilities).where(eq(capabilities.provider, 'servicetitan'));
    await setPermission(admin, w.acme.id, titan!.id, { enabled: true, allowedActions: ['customers.list'], confirmation: 'never' });
    const c = await createConnection(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, provider: 'servicetitan', name: 'Acme ServiceTitan', metadata: { tenantId: TENANT } });
    await setConnectionCredentials(w.ctx(w.actors.acmeAdmin), c.id, { credentials: titanCredentials });
    expect((await testConnection(w.ctx(w.actors.acmeAdmin), c.id)).status).toBe('connected');
    const definition = await createDefinition(w.ctx(w.actors.acmeAdmin), {
      organizationId: w.acme.id,
      name: 'Acme customers',
      steps: [
        { id: 'customers', name: 'List customers', kind: 'connection_action', capabilityKey: titan!.key, action: 'customers.list', connectionId: c.id, input: { pageSize: 2 } },
      ],
    });
    const run = await startWorkflowRun(w.ctx(w.actors.acmeAdmin), definition.id, {});
    const done = await settled(run.id, (j) => j.state === 'completed' || j.state === 'failed', 'the ServiceTitan run to end');
    expect(done.state).toBe('completed');
    expect(stepsOf(done)[0]).toMatchObject({ id: 'customers', state: 'completed', source: 'Live' });

    const history = await stack.controlPlane.rawClient.workflow.getHandle(done.workflowId).fetchHistory();
    const raw = historyBytes(history).toString('latin1');
    expect(raw).not.toContain(CANARY);
    const decoded = await stack.controlPlane.codec.decode(payloadsOf(history));
    expect(decoded.length).toBeGreaterThan(3);
    const plain = decoded.map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n');
    expect(plain).toContain(c.id); // the connection travels by id
    expect(plain).not.toContain(CANARY);
    // The customers listed did travel (encrypted): they are the step's output.
    expect(plain).toContain('customers');
  });
});
