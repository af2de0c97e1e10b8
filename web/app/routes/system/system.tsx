import { useEffect } from 'react';
import { data, Form, Link, redirect, useNavigation, useRevalidator } from 'react-router';
import { authorize } from '../../../../api/authz.ts';
import { listBundleVersions } from '../../../../api/system/bundle-versions.ts';
import { latestBundleChecks, requestBundleCheck } from '../../../../api/system/bundle-check.ts';
import { requestReadinessCheck } from '../../../../api/system/readiness.ts';
import { listNodes } from '../../../../api/nodes/service.ts';
import { JobState } from '../jobs/job-view.tsx';
import { requireContext } from '../../auth/guard.server.ts';
import { attempt, load } from '../../service-errors.server.ts';
import { readinessRows } from './system.server.ts';
import type { Route } from './+types/system.ts';
import { FormError } from '../../components/forms.tsx';
import { TableHead } from '../../components/table.tsx';
import { DateTime } from '../../components/time-zone.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'System · Anthropy Works' }];

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  await load(() => authorize(ctx, 'system.view'));
  const nodes = (await listNodes(ctx, { limit: 200 })).items.filter((n) => n.enrolledAt && !n.revokedAt).map(({ id, name, organizationName }) => ({ id, name, organizationName }));
  return { checks: await readinessRows(ctx), bundleChecks: await latestBundleChecks(ctx), nodes, versions: (await listBundleVersions(ctx)).items };
}

export async function action({ request }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  // A bare POST (no form) runs the readiness check, as it always has.
  const form = await request.formData().catch(() => new FormData());
  if (form.get('intent') === 'bundle-check') {
    const started = await attempt(() => requestBundleCheck(ctx, form.get('nodeId'), {}, form.get('version') ?? undefined));
    if (started.ok) return redirect(`/jobs/${started.value.id}`);
    return data({ ok: false as const, error: started.formError }, { status: 200 });
  }
  const started = await attempt(() => requestReadinessCheck(ctx));
  if (started.ok) return data({ ok: true as const, error: null }, { status: 200 });
  return data({ ok: false as const, error: `The readiness check could not be started: ${started.formError}` }, { status: 503 });
}

export default function System({ loaderData, actionData }: Route.ComponentProps) {
  const { checks, bundleChecks, nodes, versions } = loaderData;
  const newest = versions.find((v) => v.isDefault);
  const busy = useNavigation().state === 'submitting';
  const revalidator = useRevalidator();
  const running = checks.some((c) => c.status === 'running');
  // While a check runs, refresh every second so its result appears without a reload.
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => revalidator.state === 'idle' && revalidator.revalidate(), 1000);
    return () => clearInterval(timer);
  }, [running, revalidator]);

  return (
    <>
      <h1>System</h1>
      <p>
        The readiness check is a Temporal workflow on the <code>control-plane</code> queue: its activities check PostgreSQL and Temporal and record the result here.
      </p>
      <Form method="post">
        <button type="submit" disabled={busy}>
          {busy ? 'Starting…' : 'Run readiness check'}
        </button>
      </Form>
      <FormError message={actionData && !actionData.ok && actionData.error} />
      <h2>Recent readiness checks</h2>
      {checks.length === 0 ? (
        <p className="muted">No readiness check has run yet.</p>
      ) : (
        <table data-testid="readiness-checks">
          <TableHead columns={['Started', 'By', 'Status', 'Results', 'Run']} />
          <tbody>
            {checks.map((c) => (
              <tr key={c.id}>
                <td>
                  <DateTime iso={c.requestedAt} />
                </td>
                <td>{c.requester ?? '—'}</td>
                <td>
                  <span className={`badge ${c.status}`} data-testid="readiness-status">
                    {c.status}
                  </span>
                </td>
                <td>
                  {c.results.map((r) => (
                    <div key={r.name}>
                      {r.ok ? '✓' : '✗'} <b>{r.name}</b>: {r.detail} <span className="muted">({r.durationMs} ms)</span>
                    </div>
                  ))}
                  {c.results.length === 0 && c.failureReason}
                </td>
                <td>
                  <a href={c.temporalUrl} target="_blank" rel="noreferrer" data-testid="temporal-link">
                    Open in Temporal Web ↗
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>OpenClaw bundle</h2>
      <p>
        New deployments get OpenClaw <b data-testid="bundle-version">{newest?.version}</b> unless they pick another version. Each version is pinned by its own lock file, and its
        image is built on each node from the npm package (no registry pull). A check builds the chosen version&apos;s image where it is missing and starts a throw-away gateway with
        no network. An instance moves to another version by <b>Change version</b> on its node page (snapshot, health gate, automatic rollback).
      </p>
      <table data-testid="bundle-versions">
        <TableHead columns={['Version', 'Image', 'Lock file', 'Deployed']} />
        <tbody>
          {versions.map((v) => (
            <tr key={v.version} data-testid="bundle-version-row">
              <td>
                {v.version}
                {v.isDefault && <span className="badge"> newest</span>}
                {v.testOnly && <span className="badge"> test only</span>}
                {!v.offered && <span className="muted"> (no longer offered)</span>}
              </td>
              <td>{v.image ? <code>{v.image}</code> : '—'}</td>
              <td>{v.lockHash ? <code title={v.lockHash}>sha256 {v.lockHash.slice(0, 12)}</code> : '—'}</td>
              <td>
                {v.instances.length === 0
                  ? 'no instance'
                  : v.instances.map((i) => (
                      <div key={i.instanceId}>
                        {i.instanceName} on <Link to={`/nodes/${i.nodeId}`}>{i.nodeName}</Link> <span className="muted">({i.organizationName})</span>
                      </div>
                    ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {nodes.length > 0 ? (
        <Form method="post" className="row" aria-label="Check the bundle">
          <input type="hidden" name="intent" value="bundle-check" />
          <label>
            Node
            <select name="nodeId" required>
              {nodes.map((n) => (
                <option key={n.id} value={n.id}>
                  {n.name} ({n.organizationName})
                </option>
              ))}
            </select>
          </label>
          <label>
            Version
            <select name="version" defaultValue={newest?.version}>
              {versions
                .filter((v) => v.offered)
                .map((v) => (
                  <option key={v.version} value={v.version}>
                    {v.version}
                  </option>
                ))}
            </select>
          </label>
          <button type="submit" className="secondary" disabled={busy}>
            Check the bundle
          </button>
        </Form>
      ) : (
        <p className="muted">No node with an agent yet.</p>
      )}
      {bundleChecks.length > 0 && (
        <table data-testid="bundle-checks">
          <TableHead columns={['Node', 'State', 'Image', 'Gateway', 'Checked', 'Job']} />
          <tbody>
            {bundleChecks.map((j) => {
              const r = (j.result ?? {}) as { wasPresent?: boolean; sizeBytes?: number; detail?: string; version?: string };
              return (
                <tr key={j.id}>
                  <td>{j.nodeName}</td>
                  <td>
                    <JobState state={j.state} />
                  </td>
                  <td>{r.sizeBytes ? `${r.version}, ${Math.round(r.sizeBytes / 1e6)} MB, ${r.wasPresent ? 'was present' : 'built by this check'}` : '—'}</td>
                  <td>{r.detail ?? j.failureReason ?? '—'}</td>
                  <td>
                    <DateTime iso={j.createdAt} />
                  </td>
                  <td>
                    <Link to={`/jobs/${j.id}`}>Job</Link>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}
