import { Form, Link, redirect, useNavigation } from 'react-router';
import { can } from '../../../../api/authz.ts';
import { applyInstanceCapabilities, attachCapability, detachCapability, getInstanceCapabilities } from '../../../../api/capabilities/attachments.ts';
import { listCapabilities } from '../../../../api/capabilities/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { attempt, load } from '../../service-errors.server.ts';
import { RowAction } from '../../components/forms.tsx';
import { DateTime } from '../../components/time-zone.tsx';
import type { Route } from './+types/capabilities.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Instance capabilities · Anthropy Works' }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const capabilities = await load(() => getInstanceCapabilities(ctx, params.instanceId));
  const canAttach = can(ctx.actor, 'instance.attach_capabilities');
  const canApply = can(ctx.actor, 'instance.apply_capabilities') && capabilities.instance.state === 'managed';
  const catalogue = canAttach ? (await listCapabilities(ctx, { disabled: 'exclude' })).items : [];
  return { ...capabilities, catalogue, canAttach, canApply };
}

export async function action({ request, params }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  if (form.get('intent') === 'apply') {
    const started = await attempt(() => applyInstanceCapabilities(ctx, params.instanceId));
    if (started.ok) return redirect(`/jobs/${started.value.id}`);
    return started;
  }
  if (form.get('intent') === 'detach') return attempt(() => detachCapability(ctx, params.instanceId, String(form.get('id'))));
  return attempt(() => attachCapability(ctx, params.instanceId, { capabilityId: form.get('capabilityId') }));
}

export default function InstanceCapabilities({ loaderData, actionData }: Route.ComponentProps) {
  const { attached, effective, catalogue, canAttach, canApply, toolPolicy, drift } = loaderData;
  const busy = useNavigation().state === 'submitting';
  const attachedIds = new Set(attached.map((a) => a.id));
  return (
    <>
      <h1>Capabilities of {loaderData.instance.name}</h1>
      <p className="muted">
        On <Link to={`/nodes/${loaderData.instance.nodeId}`}>its node</Link>. With nothing attached, the instance may use what its organization’s{' '}
        <Link to={`/organizations/${loaderData.instance.organizationId}/permissions`}>permissions</Link> allow; attached capabilities and packs narrow that.
      </p>
      {actionData && !actionData.ok && <p role="alert">{actionData.formError}</p>}
      <h2>Attached</h2>
      {attached.length === 0 ? (
        <p className="muted">Nothing attached.</p>
      ) : (
        <ul data-testid="attached">
          {attached.map((a) => (
            <li key={a.id} className="row">
              {a.name} <code>{a.key}</code>
              {canAttach && <RowAction intent="detach" id={a.id} label="Detach" ariaLabel={`Detach ${a.name}`} busy={busy} />}
            </li>
          ))}
        </ul>
      )}
      {canAttach && (
        <Form method="post" className="row card" aria-label="Attach a capability">
          <label>
            Capability or pack
            <select name="capabilityId">
              {catalogue
                .filter((c) => !attachedIds.has(c.id))
                .map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name} ({c.kind})
                  </option>
                ))}
            </select>
          </label>
          <button type="submit" disabled={busy}>
            Attach
          </button>
        </Form>
      )}
      <h2>In its gateway</h2>
      <p data-testid="tool-policy-summary">What applying writes: {toolPolicy.summary}</p>
      {drift?.drifted && (
        <p role="alert" data-testid="drift">
          The gateway’s tool configuration was changed outside Anthropy Works (noticed <DateTime iso={drift.driftedSince} />
          ): applying again puts back the policy below.
        </p>
      )}
      {drift?.drifted && (
        <details>
          <summary>The difference</summary>
          <div className="row">
            <pre aria-label="Applied">{JSON.stringify(drift.desired, null, 2)}</pre>
            <pre aria-label="On the gateway now">{drift.actual ? JSON.stringify(drift.actual, null, 2) : 'unreadable'}</pre>
          </div>
        </details>
      )}
      {drift && !drift.drifted && drift.appliedAt && (
        <p className="muted">
          Applied <DateTime iso={drift.appliedAt} />; the gateway reports the same configuration.
        </p>
      )}
      {canApply && (
        <Form method="post" aria-label="Apply capabilities">
          <input type="hidden" name="intent" value="apply" />
          <button type="submit" disabled={busy}>
            {drift?.drifted ? 'Re-apply to the gateway' : 'Apply to the gateway'}
          </button>
        </Form>
      )}
      <h2>Effective</h2>
      <table data-testid="effective">
        <thead>
          <tr>
            <th>Capability</th>
            <th>May use</th>
            <th>May not (rule)</th>
          </tr>
        </thead>
        <tbody>
          {effective.map((e) => (
            <tr key={e.capabilityKey} data-key={e.capabilityKey}>
              <td>
                {e.name} <code>{e.openclawTool ?? e.capabilityKey}</code>
              </td>
              <td>{e.allowed.join(', ') || '—'}</td>
              <td>
                {e.blocked.map((b) => (
                  <div key={b.action} title={b.sentence}>
                    {b.action} <code>{b.rule}</code>
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
