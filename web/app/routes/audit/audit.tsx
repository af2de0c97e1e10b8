import { authorize } from '../../../../api/authz.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { load } from '../../service-errors.server.ts';
import { recentAuditEvents } from './audit.server.ts';
import type { Route } from './+types/audit.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Audit · Anthropy Works' }];

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  await load(() => authorize(ctx, 'audit.view', { organizationId: ctx.actor.organizationId }));
  return { events: await recentAuditEvents(ctx.actor) };
}

export default function Audit({ loaderData }: Route.ComponentProps) {
  return (
    <>
      <h1>Audit</h1>
      <p className="muted">Append-only and hash-chained: every sign-in, change and refusal, newest first.</p>
      <table data-testid="audit-events">
        <thead><tr><th>Time</th><th>Actor</th><th>Action</th><th>Target</th><th>Outcome</th><th>Reason</th></tr></thead>
        <tbody>
          {loaderData.events.map((e) => (
            <tr key={e.id}>
              <td>{new Date(e.at).toLocaleString()}</td>
              <td>{e.actorLabel} <span className="muted">({e.actorType})</span></td>
              <td><code>{e.action}</code></td>
              <td>{e.targetType ? `${e.targetType} ${e.targetId ?? ''}` : '—'}</td>
              <td><span className={`badge ${e.outcome}`}>{e.outcome}</span></td>
              <td>{e.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
