// The choices of a list's organization and node filters (the Jobs and Instances pages): organizations for
// MSP staff only (a company person sees just their own), and the nodes the person may see, of the chosen
// organization when there is one. Someone who may not see nodes filters without them.
import { can, isMspStaff, type Action, type ServiceContext } from '../../api/authz.ts';
import type { FieldErrors } from '../../api/errors.ts';
import { listNodes } from '../../api/nodes/service.ts';
import { listOrganizations } from '../../api/organizations/service.ts';

/** The organizations MSP staff may choose from (a company person sees just their own: none to choose). */
const organizationChoices = async (ctx: ServiceContext) =>
  isMspStaff(ctx.actor) ? (await listOrganizations(ctx, { limit: 200 })).items.map(({ id, name }) => ({ id, name })) : [];

export async function filterChoices(ctx: ServiceContext, filters: { organizationId?: string }, filterErrors: FieldErrors) {
  const organizations = await organizationChoices(ctx);
  const organizationId = filters.organizationId && !filterErrors.organizationId ? filters.organizationId : undefined;
  const nodeChoices = await listNodes(ctx, { limit: 200, ...(organizationId ? { organizationId } : {}) }).then(
    (p) => p.items.map(({ id, name, organizationName }) => ({ id, label: organizationId ? name : `${name} (${organizationName})` })),
    () => [],
  );
  return { organizations, nodeChoices };
}

/**
 * Where a list page's "new …" form creates a record: the filtered organization (a company person's own)
 * when the person may do `action` there (`createIn`), else, for MSP staff, a choice of organizations.
 */
export async function creationChoices(ctx: ServiceContext, organizationIdFilter: string | undefined, action: Action) {
  const createIn = organizationIdFilter ?? (isMspStaff(ctx.actor) ? undefined : ctx.actor.organizationId);
  return {
    organizations: await organizationChoices(ctx),
    createIn: createIn && can(ctx.actor, action, { organizationId: createIn }) ? createIn : null,
    canCreateAnywhere: isMspStaff(ctx.actor),
  };
}
