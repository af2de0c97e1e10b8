import { Form, Link, redirect, useNavigation } from 'react-router';
import { requestInventoryRefresh } from '../../../../api/agents/inventory-refresh.ts';
import { createEnrollmentToken, getNodeIdentity, listEnrollmentTokens, revokeEnrollmentToken, revokeNode } from '../../../../api/agents/service.ts';
import { can } from '../../../../api/authz.ts';
import type { FieldErrors } from '../../../../api/errors.ts';
import { requestAdoption, requestDeployment, requestHealthCheck, requestInstanceChange, requestRestart } from '../../../../api/instances/service.ts';
import { getNode, getNodeInventory, updateNode } from '../../../../api/nodes/service.ts';
import { listOrganizations } from '../../../../api/organizations/service.ts';
import { OPENCLAW_BUNDLE } from '../../../../agent-worker/openclaw/bundle.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { FieldError, OrganizationSelect, RowAction } from '../../components/forms.tsx';
import { attempt, load } from '../../service-errors.server.ts';
import type { Route } from './+types/detail.ts';

export const meta: Route.MetaFunction = ({ loaderData }) => [{ title: `${loaderData?.node.name ?? 'Node'} · Anthropy Works` }];

/** "a, b,c" → ['a', 'b', 'c']; the service checks each label. */
const splitLabels = (value: FormDataEntryValue | null) => String(value ?? '').split(',').map((l) => l.trim()).filter(Boolean);
/** The first problem with the labels (the service names them `labels` or `labels.<n>`). */
const labelsError = (errors: FieldErrors) => Object.entries(errors).find(([field]) => field === 'labels' || field.startsWith('labels.'))?.[1];
/** The gateway port to offer: the bundle's, or the next one no instance on the node uses (the service has the last word). */
const firstFreePort = (taken: (number | null)[]) => {
  let port = OPENCLAW_BUNDLE.gatewayPort;
  while (taken.includes(port)) port += 1;
  return port;
};
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

export async function loader({ request, params }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const node = await load(() => getNode(ctx, params.nodeId));
  const target = { organizationId: node.organizationId };
  const identity = await load(() => getNodeIdentity(ctx, node.id));
  const inventory = await load(() => getNodeInventory(ctx, node.id));
  const canEnroll = can(ctx.actor, 'node.enroll', target);
  // Enrollment tokens are MSP staff's business; only the ones that still work are listed.
  const tokens = canEnroll ? (await load(() => listEnrollmentTokens(ctx, node.id))).filter((t) => t.state === 'outstanding') : [];
  const canDeploy = can(ctx.actor, 'instance.deploy', target) && Boolean(node.enrolledAt) && !node.revokedAt;
  // A node of the MSP's shared infrastructure may host an instance for any customer.
  const organizations = canDeploy ? (await listOrganizations(ctx, { limit: 200 })).items : [];
  const hostsFor = organizations.find((o) => o.id === node.organizationId)?.kind === 'msp'
    ? organizations.filter((o) => !o.archivedAt).map(({ id, name }) => ({ id, name })) : [];
  return {
    node, agentKey: identity.agentKeyFingerprint, tokens, canEnroll, inventory,
    canEdit: can(ctx.actor, 'node.update', target),
    canRevoke: can(ctx.actor, 'node.revoke', target) && !node.revokedAt,
    canRefresh: can(ctx.actor, 'node.refresh_inventory', target) && Boolean(node.enrolledAt) && !node.revokedAt,
    canDeploy, hostsFor,
    bundle: { version: OPENCLAW_BUNDLE.version, port: firstFreePort(inventory.instances.map((i) => i.port)) },
    canSeeOrganization: can(ctx.actor, 'organization.view', target),
  };
}

