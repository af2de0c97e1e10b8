// One schedule: its next times in its own time zone, Temporal's view (paused, recent runs, skips and
// missed catch-ups, the Temporal Schedule's link), whose confirmations each run will ask, its runs, and
// pause, resume, trigger now and delete for those who manage it.
import { Form, Link, redirect, useNavigation } from 'react-router';
import { can } from '../../../../api/authz.ts';
import { listJobs } from '../../../../api/jobs/service.ts';
import { deleteSchedule, getSchedule, setSchedulePaused, triggerSchedule } from '../../../../api/schedules/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { formatDateTime } from '../../components/dates.ts';
import { FormError } from '../../components/forms.tsx';
import { TableHead } from '../../components/table.tsx';
import { attempt, load } from '../../service-errors.server.ts';
import type { Route } from './+types/detail.ts';
import { scheduleState, specText } from './spec.ts';

export const meta: Route.MetaFunction = ({ loaderData }) => [{ title: `${loaderData?.schedule.name ?? 'Schedule'} · Anthropy Works` }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const schedule = await load(() => getSchedule(ctx, params.scheduleId));
  const { organizationId } = schedule;
  return {
    schedule,
    canManage: can(ctx.actor, 'schedule.manage', { organizationId }),
    runs: can(ctx.actor, 'job.view', { organizationId }) ? (await listJobs(ctx, { scheduleId: schedule.id, limit: 20 })).items : [],
  };
}

export async function action({ request, params }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  const id = params.scheduleId;
  switch (form.get('intent')) {
    case 'trigger':
      return attempt(() => triggerSchedule(ctx, id));
    case 'resume':
      return attempt(() => setSchedulePaused(ctx, id, false, {}));
    case 'delete': {
      const deleted = await attempt(() => deleteSchedule(ctx, id));
      if (deleted.ok) throw redirect('/schedules');
      return deleted;
    }
    default:
      return attempt(() => setSchedulePaused(ctx, id, true, { note: String(form.get('note') ?? '').trim() || undefined }));
  }
}

export default function ScheduleDetail({ loaderData, actionData }: Route.ComponentProps) {
  const { schedule: s, canManage, runs } = loaderData;
  const busy = useNavigation().state === 'submitting';
  const state = scheduleState(s);
  const button = (intent: string, label: string, className?: string) => (
    <Form method="post" aria-label={`${label} schedule`}>
      <input type="hidden" name="intent" value={intent} />
      <button type="submit" className={className} disabled={busy}>
        {label}
      </button>
    </Form>
  );
  return (
    <>
      <h1>{s.name}</h1>
      <p className="muted">
        <Link to={`/schedules?organizationId=${s.organizationId}`}>{s.organizationName}</Link> · <Link to={`/workflows/${s.definitionId}`}>{s.definitionName}</Link> (
        {s.version === 'latest' ? 'latest version' : `version ${s.version}`}) · runs as {s.owner}
      </p>
      <p>
        <span className={`badge ${state === 'active' ? '' : 'disabled'}`} data-testid="schedule-state">
          {state}
        </span>{' '}
        {specText(s)} · overlap {s.overlap.replace('_', ' ')} · catch-up {s.catchupWindowSeconds} s{s.pauseOnFailure ? ' · pauses when a run fails' : ''}
        {s.jitterSeconds ? ` · jitter ${s.jitterSeconds} s` : ''}
      </p>
      {s.note && <p className="muted">{s.note}</p>}
      {canManage && (
        <div className="row">
          {button('trigger', 'Run now')}
          {s.paused ? button('resume', 'Resume') : button('pause', 'Pause', 'secondary')}
          {button('delete', 'Delete', 'danger')}
        </div>
      )}
      <FormError message={actionData && !actionData.ok && actionData.formError} />

      <h2>Next runs</h2>
      {s.temporal ? (
        <>
          <ul data-testid="schedule-upcoming">
            {s.temporal.upcoming.map((u) => (
              <li key={u.at}>{u.local}</li>
            ))}
            {s.temporal.upcoming.length === 0 && <li className="muted">None: the schedule is paused or has ended.</li>}
          </ul>
          <p className="muted">
            {s.temporal.skippedOverlap} skipped because a run was still going · {s.temporal.missedCatchupWindow} missed after an outage ·{' '}
            <a href={s.temporal.webUrl}>Temporal Schedule</a>
          </p>
        </>
      ) : (
        <p className="muted">Temporal cannot be reached right now.</p>
      )}

      {s.confirmations.length > 0 && (
        <>
          <h2>Confirmations each run asks</h2>
          <ul>
            {s.confirmations.map((c) => (
              <li key={c.stepId}>
                {c.name}: {c.approvalsNeeded} approval{c.approvalsNeeded === 1 ? '' : 's'} by{' '}
                {[...c.approverRoles, ...c.approverGroupIds.map(() => 'an approver group')].join(' or ') || 'nobody'}, {c.when}, waiting up to {c.expiresInHours} h
              </li>
            ))}
          </ul>
        </>
      )}

      <h2>Runs</h2>
      <table data-testid="schedule-runs">
        <TableHead columns={['Run', 'Scheduled for', 'State', 'Started']} />
        <tbody>
          {runs.map((r) => (
            <tr key={r.id}>
              <td>
                <Link to={`/jobs/${r.id}`}>Run</Link>
              </td>
              <td>{formatDateTime(String(r.params.scheduledAt ?? ''))}</td>
              <td>{r.state.replaceAll('_', ' ')}</td>
              <td>{formatDateTime(r.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {runs.length === 0 && <p className="muted">No runs yet.</p>}
    </>
  );
}
