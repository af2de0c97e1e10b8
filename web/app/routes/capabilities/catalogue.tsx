import { Form, Link, useNavigation } from 'react-router';
import { can } from '../../../../api/authz.ts';
import { CAPABILITY_KINDS, RISKS } from '../../../../db/schema.ts';
import { createCapability, deleteCapability, listCapabilities, setCapabilityDisabled } from '../../../../api/capabilities/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { attempt, loadFilteredPage } from '../../service-errors.server.ts';
import { FieldError, RowAction } from '../../components/forms.tsx';
import { RiskBadge } from './risk-badge.tsx';
import { capabilityInputFromForm } from './entry-form.server.ts';
import type { Route } from './+types/catalogue.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Capabilities · Anthropy Works' }];

const FILTERS = ['kind', 'risk', 'q', 'disabled'] as const;

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  // The catalogue is one page (tens of entries): the filters narrow it, nothing pages.
  const { items, filters, filterErrors } = await loadFilteredPage(request, FILTERS, async (q) => ({ ...(await listCapabilities(ctx, q)), nextCursor: null }));
  return { entries: items, filters, filterErrors, canManage: can(ctx.actor, 'capability.manage') };
}

export async function action({ request }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  const id = String(form.get('id') ?? '');
  switch (form.get('intent')) {
    case 'disable':
    case 'enable':
      return attempt(async () => ({ done: `${(await setCapabilityDisabled(ctx, id, form.get('intent') === 'disable')).name} is ${form.get('intent')}d.` }));
    case 'delete':
      return attempt(async () => ({ done: `Deleted ${(await deleteCapability(ctx, id)).name}.` }));
    default:
      return attempt(async () => ({ done: `Added ${(await createCapability(ctx, capabilityInputFromForm(form))).name} to the catalogue.` }));
  }
}

export default function Capabilities({ loaderData, actionData }: Route.ComponentProps) {
  const { entries, filters, filterErrors, canManage } = loaderData;
  const busy = useNavigation().state === 'submitting';
  const failed = actionData && !actionData.ok ? actionData : null;
  return (
    <>
      <h1>Capabilities</h1>
      <p className="muted">
        What automation and OpenClaw gateways may do, with the risk of every action. Each organization’s permissions (on its page) say which of these it may use.
      </p>
      <Form method="get" className="row card" aria-label="Filter capabilities">
        <label>
          Kind
          <select name="kind" defaultValue={filters.kind ?? ''}>
            <option value="">Any</option>
            {CAPABILITY_KINDS.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </label>
        <label>
          With an action of risk
          <select name="risk" defaultValue={filters.risk ?? ''}>
            <option value="">Any</option>
            {RISKS.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <label>
          Words
          <input name="q" defaultValue={filters.q ?? ''} maxLength={100} />
        </label>
        <label>
          Disabled
          <select name="disabled" defaultValue={filters.disabled ?? 'include'}>
            <option value="include">Shown</option>
            <option value="exclude">Hidden</option>
            <option value="only">Only</option>
          </select>
        </label>
        <button type="submit">Filter</button>
        <FieldError message={Object.values(filterErrors)[0]} alert />
      </Form>
      {actionData?.ok && <p role="status">{actionData.value.done}</p>}
      {failed && <p role="alert">{failed.formError}</p>}
      <table data-testid="capabilities">
        <thead>
          <tr>
            <th>Entry</th>
            <th>Kind</th>
            <th>Actions and risks</th>
            <th>Source</th>
            {canManage && <th />}
          </tr>
        </thead>
        <tbody>
          {entries.map((c) => (
            <tr key={c.id} data-key={c.key} className={c.disabledAt ? 'muted' : undefined}>
              <td>
                <strong>{c.name}</strong> <code>{c.key}</code>
                {c.disabledAt && <span className="badge"> disabled</span>}
                <div className="muted">{c.description}</div>
                {c.provider && <div className="muted">Needs a {c.provider} connection</div>}
              </td>
              <td>{c.kind}</td>
              <td>
                {c.kind === 'pack'
                  ? c.packItems.map((i) => (
                      <div key={i.capabilityKey}>
                        <code>{i.capabilityKey}</code>: {i.actions.join(', ')}
                      </div>
                    ))
                  : c.actions.map((a) => (
                      <div key={a.key} title={a.description}>
                        <code>{a.key}</code> <RiskBadge risk={a.risk} />
                      </div>
                    ))}
              </td>
              <td>{c.builtIn ? `Built in (${c.version})` : `Custom (${c.version})`}</td>
              {canManage && (
                <td>
                  <RowAction
                    intent={c.disabledAt ? 'enable' : 'disable'}
                    id={c.id}
                    label={c.disabledAt ? 'Enable' : 'Disable'}
                    ariaLabel={`${c.disabledAt ? 'Enable' : 'Disable'} ${c.name}`}
                    busy={busy}
                  />
                  {!c.builtIn && <RowAction intent="delete" id={c.id} label="Delete" ariaLabel={`Delete ${c.name}`} busy={busy} />}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {canManage && (
        <Form method="post" className="card stack" aria-label="Add a capability">
          <h2>Add your own entry</h2>
          <input type="hidden" name="intent" value="create" />
          <label>
            Key
            <input name="key" required maxLength={100} placeholder="acme.crm" />
            <FieldError message={failed?.fieldErrors.key} />
          </label>
          <label>
            Kind
            <select name="kind" defaultValue="tool">
              {CAPABILITY_KINDS.map((k) => (
                <option key={k}>{k}</option>
              ))}
            </select>
          </label>
          <label>
            Name
            <input name="name" required maxLength={100} />
            <FieldError message={failed?.fieldErrors.name} />
          </label>
          <label>
            Description
            <input name="description" maxLength={1000} />
          </label>
          <label>
            Actions, one per line: key, risk (low, medium, high, critical), description
            <textarea name="actions" rows={3} placeholder="contacts.list low List the contacts" />
            <FieldError message={Object.entries(failed?.fieldErrors ?? {}).find(([f]) => f.startsWith('actions'))?.[1]} />
          </label>
          <label>
            Pack items (packs only), one per line: capability key, then its actions
            <textarea name="packItems" rows={2} placeholder="openclaw.fs: read, write" />
            <FieldError message={Object.entries(failed?.fieldErrors ?? {}).find(([f]) => f.startsWith('packItems'))?.[1]} />
          </label>
          <button type="submit" disabled={busy}>
            Add
          </button>
        </Form>
      )}
      <p className="muted">
        Ask the policy engine about one action on an organization’s <Link to="/organizations">permissions page</Link>.
      </p>
    </>
  );
}
