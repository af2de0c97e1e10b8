// The containers the node's agent last reported, and "Refresh inventory" (inventory-refresh.server.ts).
import { Form, useNavigation } from 'react-router';
import type { NodeInventory } from '../../../../api/nodes/inventory.ts';
import type { FormResult } from '../../service-errors.server.ts';
import { FormError } from '../../components/forms.tsx';
import { TableHead } from '../../components/table.tsx';

export function Containers({
  containers,
  canRefresh,
  refresh,
}: {
  containers: NodeInventory['containers'];
  canRefresh: boolean;
  refresh: FormResult<{ temporalUrl: string }> | null;
}) {
  const busy = useNavigation().state === 'submitting';
  return (
    <section aria-label="Containers">
      <h2>Containers</h2>
      {canRefresh && (
        <Form method="post" className="row" aria-label="Refresh inventory">
          <input type="hidden" name="intent" value="refresh-inventory" />
          <button type="submit" disabled={busy}>
            Refresh inventory
          </button>
          <span className="muted">Asks the agent now, with a signed job on the node’s own queue.</span>
        </Form>
      )}
      {refresh?.ok && (
        <p role="status" data-testid="refresh-started">
          Inventory refresh started:{' '}
          <a href={refresh.value.temporalUrl} target="_blank" rel="noreferrer">
            its run in Temporal Web ↗
          </a>
          . Reload in a moment to see the result.
        </p>
      )}
      <FormError message={refresh && !refresh.ok && refresh.formError} />
      {containers.length === 0 ? (
        <p className="muted">No container reported yet (the agent sends its inventory with its heartbeats).</p>
      ) : (
        <table data-testid="containers">
          <TableHead columns={['Name', 'Image', 'State', 'Health', 'Status', 'Network', 'Ports']} />
          <tbody>
            {containers.map((c) => (
              <tr key={c.id}>
                <td title={c.id}>{c.name}</td>
                <td>{c.image}</td>
                <td>
                  <span className="badge">{c.state}</span>
                </td>
                <td>{c.health ?? '—'}</td>
                <td>{c.status}</td>
                <td>{c.networkMode ?? '—'}</td>
                <td>{c.ports.map((p) => `${p.publicPort ? `${p.ip ? `${p.ip}:` : ''}${p.publicPort}→` : ''}${p.privatePort}/${p.type}`).join(', ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
