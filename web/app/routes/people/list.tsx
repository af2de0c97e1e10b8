import { useState } from 'react';
import { data, Form, useNavigation } from 'react-router';
import { can, isMspStaff, ROLE_LABELS } from '../../../../api/authz.ts';
import { isUuid } from '../../../../api/ids.ts';
import { listedOrganizationId } from '../../../../api/list-scope.ts';
import { listOrganizations } from '../../../../api/organizations/service.ts';
import { deactivatePerson, invitePerson, listInvitations, listPeople, revokeInvitation, rolesFor } from '../../../../api/people/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { attempt, load } from '../../service-errors.server.ts';
import type { Route } from './+types/list.ts';
import { FieldError, FormError, LabelledInput, RowAction, ShownOnce } from '../../components/forms.tsx';
import { loadConfig } from '../../../../infra/config.ts';
import { TableHead } from '../../components/table.tsx';
import { DateTime } from '../../components/time-zone.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'People · Anthropy Works' }];

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const { actor } = ctx;
  const requested = new URL(request.url).searchParams.get('organizationId');
  if (requested !== null && !isUuid(requested)) throw data({ message: 'No such organization.' }, { status: 404 });
  const organizationId = requested ?? undefined;
  const page = await load(() => listPeople(ctx, { organizationId, includeDeactivated: true, limit: 200 }));
  const scope = listedOrganizationId(actor, organizationId);
  const canList = can(actor, 'person.list', scope ? { organizationId: scope } : undefined);
  const pending = canList ? (await load(() => listInvitations(ctx, { organizationId, status: 'pending' }))).items : [];

  // Where the actor may invite to, and which roles each organization takes from this actor.
  // (Company people see only their own organization here; archived organizations are not listed.)
  const candidates = (await load(() => listOrganizations(ctx, { limit: 200 }))).items.filter((o) => !organizationId || o.id === organizationId);
  const inviteTargets = candidates
    .map((o) => ({
      id: o.id,
      name: o.name,
      roles: rolesFor(o.kind)
        .filter((role) => can(actor, 'person.invite', { organizationId: o.id, role }))
        .map((role) => ({ value: role, label: ROLE_LABELS[role] })),
    }))
    .filter((o) => o.roles.length > 0);

  return {
    people: page.items.map((p) => ({
      ...p,
      roleLabel: ROLE_LABELS[p.role],
      isSelf: p.id === actor.userId,
      canDeactivate: p.active && can(actor, 'person.deactivate', { organizationId: p.organizationId, role: p.role, userId: p.id }),
    })),
    showOrganization: isMspStaff(actor) && !organizationId,
    filteredTo: organizationId ? (page.items[0]?.organizationName ?? candidates.find((o) => o.id === organizationId)?.name ?? null) : null,
    invitations: pending.map((i) => ({
      ...i,
      roleLabel: ROLE_LABELS[i.role],
      canRevoke: can(actor, 'person.invite', { organizationId: i.organizationId, role: i.role }),
    })),
    canSeeInvitations: canList,
    inviteTargets,
    chooseOrganization: isMspStaff(actor),
    // MSP staff mostly invite into customer organizations: preselect the first one.
    defaultOrganizationId: (inviteTargets.find((o) => o.roles.some((r) => r.value === 'company_admin')) ?? inviteTargets[0])?.id ?? '',
  };
}

export async function action({ request }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  const intent = form.get('intent');
  const id = String(form.get('id') ?? '');
  if (intent === 'deactivate') return { intent: 'deactivate' as const, result: await attempt(() => deactivatePerson(ctx, id)) };
  if (intent === 'revoke') return { intent: 'revoke' as const, result: await attempt(() => revokeInvitation(ctx, id)) };
  const hours = String(form.get('expiresInHours') ?? '').trim();
  const baseUrl = loadConfig().publicUrl;
  return {
    intent: 'invite' as const,
    result: await attempt(() =>
      invitePerson(
        ctx,
        {
          organizationId: form.get('organizationId'),
          email: form.get('email'),
          role: form.get('role'),
          expiresInHours: hours === '' ? undefined : Number(hours),
        },
        { baseUrl },
      ),
    ),
  };
}