export async function action({ request, params }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  const intent = form.get('intent');
  if (intent === 'create-enrollment') {
    const minutes = String(form.get('expiresInMinutes') ?? '').trim();
    const input = minutes ? { expiresInMinutes: Number(minutes) } : {};
    return { intent: 'create-enrollment' as const, result: await attempt(() => createEnrollmentToken(ctx, params.nodeId, input)) };
  }
  if (intent === 'revoke-token') {
    const id = String(form.get('id') ?? '');
    return { intent: 'revoke-token' as const, result: await attempt(() => revokeEnrollmentToken(ctx, id)) };
  }
  if (intent === 'deploy') {
    const port = String(form.get('port') ?? '').trim();
    const organizationId = String(form.get('organizationId') ?? '');
    const result = await attempt(() => requestDeployment(ctx, {
      nodeId: params.nodeId, instanceName: form.get('instanceName') ?? '', ...(port ? { port } : {}), ...(organizationId ? { organizationId } : {}),
    }));
    if (result.ok) return redirect(`/jobs/${result.value.id}`);
    return { intent: 'deploy' as const, result };
  }
  // Actions on one instance start a job; the answer is that job's page.
  const instanceActions = {
    takeover: requestAdoption, 'health-check': requestHealthCheck, restart: requestRestart,
    stop: (c: typeof ctx, id: string) => requestInstanceChange(c, id, 'stop'),
    start: (c: typeof ctx, id: string) => requestInstanceChange(c, id, 'start'),
    remove: (c: typeof ctx, id: string) => requestInstanceChange(c, id, 'remove', { removeVolumes: form.get('removeVolumes') === 'on' }),
  } as const;
  if (typeof intent === 'string' && intent in instanceActions) {
    const result = await attempt(() => instanceActions[intent as keyof typeof instanceActions](ctx, String(form.get('id') ?? '')));
    if (result.ok) return redirect(`/jobs/${result.value.id}`);
    return { intent: 'instance-action' as const, result };
  }
  if (intent === 'refresh-inventory') {
    return { intent: 'refresh-inventory' as const, result: await attempt(() => requestInventoryRefresh(ctx, params.nodeId)) };
  }
  if (intent === 'revoke-node') {
    return { intent: 'revoke-node' as const, result: await attempt(() => revokeNode(ctx, params.nodeId)) };
  }
  // No intent (or "update"): the edit form.
  return {
    intent: 'update' as const,
    result: await attempt(() => updateNode(ctx, params.nodeId, { name: form.get('name'), labels: splitLabels(form.get('labels')), notes: form.get('notes') ?? '' })),
  };
}

