// Who is told about a change: exactly the people who may see the record, by api/authz.ts's rules (the
// same `view` actions as its pages and endpoints). A person is never told about a record of an
// organization they cannot see; a company user hears of a job only when they asked for it or may approve it.
import { can, canSeeOrganization, type ServiceContext } from '../authz.ts';
import { mayViewJob } from '../jobs/service.ts';
import type { Change } from './feed.ts';

export async function mayReceive(ctx: ServiceContext, change: Change): Promise<boolean> {
  if (!canSeeOrganization(ctx.actor, change.organizationId)) return false;
  const target = { organizationId: change.organizationId };
  switch (change.kind) {
    case 'job':
      // Decided by the organization alone for MSP staff and company admins; otherwise by the job's record.
      return can(ctx.actor, 'job.view', target) || mayViewJob(ctx, change.id);
    case 'node':
      return can(ctx.actor, 'node.view', target);
    case 'instance':
      return can(ctx.actor, 'instance.view', target);
    case 'approver_group':
      return can(ctx.actor, 'approver_group.view', target);
  }
}
