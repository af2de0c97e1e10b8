// Which organization a list shows, the same way in every list: the one the query asks for, else every
// organization for MSP staff, else the actor's own. Asking for an organization the actor may not see is
// "not found" (api/authz.ts), like any of its records.
import { authorize, isMspStaff, type Action, type Actor, type ServiceContext, type Target } from './authz.ts';

/** The organization to filter a list by, or undefined for all of them (MSP staff only). */
export const listedOrganizationId = (actor: Actor, requestedOrganizationId: string | undefined): string | undefined =>
  requestedOrganizationId ?? (isMspStaff(actor) ? undefined : actor.organizationId);

/**
 * The organization a list of `action`'s records is filtered by (undefined: all), once the actor is
 * authorized to see that organization's records; a refusal is audited and thrown. `facts` are true of
 * every record the caller will list (a list of the actor's own jobs: requester).
 */
export async function listScope(
  ctx: ServiceContext,
  action: Action,
  requestedOrganizationId: string | undefined,
  facts: Omit<Target, 'organizationId'> = {},
): Promise<string | undefined> {
  const organizationId = listedOrganizationId(ctx.actor, requestedOrganizationId);
  await authorize(ctx, action, { ...facts, organizationId: organizationId ?? ctx.actor.organizationId, type: 'organization', id: organizationId });
  return organizationId;
}
