// Approver groups and N-of-M approvals against a real database: who manages groups and who may join,
// permissions naming groups (only MSP staff widen who approves), and the one rule of who may decide a
// waiting request (api/jobs/approvers.ts) as the confirming activity, the inbox and the job page apply it:
// a member approves once, a second approval by the same person is refused, a person removed from the
// group is refused at once, and the requester never sees their own request where self-approval is forbidden.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import { createJobActivities } from '../../activities/jobs.ts';
import { capabilities, jobs } from '../../db/schema.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { insertWaitingJob } from '../../tests/jest/waiting-job.ts';
import { failure, seedTenants, type Tenants } from '../../tests/jest/tenants.ts';
import { countAwaitingMe, listInbox } from '../approvals/service.ts';
import type { Actor } from '../authz.ts';
import { LIFECYCLE_KEY } from '../capabilities/catalogue.ts';
import { ConflictError, ForbiddenError, NotFoundError, type InvalidInputError } from '../errors.ts';
import { issueGrant } from '../jobs/approval-grant.ts';
import { canDecideJob, getJob } from '../jobs/service.ts';
import { setPermission } from '../permissions/service.ts';
import { addApproverGroupMember, createApproverGroup, deleteApproverGroup, listApproverGroups, removeApproverGroupMember } from './service.ts';

let t: TestDatabase;
let w: Tenants;
let groupId: string;

beforeAll(async () => {
  t = await freshDatabase();
  w = await seedTenants(t.db);
});
afterAll(() => t.close());

describe('approver groups', () => {
  it('are created by company admins for their organization and MSP staff; members are its people or MSP staff', async () => {
    const g = await createApproverGroup(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, name: 'Acme approvers' });
    groupId = g.id;
    expect(g).toMatchObject({ organizationName: 'Acme', mspWide: false, members: [] });
    expect(await failure(createApproverGroup(w.ctx(w.actors.acmeUser), { organizationId: w.acme.id, name: 'Mine' }))).toBeInstanceOf(ForbiddenError);
    expect(await failure(createApproverGroup(w.ctx(w.actors.globexAdmin), { organizationId: w.acme.id, name: 'X' }))).toBeInstanceOf(NotFoundError);
    expect(await failure(createApproverGroup(w.ctx(w.actors.admin), { organizationId: w.acme.id, name: 'acme APPROVERS' }))).toBeInstanceOf(ConflictError);
    const bad = (await failure(createApproverGroup(w.ctx(w.actors.admin), { organizationId: 'x', name: '' }))) as InvalidInputError;
    expect(Object.keys(bad.fieldErrors).sort()).toEqual(['name', 'organizationId']);

    await addApproverGroupMember(w.ctx(w.actors.acmeAdmin), groupId, w.actors.acmeUser.userId);
    await addApproverGroupMember(w.ctx(w.actors.acmeAdmin), groupId, w.actors.acmeAdmin.userId);
    const withOperator = await addApproverGroupMember(w.ctx(w.actors.admin), groupId, w.actors.operator.userId);
    expect(withOperator.members.map((m) => m.email).sort()).toEqual([w.actors.acmeAdmin.email, w.actors.acmeUser.email, w.actors.operator.email].sort());
    // Another organization's person: not found for a company admin, refused by name for MSP staff.
    expect(await failure(addApproverGroupMember(w.ctx(w.actors.acmeAdmin), groupId, w.actors.globexAdmin.userId))).toBeInstanceOf(NotFoundError);
    expect(await failure(addApproverGroupMember(w.ctx(w.actors.admin), groupId, w.actors.globexAdmin.userId))).toMatchObject({
      fieldErrors: { userId: `${w.actors.globexAdmin.email} may not join Acme approvers: its members are people of its organization and MSP staff.` },
    });
    expect((await listApproverGroups(w.ctx(w.actors.globexAdmin), {})).items).toEqual([]);
    expect((await listApproverGroups(w.ctx(w.actors.acmeUser), {})).items.map((x) => x.name)).toEqual(['Acme approvers']);
  });

  it('are named in a permission by MSP staff only, must exist for the organization, and cannot be deleted while named', async () => {
    const [lifecycle] = await t.db.select().from(capabilities).where(eq(capabilities.key, LIFECYCLE_KEY));
    const perm = (approval: Record<string, unknown>) => ({ enabled: true, allowedActions: ['health', 'restart'], confirmation: 'by_risk', approval });
    const unknown = crypto.randomUUID();
    expect(await failure(setPermission(w.ctx(w.actors.admin), w.acme.id, lifecycle!.id, perm({ approverGroupIds: [unknown] })))).toMatchObject({
      fieldErrors: { 'approval.approverGroupIds': `no approver group ${unknown} of this organization or the MSP` },
    });
    expect(await failure(setPermission(w.ctx(w.actors.admin), w.acme.id, lifecycle!.id, perm({ approvalsNeeded: 6 })))).toMatchObject({
      fieldErrors: { 'approval.approvalsNeeded': 'approvalsNeeded is at most 5' },
    });
    const set = await setPermission(
      w.ctx(w.actors.admin),
      w.acme.id,
      lifecycle!.id,
      perm({ approvalsNeeded: 2, approverRoles: [], approverGroupIds: [groupId], forbidSelfApproval: true }),
    );
    expect(set.approval).toMatchObject({ approvalsNeeded: 2, approverRoles: [], approverGroupIds: [groupId] });
    const other = await createApproverGroup(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, name: 'Acme others' });
    expect(
      await failure(
        setPermission(
          w.ctx(w.actors.acmeAdmin),
          w.acme.id,
          lifecycle!.id,
          perm({ approvalsNeeded: 2, approverRoles: [], approverGroupIds: [groupId, other.id], forbidSelfApproval: true }),
        ),
      ),
    ).toMatchObject({ message: 'approval.approverGroupIds: only MSP staff add approver groups. A company admin may only narrow a permission.' });
    expect(await failure(deleteApproverGroup(w.ctx(w.actors.acmeAdmin), groupId))).toMatchObject({
      fieldErrors: { id: 'A permission names Acme approvers as approvers: change them first.' },
    });
    await deleteApproverGroup(w.ctx(w.actors.acmeAdmin), other.id);
  });
});

