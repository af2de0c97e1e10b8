import { Form, Link } from 'react-router';
import { can } from '../../../../api/authz.ts';
import { archiveOrganization, getOrganization, renameOrganization, setApprovalPolicy, setTimeZone } from '../../../../api/organizations/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { attempt, load } from '../../service-errors.server.ts';
import type { Route } from './+types/detail.ts';
import { FieldError, FormError } from '../../components/forms.tsx';
import { DateOnly } from '../../components/time-zone.tsx';

export const meta: Route.MetaFunction = ({ loaderData }) => [{ title: `${loaderData?.organization.name ?? 'Organization'} · Anthropy Works` }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const organization = await load(() => getOrganization(ctx, params.organizationId));
  const target = { organizationId: organization.id };
  return {
    organization,
    canRename: can(ctx.actor, 'organization.update', target) && !organization.archivedAt,
    canArchive: can(ctx.actor, 'organization.archive', target) && organization.kind === 'customer' && !organization.archivedAt,
    canSeePeople: can(ctx.actor, 'person.list', target),
    canSeeNodes: can(ctx.actor, 'node.view', target),
    canSeePermissions: can(ctx.actor, 'permission.view', target),
    canSeeConnections: can(ctx.actor, 'connection.view', target),
    canSeeReport: can(ctx.actor, 'report.view', target),
  };
}

export async function action({ request, params }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  const intent = form.get('intent');
  if (intent === 'archive') return attempt(() => archiveOrganization(ctx, params.organizationId));
  if (intent === 'time-zone') return attempt(() => setTimeZone(ctx, params.organizationId, { timeZone: String(form.get('timeZone') ?? '').trim() }));
  if (intent === 'approval-policy') return attempt(() => setApprovalPolicy(ctx, params.organizationId, { forbidSelfApproval: form.get('forbidSelfApproval') === 'on' }));
  return attempt(() => renameOrganization(ctx, params.organizationId, { name: form.get('name') }));
}

export default function OrganizationDetail({ loaderData, actionData }: Route.ComponentProps) {
  const { organization: org, canRename, canArchive, canSeePeople, canSeeNodes, canSeePermissions, canSeeConnections, canSeeReport } = loaderData;
  const errors = actionData && !actionData.ok ? actionData : null;
  return (
    <>
      <h1>{org.name}</h1>
      <p className="muted">
        {org.kind === 'msp' ? 'Shared infrastructure: the MSP’s own organization' : 'Customer organization'}
        {org.archivedAt && (
          <>
            {' '}
            ·{' '}
            <span className="badge">
              archived <DateOnly iso={org.archivedAt} />
            </span>
          </>
        )}
      </p>
      <ul>
        {canSeePeople && (
          <li>
            <Link to={`/people?organizationId=${org.id}`}>People</Link>
          </li>
        )}
        {canSeeNodes && (
          <li>
            <Link to={`/nodes?organizationId=${org.id}`}>Nodes</Link>
          </li>
        )}
        {canSeePermissions && (
          <li>
            <Link to={`/organizations/${org.id}/permissions`}>Permissions</Link>
          </li>
        )}
        {canSeeConnections && (
          <li>
            <Link to={`/connections?organizationId=${org.id}`}>Connections</Link>
          </li>
        )}
        {canSeeReport && (
          <li>
            <Link to={`/organizations/${org.id}/report`}>Report</Link> <span className="muted">(to print, or share with the customer)</span>
          </li>
        )}
      </ul>
      <FormError message={errors?.formError && (errors.fieldErrors.name ?? errors.fieldErrors.id ?? errors.formError)} />
      {canRename && (
        <Form method="post" className="row card" aria-label="Rename organization">
          <input type="hidden" name="intent" value="rename" />
          <label>
            Name
            <input name="name" defaultValue={org.name} required maxLength={100} />
          </label>
          <button type="submit">Rename</button>
        </Form>
      )}
      {canRename && (
        <Form method="post" className="row card" aria-label="Time zone" key={`tz-${org.timeZone}`}>
          <input type="hidden" name="intent" value="time-zone" />
          <label>
            Time zone <span className="muted">(IANA, e.g. Europe/Berlin: schedules’ times are shown in it)</span>
            <input name="timeZone" defaultValue={org.timeZone} required maxLength={64} aria-invalid={Boolean(errors?.fieldErrors.timeZone)} />
            <FieldError message={errors?.fieldErrors.timeZone} />
          </label>
          <button type="submit" className="secondary">
            Save
          </button>
        </Form>
      )}
      {canRename && (
        <Form method="post" className="row card" aria-label="Approval policy" key={String(org.forbidSelfApproval)}>
          <input type="hidden" name="intent" value="approval-policy" />
          <label>
            <input type="checkbox" name="forbidSelfApproval" defaultChecked={org.forbidSelfApproval} /> Whoever requests a job for this organization (its machines and instances)
            may not approve it themselves
          </label>
          <button type="submit" className="secondary">
            Save
          </button>
        </Form>
      )}
      {canArchive && (
        <Form method="post" className="card" aria-label="Archive organization">
          <input type="hidden" name="intent" value="archive" />
          <p>Archiving hides the organization from lists. It is refused while the organization still owns nodes.</p>
          <button type="submit" className="danger">
            Archive {org.name}
          </button>
        </Form>
      )}
    </>
  );
}
