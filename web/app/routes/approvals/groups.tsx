// Approver groups: named sets of people who may approve where a permission's approval policy names the
// group (Organizations → Permissions). Company admins manage their organization's groups; MSP staff all,
// and the MSP's own groups are MSP-wide.
import { Form, useNavigation } from 'react-router';
import { addApproverGroupMember, createApproverGroup, deleteApproverGroup, listApproverGroups, removeApproverGroupMember } from '../../../../api/approver-groups/service.ts';
import { can, isMspStaff } from '../../../../api/authz.ts';
import { listOrganizations } from '../../../../api/organizations/service.ts';
import { listPeople } from '../../../../api/people/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { FormError, LabelledInput, OrganizationSelect, RowAction } from '../../components/forms.tsx';
import { attempt, loadFilteredPage } from '../../service-errors.server.ts';
import type { Route } from './+types/groups.ts';
import { EmptyState } from '../../components/empty-state.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'Approver groups · Anthropy Works' }];

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const { items, filters, filterErrors } = await loadFilteredPage(request, ['organizationId'], async (q) => ({ ...(await listApproverGroups(ctx, q)), nextCursor: null }));
  const mspStaff = isMspStaff(ctx.actor);
  const organizations = mspStaff ? (await listOrganizations(ctx, { limit: 200 })).items.map(({ id, name }) => ({ id, name })) : [];
  // Who may join: the people the actor may list (MSP staff: everyone; a company admin: their organization).
  const people = can(ctx.actor, 'person.list', { organizationId: ctx.actor.organizationId })
    ? (await listPeople(ctx, { limit: 200 })).items.map((p) => ({ id: p.id, email: p.email, organizationId: p.organizationId, msp: p.role.startsWith('msp_') }))
    : [];
  const createIn = filters.organizationId ?? (mspStaff ? undefined : ctx.actor.organizationId);
  return {
    groups: items.map((g) => ({ ...g, canManage: can(ctx.actor, 'approver_group.manage', { organizationId: g.organizationId }) })),
    filterErrors,
    organizations,
    people,
    createIn: createIn && can(ctx.actor, 'approver_group.manage', { organizationId: createIn }) ? createIn : null,
    canCreateAnywhere: mspStaff,
  };
}

export async function action({ request }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  const id = String(form.get('id') ?? '');
  switch (form.get('intent')) {
    case 'add-member':
      return attempt(() => addApproverGroupMember(ctx, id, String(form.get('userId') ?? '')));
    case 'remove-member':
      return attempt(() => removeApproverGroupMember(ctx, id, String(form.get('userId') ?? '')));
    case 'delete':
      return attempt(() => deleteApproverGroup(ctx, id));
    default:
      return attempt(() => createApproverGroup(ctx, { organizationId: form.get('organizationId'), name: form.get('name'), description: form.get('description') ?? '' }));
  }
}

export default function ApproverGroups({ loaderData, actionData }: Route.ComponentProps) {
  const { groups, filterErrors, organizations, people, createIn, canCreateAnywhere } = loaderData;
  const busy = useNavigation().state === 'submitting';
  const errors = actionData && !actionData.ok ? actionData.fieldErrors : {};
  return (
    <>
      <h1>Approver groups</h1>
      <p className="muted">
        A permission’s approval policy may name groups whose members approve (with how many different people it takes). Membership counts at the moment someone approves: removing a
        person takes effect at once, even for requests already waiting.
      </p>
      {Object.values(filterErrors).map((e) => (
        <p key={e} className="error" role="alert">
          {e}
        </p>
      ))}
      <FormError message={actionData && !actionData.ok && Object.keys(errors).length === 0 ? actionData.formError : null} />
      {groups.map((g) => (
        <section key={g.id} className="card stack" aria-label={`Approver group ${g.name}`}>
          <strong>
            {g.name} <span className="muted">· {g.mspWide ? 'MSP-wide' : g.organizationName}</span>
          </strong>
          {g.description && <p className="muted">{g.description}</p>}
          <ul data-testid={`members-${g.name}`}>
            {g.members.map((m) => (
              <li key={m.userId} className="row">
                {m.email} <span className="muted">{m.role.replace('_', ' ')}</span>
                {g.canManage && (
                  <Form method="post" aria-label={`Remove ${m.email} from ${g.name}`}>
                    <input type="hidden" name="intent" value="remove-member" />
                    <input type="hidden" name="id" value={g.id} />
                    <input type="hidden" name="userId" value={m.userId} />
                    <button type="submit" className="secondary" disabled={busy}>
                      Remove
                    </button>
                  </Form>
                )}
              </li>
            ))}
            {g.members.length === 0 && <li className="muted">Nobody yet: nobody approves through this group.</li>}
          </ul>
          {g.canManage && (
            <div className="row">
              <Form method="post" className="row" aria-label={`Add a member to ${g.name}`}>
                <input type="hidden" name="intent" value="add-member" />
                <input type="hidden" name="id" value={g.id} />
                <select name="userId" required defaultValue="">
                  <option value="" disabled>
                    Person…
                  </option>
                  {people
                    .filter((p) => !g.members.some((m) => m.userId === p.id) && (p.msp || (!g.mspWide && p.organizationId === g.organizationId)))
                    .map((p) => (
                      <option key={p.id} value={p.id}>
                        {p.email}
                      </option>
                    ))}
                </select>
                <button type="submit" disabled={busy}>
                  Add
                </button>
              </Form>
              <RowAction intent="delete" id={g.id} label="Delete group" ariaLabel={`Delete ${g.name}`} busy={busy} />
            </div>
          )}
        </section>
      ))}
      {groups.length === 0 && <EmptyState next="Create one below: a workflow step may then ask for approvals from its people.">No approver groups yet.</EmptyState>}
      {(createIn || canCreateAnywhere) && (
        <Form method="post" className="card stack" aria-label="New approver group">
          <strong>New approver group</strong>
          {canCreateAnywhere ? (
            <label>
              Organization
              <OrganizationSelect organizations={organizations} defaultValue={createIn ?? undefined} required />
            </label>
          ) : (
            <input type="hidden" name="organizationId" value={createIn ?? ''} />
          )}
          <LabelledInput label="Name" name="name" required error={errors.name} />
          <LabelledInput label="Description" name="description" error={errors.description} />
          <div>
            <button type="submit" disabled={busy}>
              Create
            </button>
          </div>
        </Form>
      )}
    </>
  );
}