describe('a request needing 2 approvals from the group', () => {
  let job: { id: string; workflowId: string; runId: string };
  const phrase = 'restart acme-gateway';

  beforeAll(async () => {
    job = await insertWaitingJob(t.db, {
      type: 'restart_openclaw',
      organizationId: w.acme.id,
      approvalPhrase: phrase,
      requestedBy: w.actors.acmeAdmin.userId,
      approvalPolicy: { approverRoles: [], approverGroupIds: [groupId], approvalsNeeded: 2, forbidSelfApproval: true },
    });
  });

  /** The confirming activity, called as the job's own run, with a grant the console issued to `who`. */
  const confirm = (who: Actor) =>
    new MockActivityEnvironment({ workflowExecution: { workflowId: job.workflowId, runId: job.runId }, workflowType: 'restartOpenclaw' }).run(
      createJobActivities({ db: t.db }).confirmDecision,
      { jobId: job.id, grant: issueGrant(w.ctx(who), job, 'approve', { phrase }), via: 'console' as const },
    );

  it('is in the inbox of the group’s members, not of the requester (self-approval forbidden) nor of others', async () => {
    expect(await countAwaitingMe(w.ctx(w.actors.acmeUser))).toBe(1);
    expect(await countAwaitingMe(w.ctx(w.actors.operator))).toBe(1);
    expect(await countAwaitingMe(w.ctx(w.actors.acmeAdmin))).toBe(0);
    expect(await countAwaitingMe(w.ctx(w.actors.admin))).toBe(0);
    expect(await countAwaitingMe(w.ctx(w.actors.globexAdmin))).toBe(0);
    const [item] = (await listInbox(w.ctx(w.actors.acmeUser))).items;
    expect(item).toMatchObject({ approvers: 'members of Acme approvers', job: { id: job.id, approvalProgress: { given: 0, needed: 2 } } });
    // A company user sees the job and may decide it only through the group.
    expect(await canDecideJob(w.ctx(w.actors.acmeUser), job.id)).toEqual({ approve: true, cancel: false, ownRequest: false });
    expect(await failure(getJob(w.ctx(w.actors.globexAdmin), job.id))).toBeInstanceOf(NotFoundError);
  });

  it('counts one approval per person, refuses the same person twice and a person removed from the group, then takes a second member', async () => {
    expect(await confirm(w.actors.acmeUser)).toMatchObject({ ok: true, by: { email: w.actors.acmeUser.email } });
    expect(await confirm(w.actors.acmeUser)).toEqual({ ok: false, reason: `${w.actors.acmeUser.email} already approved this; it needs 2 approvals by different people.` });
    expect((await getJob(w.ctx(w.actors.admin), job.id)).approvalProgress).toEqual({ given: 1, needed: 2, approvedBy: [w.actors.acmeUser.email] });
    expect(await countAwaitingMe(w.ctx(w.actors.acmeUser))).toBe(0);
    // The requester is a member too, but may not approve their own request.
    expect(await confirm(w.actors.acmeAdmin)).toEqual({ ok: false, reason: 'This permission does not let the requester approve their own request.' });
    await removeApproverGroupMember(w.ctx(w.actors.acmeAdmin), groupId, w.actors.operator.userId);
    expect(await confirm(w.actors.operator)).toEqual({ ok: false, reason: 'A msp operator may not approve this.' });
    expect(await canDecideJob(w.ctx(w.actors.acmeUser), job.id)).toEqual({ approve: true, cancel: false, ownRequest: false });
    const second = await w.person('company_user', w.acme.id, 'second.approver@acme.test');
    await addApproverGroupMember(w.ctx(w.actors.acmeAdmin), groupId, second.userId);
    expect(await confirm(second)).toMatchObject({ ok: true });
    const [row] = await t.db.select().from(jobs).where(eq(jobs.id, job.id));
    expect(row!.approvals.filter((a) => a.outcome === 'approved').map((a) => [a.by, a.request])).toEqual([
      [w.actors.acmeUser.email, 'approval'],
      ['second.approver@acme.test', 'approval'],
    ]);
  });
});