export default function NodeDetail({ loaderData, actionData }: Route.ComponentProps) {
  const { node, agentKey, tokens, canEdit, canEnroll, canRevoke, canRefresh, canDeploy, hostsFor, bundle, canSeeOrganization, inventory } = loaderData;
  const busy = useNavigation().state === 'submitting';
  const updated = actionData?.intent === 'update' ? actionData.result : null;
  const errors = updated && !updated.ok ? updated.fieldErrors : {};
  const enrollment = actionData?.intent === 'create-enrollment' ? actionData.result : null;
  const tokenRevoked = actionData?.intent === 'revoke-token' ? actionData.result : null;
  const nodeRevoked = actionData?.intent === 'revoke-node' ? actionData.result : null;
  const refresh = actionData?.intent === 'refresh-inventory' ? actionData.result : null;
  const deploy = actionData?.intent === 'deploy' ? actionData.result : null;
  const deployErrors = deploy && !deploy.ok ? deploy.fieldErrors : {};
  const instanceAction = actionData?.intent === 'instance-action' ? actionData.result : null;
  return (
    <>
      <h1>{node.name}</h1>
      <p className="muted">
        Node of {canSeeOrganization ? <Link to={`/organizations/${node.organizationId}`}>{node.organizationName}</Link> : node.organizationName}
        {' · '}<Link to={`/nodes?organizationId=${node.organizationId}`}>All its nodes</Link>
      </p>
      <table data-testid="node">
        <tbody>
          <tr><th>Status</th><td><span className={`badge ${node.status}`}>{node.status}</span>{node.status === 'pending' && <span className="muted"> (until its agent enrolls and reports)</span>}</td></tr>
          <tr><th>Enrolled</th><td data-testid="enrolled-at">{when(node.enrolledAt)}</td></tr>
          <tr><th>Revoked</th><td data-testid="revoked-at">{when(node.revokedAt)}</td></tr>
          <tr><th>Last seen</th><td data-testid="last-seen">{node.lastSeenAt ? when(node.lastSeenAt) : 'never'}</td></tr>
          <tr><th>Agent key</th><td>{agentKey ? <code title="SHA-256 of the agent's public key">{agentKey}</code> : '—'}</td></tr>
          <tr><th>Labels</th><td>{node.labels.length ? node.labels.map((l) => <code key={l}>{l} </code>) : '—'}</td></tr>
          <tr><th>Notes</th><td style={{ whiteSpace: 'pre-wrap' }}>{node.notes || '—'}</td></tr>
          <tr><th>Created by</th><td>{node.createdBy ?? '—'}</td></tr>
          <tr><th>Created</th><td>{new Date(node.createdAt).toLocaleString()}</td></tr>
          <tr><th>Updated</th><td>{new Date(node.updatedAt).toLocaleString()}</td></tr>
          <tr><th>Id</th><td><code>{node.id}</code></td></tr>
        </tbody>
      </table>
      {updated?.ok && <p role="status">Saved.</p>}
      {canEdit && (
        <Form method="post" className="card stack" aria-label="Edit node" key={node.updatedAt}>
          <input type="hidden" name="intent" value="update" />
          <strong>Edit</strong>
          <label>
            Name
            <input name="name" required maxLength={63} defaultValue={node.name} aria-invalid={Boolean(errors.name)} />
            {errors.name && <span className="field-error">{errors.name}</span>}
          </label>
          <label>
            Labels
            <input name="labels" defaultValue={node.labels.join(', ')} aria-invalid={Boolean(labelsError(errors))} />
            <span className="muted">Comma-separated.</span>
            {labelsError(errors) && <span className="field-error">{labelsError(errors)}</span>}
          </label>
          <label>
            Notes
            <textarea name="notes" rows={4} maxLength={2000} defaultValue={node.notes} aria-invalid={Boolean(errors.notes)} />
            {errors.notes && <span className="field-error">{errors.notes}</span>}
          </label>
          {updated && !updated.ok && Object.keys(errors).length === 0 && <p className="error" role="alert">{updated.formError}</p>}
          <div><button type="submit" disabled={busy}>Save</button></div>
        </Form>
      )}
      {canEnroll && (
        <section className="card stack" aria-label="Agent enrollment">
          <strong>Agent enrollment</strong>
          <p className="muted">
            The command enrolls this node’s agent on the machine: the agent makes its own key pair and registers its public key. The token
            in it works once and expires; it is shown only now.
            {node.revokedAt && ' This node is revoked: enrolling with a new command registers a new key and clears the revocation.'}
          </p>
          <Form method="post" className="row" aria-label="Create enrollment command">
            <input type="hidden" name="intent" value="create-enrollment" />
            <label>
              Expires in (minutes)
              <input name="expiresInMinutes" type="number" min={5} max={1440} defaultValue={60}
                aria-invalid={Boolean(enrollment && !enrollment.ok && enrollment.fieldErrors.expiresInMinutes)} />
            </label>
            <button type="submit" disabled={busy}>Create enrollment command</button>
          </Form>
          {enrollment && !enrollment.ok && <p className="error" role="alert">{enrollment.fieldErrors.expiresInMinutes ?? enrollment.formError}</p>}
          {enrollment?.ok && (
            <div role="status">
              <p>Run this on the machine. Copy it now: it will not be shown again. It expires {when(enrollment.value.expiresAt)}.</p>
              <div className="secret" data-testid="enroll-command">{enrollment.value.command}</div>
            </div>
          )}
          {tokenRevoked?.ok && <p role="status">Enrollment token revoked.</p>}
          {tokenRevoked && !tokenRevoked.ok && <p className="error" role="alert">{tokenRevoked.formError}</p>}
          {tokens.length > 0 ? (
            <table data-testid="enrollment-tokens">
              <thead><tr><th>Created</th><th>By</th><th>Expires</th><th /></tr></thead>
              <tbody>
                {tokens.map((t) => (
                  <tr key={t.id}>
                    <td>{when(t.createdAt)}</td>
                    <td>{t.createdBy ?? '—'}</td>
                    <td>{when(t.expiresAt)}</td>
                    <td><RowAction intent="revoke-token" id={t.id} label="Revoke" ariaLabel={`Revoke enrollment token created ${when(t.createdAt)}`} busy={busy} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : <p className="muted">No outstanding enrollment tokens.</p>}
        </section>
      )}
      <section aria-label="OpenClaw instances">
        <h2>OpenClaw instances</h2>
        <p><Link to={`/jobs?nodeId=${node.id}`}>Jobs on this node</Link></p>
        {canDeploy && (
          <Form method="post" className="card stack" aria-label="Deploy OpenClaw">
            <input type="hidden" name="intent" value="deploy" />
            <strong>Deploy OpenClaw {bundle.version}</strong>
            <p className="muted">Checks the machine first, then waits for a typed approval before it changes anything.</p>
            <div className="row">
              <label>
                Instance name
                <input name="instanceName" required maxLength={40} placeholder="acme-claw" aria-invalid={Boolean(deployErrors.instanceName)} />
                <FieldError message={deployErrors.instanceName} />
              </label>
              <label>
                Gateway port
                <input name="port" type="number" min={1024} max={65535} defaultValue={bundle.port} aria-invalid={Boolean(deployErrors.port)} />
                <FieldError message={deployErrors.port} />
              </label>
              {hostsFor.length > 0 && (
                <label>
                  For
                  <OrganizationSelect organizations={hostsFor} defaultValue={node.organizationId} />
                  <FieldError message={deployErrors.organizationId} />
                </label>
              )}
            </div>
            {deploy && !deploy.ok && !deployErrors.instanceName && !deployErrors.port && !deployErrors.organizationId && <p className="error" role="alert">{deploy.formError}</p>}
            <div><button type="submit" disabled={busy}>Request deployment</button></div>
          </Form>
        )}
        {instanceAction && !instanceAction.ok && <p className="error" role="alert">{instanceAction.formError}</p>}
        {inventory.instances.length === 0 ? <p className="muted">None seen on this node.</p> : (
          <table data-testid="instances">
            <thead><tr><th>Name</th><th>State</th><th>Containers</th><th>Why</th><th /></tr></thead>
            <tbody>
              {inventory.instances.map((i) => (
                <tr key={i.id}>
                  <td>{i.name}{i.organizationId !== node.organizationId && <span className="muted"> for {i.organizationName}</span>}</td>
                  <td><span className="badge">{i.state}</span>{i.state === 'discovered' && i.confidence && <span className="muted"> ({Math.round(Number(i.confidence) * 100)}% sure)</span>}</td>
                  <td>{i.containerIds.map((c) => c.slice(0, 12)).join(', ')}</td>
                  <td data-testid="instance-detail">
                    {i.state === 'managed'
                      ? <>OpenClaw {i.bundleVersion ?? '?'} on port {i.port ?? '?'}{i.health && <> · {i.health.healthy ? 'healthy' : 'not healthy'}: gateway {i.health.gateway ?? '?'}, helper {i.health.cli ?? 'none'}{i.health.gateway === 'running' && i.health.cli !== 'running' && ' (the gateway serves; its helper is down)'}</>}</>
                      : i.reasons.join('; ')}
                  </td>
                  <td className="row">
                    {i.state === 'discovered' && canDeploy && <RowAction intent="takeover" id={i.id} label="Take over" ariaLabel={`Take over ${i.name}`} busy={busy} />}
                    {i.state === 'managed' && canDeploy && <>
                      <RowAction intent="health-check" id={i.id} label="Check health" ariaLabel={`Check the health of ${i.name}`} busy={busy} />
                      <RowAction intent="restart" id={i.id} label="Restart gateway" ariaLabel={`Restart the gateway of ${i.name}`} busy={busy} />
                      <Link to={`/instances/${i.id}/logs`}>Logs</Link>
                      <RowAction intent="stop" id={i.id} label="Stop" ariaLabel={`Stop ${i.name}`} busy={busy} />
                      <RowAction intent="start" id={i.id} label="Start" ariaLabel={`Start ${i.name}`} busy={busy} />
                      <Form method="post" className="row" aria-label={`Remove ${i.name}`}>
                        <input type="hidden" name="intent" value="remove" />
                        <input type="hidden" name="id" value={i.id} />
                        <label><input type="checkbox" name="removeVolumes" /> and its data</label>
                        <button type="submit" className="danger" disabled={busy}>Remove</button>
                      </Form>
                    </>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-label="Containers">
        <h2>Containers</h2>
        {canRefresh && (
          <Form method="post" className="row" aria-label="Refresh inventory">
            <input type="hidden" name="intent" value="refresh-inventory" />
            <button type="submit" disabled={busy}>Refresh inventory</button>
            <span className="muted">Asks the agent now, with a signed job on the node’s own queue.</span>
          </Form>
        )}
        {refresh?.ok && (
          <p role="status" data-testid="refresh-started">
            Inventory refresh started: <a href={refresh.value.temporalUrl} target="_blank" rel="noreferrer">its run in Temporal Web ↗</a>.
            Reload in a moment to see the result.
          </p>
        )}
        {refresh && !refresh.ok && <p className="error" role="alert">{refresh.formError}</p>}
        {inventory.containers.length === 0 ? <p className="muted">No container reported yet (the agent sends its inventory with its heartbeats).</p> : (
          <table data-testid="containers">
            <thead><tr><th>Name</th><th>Image</th><th>State</th><th>Health</th><th>Status</th><th>Ports</th></tr></thead>
            <tbody>
              {inventory.containers.map((c) => (
                <tr key={c.id}>
                  <td title={c.id}>{c.name}</td>
                  <td>{c.image}</td>
                  <td><span className="badge">{c.state}</span></td>
                  <td>{c.health ?? '—'}</td>
                  <td>{c.status}</td>
                  <td>{c.ports.map((p) => `${p.publicPort ? `${p.publicPort}→` : ''}${p.privatePort}/${p.type}`).join(', ') || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {nodeRevoked?.ok && <p role="status">Node revoked: its agent’s requests, jobs and heartbeats are refused from now on.</p>}
      {nodeRevoked && !nodeRevoked.ok && <p className="error" role="alert">{nodeRevoked.formError}</p>}
      {canRevoke && (
        <Form method="post" className="card" aria-label="Revoke node">
          <input type="hidden" name="intent" value="revoke-node" />
          <p>
            Revoking cuts this node’s agent off: its requests, jobs and heartbeats are refused from now on and its outstanding enrollment
            tokens are withdrawn. It can be enrolled again later with a new enrollment command.
          </p>
          <button type="submit" className="danger" disabled={busy}>Revoke {node.name}</button>
        </Form>
      )}
    </>
  );
}
