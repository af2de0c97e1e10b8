// The choices of a list's organization and node filters (the Jobs and Instances pages): organizations for
// MSP staff only (a company person sees just their own), and the nodes the person may see, of the chosen
// organization when there is one. Someone who may not see nodes filters without them.
import { isMspStaff, type ServiceContext } from '../../api/authz.ts';
import type { FieldErrors } from '../../api/errors.ts';
import { listNodes } from '../../api/nodes/service.ts';
import { listOrganizations } from '../../api/organizations/service.ts';

export async function filterChoices(ctx: ServiceContext, filters: { organizationId?: string }, filterErrors: FieldErrors) {
  const organizations = isMspStaff(ctx.actor) ? (await listOrganizations(ctx, { limit: 200 })).items.map(({ id, name }) => ({ id, name })) : [];
  const organizationId = filters.organizationId && !filterErrors.organizationId ? filters.organizationId : undefined;
  const nodeChoices = await listNodes(ctx, { limit: 200, ...(organizationId ? { organizationId } : {}) }).then(
    (p) => p.items.map(({ id, name, organizationName }) => ({ id, label: organizationId ? name : `${name} (${organizationName})` })),
    () => [],
  );
  return { organizations, nodeChoices };
}
