import { Form, Link, redirect, useNavigation } from 'react-router';
import { isUuid } from '../../../../api/ids.ts';
import { can } from '../../../../api/authz.ts';
import { createOrganization, listOrganizations } from '../../../../api/organizations/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { attempt, load } from '../../service-errors.server.ts';
import { LabelledInput } from '../../components/forms.tsx';
import type { Route } from './+types/list.ts';
import { TableHead } from '../../components/table.tsx';
import { DateOnly } from '../../components/time-zone.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'Organizations · Anthropy Works' }];

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  // The navigation's organization switcher is a plain GET form (it works from the keyboard and without
  // JavaScript): it lands here and goes on to the organization picked; its page checks who may see it.
  const open = new URL(request.url).searchParams.get('open');
  if (open && isUuid(open)) throw redirect(`/organizations/${open}`);
  const archived = new URL(request.url).searchParams.get('archived') === 'only' ? 'only' : 'exclude';
  const page = await load(() => listOrganizations(ctx, { archived, limit: 200 }));
  return { organizations: page.items, archived, canCreate: can(ctx.actor, 'organization.create') };
}

export async function action({ request }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  return attempt(() => createOrganization(ctx, { name: form.get('name') }));
}

export default function Organizations({ loaderData, actionData }: Route.ComponentProps) {
  const { organizations, archived, canCreate } = loaderData;
  const busy = useNavigation().state === 'submitting';
  return (
    <>
      <h1>Organizations</h1>
      <p className="muted">
        {archived === 'only' ? (
          <>
            Archived organizations. <Link to="/organizations">Show active ones</Link>
          </>
        ) : (
          <>
            Your customers and your own shared infrastructure. <Link to="?archived=only">Show archived</Link>
          </>
        )}
      </p>
      {canCreate && archived !== 'only' && (
        <Form method="post" className="row card" aria-label="Create organization">
          <LabelledInput label="New customer organization" name="name" required maxLength={100} error={actionData && !actionData.ok && actionData.fieldErrors.name} />
          <button type="submit" disabled={busy}>
            Create
          </button>
        </Form>
      )}
      {actionData?.ok && <p role="status">Created {actionData.value.name}.</p>}
      <table data-testid="organizations">
        <TableHead columns={['Name', 'Kind', 'Created']} />
        <tbody>
          {organizations.map((o) => (
            <tr key={o.id}>
              <td>
                <Link to={`/organizations/${o.id}`}>{o.name}</Link>
              </td>
              <td>{o.kind === 'msp' ? 'Shared infrastructure (MSP)' : 'Customer'}</td>
              <td>
                <DateOnly iso={o.createdAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
