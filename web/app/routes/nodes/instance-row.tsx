// One OpenClaw instance on the node page, with what MSP staff can do to it (instance-actions.server.ts):
// a discovered one can be adopted; a managed one checked, restarted, moved to another bundle version,
// stopped, started, removed.
import { Form, Link, useNavigation } from 'react-router';
import type { NodeInventory } from '../../../../api/nodes/inventory.ts';
import { RowAction } from '../../components/forms.tsx';
import { DateTime } from '../../components/time-zone.tsx';

type Instance = NodeInventory['instances'][number];

// Gateways we deploy get a network of their own; one adopted as it ran may share the machine's.
const HostNetwork = () => (
  <p className="error" data-testid="host-network">
    Runs with host networking: it can reach this machine’s own services.
  </p>
);

// The gateway's tool configuration changed outside our jobs since the last apply (api/instances/drift.ts).
const ToolsDrifted = ({ since }: { since: string }) => (
  <p className="error" data-testid="tools-drifted">
    Tool policy drifted: its configuration was changed outside Anthropy Works (noticed <DateTime iso={since} />
    ).
  </p>
);

function Detail({ instance: i }: { instance: Instance }) {
  if (i.state !== 'managed')
    return (
      <>
        {i.reasons.join('; ')}
        {i.hostNetwork && <HostNetwork />}
      </>
    );
  const h = i.health;
  return (
    <>
      OpenClaw {i.bundleVersion ?? '?'} on port {i.port ?? '?'}
      {h && (
        <>
          {' '}
          · {h.healthy ? 'healthy' : 'not healthy'}: gateway {h.gateway ?? '?'}, helper {h.cli ?? 'none'}
          {h.gateway === 'running' && h.cli !== 'running' && ' (the gateway serves; its helper is down)'}
        </>
      )}
      {i.hostNetwork && <HostNetwork />}
      {i.toolPolicy?.driftedSince && <ToolsDrifted since={i.toolPolicy.driftedSince} />}
    </>
  );
}

/** Moves a managed instance to another of the bundle's versions (an approval-gated job with automatic rollback). */
function ChangeVersion({ instance: i, versions, busy }: { instance: Instance; versions: string[]; busy: boolean }) {
  const others = versions.filter((v) => v !== i.bundleVersion);
  if (others.length === 0 || i.containerIds.length < 2) return null;
  return (
    <Form method="post" className="row" aria-label={`Change the OpenClaw version of ${i.name}`}>
      <input type="hidden" name="intent" value="upgrade" />
      <input type="hidden" name="id" value={i.id} />
      <label>
        Version
        <select name="toVersion" defaultValue={others[0]}>
          {others.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={busy}>
        Change version
      </button>
    </Form>
  );
}

export function InstanceRow({
  instance: i,
  nodeOrganizationId,
  canOperate,
  versions,
}: {
  instance: Instance;
  nodeOrganizationId: string;
  canOperate: boolean;
  /** The bundle's versions offered (bundle.ts), newest first. */
  versions: string[];
}) {
  const busy = useNavigation().state === 'submitting';
  return (
    <tr>
      <td>
        {i.name}
        {i.organizationId !== nodeOrganizationId && <span className="muted"> for {i.organizationName}</span>}
      </td>
      <td>
        <span className="badge">{i.state}</span>
        {i.state === 'discovered' && i.confidence && <span className="muted"> ({Math.round(Number(i.confidence) * 100)}% sure)</span>}
      </td>
      <td>{i.containerIds.map((c) => c.slice(0, 12)).join(', ')}</td>
      <td data-testid="instance-detail">
        <Detail instance={i} />
      </td>
      <td className="row">
        {i.state === 'discovered' && canOperate && <RowAction intent="adopt" id={i.id} label="Adopt" ariaLabel={`Adopt ${i.name}`} busy={busy} />}
        {i.state === 'managed' && canOperate && (
          <>
            <RowAction intent="health-check" id={i.id} label="Check health" ariaLabel={`Check the health of ${i.name}`} busy={busy} />
            <RowAction intent="restart" id={i.id} label="Restart gateway" ariaLabel={`Restart the gateway of ${i.name}`} busy={busy} />
            <Link to={`/instances/${i.id}/logs`}>Logs</Link>
            <Link to={`/instances/${i.id}/capabilities`}>Capabilities</Link>
            <ChangeVersion instance={i} versions={versions} busy={busy} />
            <RowAction intent="stop" id={i.id} label="Stop" ariaLabel={`Stop ${i.name}`} busy={busy} />
            <RowAction intent="start" id={i.id} label="Start" ariaLabel={`Start ${i.name}`} busy={busy} />
            <Form method="post" className="row" aria-label={`Remove ${i.name}`}>
              <input type="hidden" name="intent" value="remove" />
              <input type="hidden" name="id" value={i.id} />
              <label>
                <input type="checkbox" name="removeVolumes" /> and its data
              </label>
              <button type="submit" className="danger" disabled={busy}>
                Remove
              </button>
            </Form>
          </>
        )}
      </td>
    </tr>
  );
}