export default function People({ loaderData, actionData }: Route.ComponentProps) {
  const { people, showOrganization, filteredTo, invitations, canSeeInvitations, inviteTargets, chooseOrganization, defaultOrganizationId } = loaderData;
  const busy = useNavigation().state === 'submitting';
  const [organizationId, setOrganizationId] = useState(defaultOrganizationId);
  const target = inviteTargets.find((o) => o.id === organizationId) ?? inviteTargets[0];

  const invite = actionData?.intent === 'invite' ? actionData.result : null;
  const inviteErrors = invite && !invite.ok ? invite.fieldErrors : {};
  const created = invite?.ok ? invite.value : null;
  const other = actionData && actionData.intent !== 'invite' ? actionData.result : null;

  return (
    <>
      <h1>People</h1>
      <p className="muted">{filteredTo ? <>People of {filteredTo}.</> : 'Everyone you may see, and the invitations still open.'}</p>

      <FormError message={other && !other.ok && (other.fieldErrors.id ?? other.formError)} />
      {other?.ok &&
        (actionData?.intent === 'deactivate' ? (
          <p role="status">Deactivated {other.value.email}: their sessions ended and their API tokens were revoked.</p>
        ) : (
          <p role="status">Withdrew the invitation for {other.value.email}.</p>
        ))}

      <table data-testid="people">
        <TableHead columns={['Name', 'Email', 'Role', ...(showOrganization ? ['Organization'] : []), 'Status', 'Two-factor', '']} />
        <tbody>
          {people.map((p) => (
            <tr key={p.id} data-testid={`person-${p.email}`}>
              <td>
                {p.name}
                {p.isSelf && <span className="muted"> (you)</span>}
              </td>
              <td>{p.email}</td>
              <td>{p.roleLabel}</td>
              {showOrganization && <td>{p.organizationName}</td>}
              <td>
                {p.active ? (
                  'Active'
                ) : (
                  <span className="badge">
                    deactivated
                    {p.deactivatedAt && (
                      <>
                        {' '}
                        <DateTime iso={p.deactivatedAt} />
                      </>
                    )}
                  </span>
                )}
              </td>
              <td>{p.twoFactorEnabled ? 'On' : 'Off'}</td>
              <td>{p.canDeactivate && <RowAction intent="deactivate" id={p.id} label="Deactivate" ariaLabel={`Deactivate ${p.email}`} busy={busy} />}</td>
            </tr>
          ))}
        </tbody>
      </table>

      {target && (
        <Form method="post" className="card" aria-label="Invite a person" key={created?.invitation.id ?? 'invite'}>
          <h2>Invite a person</h2>
          <input type="hidden" name="intent" value="invite" />
          <div className="row">
            {chooseOrganization ? (
              <label>
                Organization
                <select name="organizationId" value={target.id} onChange={(e) => setOrganizationId(e.target.value)} aria-invalid={Boolean(inviteErrors.organizationId)}>
                  {inviteTargets.map((o) => (
                    <option key={o.id} value={o.id}>
                      {o.name}
                    </option>
                  ))}
                </select>
                <FieldError message={inviteErrors.organizationId} />
              </label>
            ) : (
              <input type="hidden" name="organizationId" value={target.id} />
            )}
            <LabelledInput label="Email" name="email" type="email" required maxLength={254} error={inviteErrors.email} />
            <label>
              Role
              <select name="role" key={target.id} aria-invalid={Boolean(inviteErrors.role)}>
                {target.roles.map((r) => (
                  <option key={r.value} value={r.value}>
                    {r.label}
                  </option>
                ))}
              </select>
              <FieldError message={inviteErrors.role} />
            </label>
            <LabelledInput label="Link valid for (hours)" name="expiresInHours" type="number" min={1} max={720} defaultValue={168} error={inviteErrors.expiresInHours} />
            <button type="submit" disabled={busy}>
              Create invitation
            </button>
          </div>
          <FormError
            message={invite && !invite.ok && !Object.keys(inviteErrors).some((f) => ['organizationId', 'email', 'role', 'expiresInHours'].includes(f)) && invite.formError}
          />
        </Form>
      )}

      {created && (
        <ShownOnce className="card" secret={created.link} testId="invitation-link">
          <p>
            Copy this link and send it to {created.invitation.email}; it expires on <DateTime iso={created.invitation.expiresAt} />. It is shown only this once.
          </p>
        </ShownOnce>
      )}

      {canSeeInvitations && (
        <>
          <h2>Pending invitations</h2>
          {invitations.length === 0 ? (
            <p className="muted">No invitation is waiting to be accepted.</p>
          ) : (
            <table data-testid="invitations">
              <TableHead columns={['Email', 'Role', ...(showOrganization ? ['Organization'] : []), 'Expires', '']} />
              <tbody>
                {invitations.map((i) => (
                  <tr key={i.id} data-testid={`invitation-${i.email}`}>
                    <td>{i.email}</td>
                    <td>{i.roleLabel}</td>
                    {showOrganization && <td>{i.organizationName}</td>}
                    <td>
                      <DateTime iso={i.expiresAt} />
                    </td>
                    <td>{i.canRevoke && <RowAction intent="revoke" id={i.id} label="Revoke" ariaLabel={`Revoke the invitation for ${i.email}`} busy={busy} />}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </>
  );
}
