import { useEffect } from 'react';
import { data, Form, useNavigation, useRevalidator } from 'react-router';
import { authorize } from '../../../../api/authz.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { load } from '../../service-errors.server.ts';
import { recentReadinessChecks, startReadinessCheck } from './system.server.ts';
import type { Route } from './+types/system.ts';

export const meta: Route.MetaFunction = () => [{ title: 'System · Anthropy Works' }];

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  await load(() => authorize(ctx, 'system.view'));
  return { checks: await recentReadinessChecks() };
}

export async function action({ request }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  await load(() => authorize(ctx, 'system.readiness_check.start'));
  const result = await startReadinessCheck(ctx);
  return data(result, { status: result.ok ? 200 : 503 });
}

export default function System({ loaderData, actionData }: Route.ComponentProps) {
  const { checks } = loaderData;
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
      <p>The readiness check is a Temporal workflow on the <code>control-plane</code> queue: its activities check PostgreSQL and Temporal and record the result here.</p>
      <Form method="post"><button type="submit" disabled={busy}>{busy ? 'Starting…' : 'Run readiness check'}</button></Form>
      {actionData && !actionData.ok && <p className="error" role="alert">{actionData.error}</p>}
      <h2>Recent readiness checks</h2>
      {checks.length === 0 ? <p className="muted">No readiness check has run yet.</p> : (
        <table data-testid="readiness-checks">
          <thead><tr><th>Started</th><th>By</th><th>Status</th><th>Results</th><th>Run</th></tr></thead>
          <tbody>
            {checks.map((c) => (
              <tr key={c.id}>
                <td>{new Date(c.requestedAt).toLocaleString()}</td>
                <td>{c.requester ?? '—'}</td>
                <td><span className={`badge ${c.status}`} data-testid="readiness-status">{c.status}</span></td>
                <td>{c.results.map((r) => <div key={r.name}>{r.ok ? '✓' : '✗'} <b>{r.name}</b>: {r.detail} <span className="muted">({r.durationMs} ms)</span></div>)}</td>
                <td><a href={c.temporalUrl} target="_blank" rel="noreferrer" data-testid="temporal-link">Open in Temporal Web ↗</a></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
