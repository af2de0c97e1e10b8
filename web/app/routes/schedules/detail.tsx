// One schedule: its next times in its own time zone, Temporal's view (paused, recent runs, skips and
// missed catch-ups, the Temporal Schedule's link), whose confirmations each run will ask, its runs, and
// pause, resume, trigger now and delete for those who manage it.
import { Form, Link, redirect, useNavigation } from 'react-router';
import { can } from '../../../../api/authz.ts';
import { listJobs } from '../../../../api/jobs/service.ts';
import { deleteSchedule, getSchedule, setSchedulePaused, triggerSchedule } from '../../../../api/schedules/service.ts';
import { grantStandingApproval, listStandingApprovals, revokeStandingApproval } from '../../../../api/schedules/standing-approvals.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { FormError, LabelledInput, RowAction } from '../../components/forms.tsx';
import { TableHead } from '../../components/table.tsx';
import { attempt, load } from '../../service-errors.server.ts';
import type { Route } from './+types/detail.ts';
import { scheduleState, specText } from './spec.ts';
import { DateTime } from '../../components/time-zone.tsx';
import { jobsListed, useLiveData } from '../../components/live.ts';
import { EmptyState } from '../../components/empty-state.tsx';
import { JobState } from '../jobs/job-view.tsx';

export const meta: Route.MetaFunction = ({ loaderData }) => [{ title: `${loaderData?.schedule.name ?? 'Schedule'} · Anthropy Works` }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const schedule = await load(() => getSchedule(ctx, params.scheduleId));
  const { organizationId } = schedule;
  return {
    schedule,
    canManage: can(ctx.actor, 'schedule.manage', { organizationId }),
    me: ctx.actor.email,
    standing: await load(() => listStandingApprovals(ctx, schedule.id)),
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
    case 'pre-approve': {
      const text = (name: string) => String(form.get(name) ?? '').trim();
      return attempt(() =>
        grantStandingApproval(ctx, id, {
          ...(text('maxRuns') ? { maxRuns: Number(text('maxRuns')) } : {}),
          // A day people pick: through its end, UTC.
          ...(text('until') ? { expiresAt: `${text('until')}T23:59:59Z` } : {}),
          ...(text('stepId') ? { stepId: text('stepId') } : {}),
          note: text('note'),
        }),
      );
    }
    case 'revoke-standing':
      return attempt(() => revokeStandingApproval(ctx, id, String(form.get('id') ?? '')));
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
  const { schedule: s, canManage, runs, standing, me } = loaderData;
  useLiveData(5000, jobsListed(runs.map((r) => r.id))); // its runs' states, and a new run
  const errors = actionData && !actionData.ok ? actionData.fieldErrors : {};
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
      {s.ownerWarning && (
        <p className="error" role="status" data-testid="schedule-owner-warning">
          {s.ownerWarning}
        </p>
      )}

      <h2>Next runs</h2>
      {s.temporal ? (
        <>
          <ul data-testid="schedule-upcoming">
            {s.temporal.upcoming.map((u) => (
              <li key={u.at}>
                {u.organizationLocal}
                {u.local !== u.organizationLocal && <span className="muted"> ({u.local})</span>}
              </li>
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

      {s.confirmations.length > 0 && (
        <>
          <h2>Standing approvals</h2>
          <p className="muted">
            Someone who may approve these steps can approve the next runs in advance, for a number of runs or until a day: a run then records their approval when the step asks,
            while they still may give it. Without one, each run waits for its approvers.
          </p>
          <table data-testid="standing-approvals">
            <TableHead columns={['Approver', 'Step', 'Runs used', 'Until', 'Note', '']} />
            <tbody>
              {standing.map((a) => (
                <tr key={a.id}>
                  <td>{a.approver}</td>
                  <td>{a.stepId ?? 'every step'}</td>
                  <td>
                    {a.runsUsed}
                    {a.maxRuns !== null ? ` of ${a.maxRuns}` : ''}
                  </td>
                  <td>
                    <DateTime iso={a.expiresAt} />
                  </td>
                  <td>{a.note}</td>
                  <td>
                    {(canManage || a.approver === me) && (
                      <RowAction intent="revoke-standing" id={a.id} label="Revoke" ariaLabel={`Revoke the standing approval of ${a.approver}`} busy={busy} />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Form method="post" className="card stack" aria-label="Approve runs in advance">
            <input type="hidden" name="intent" value="pre-approve" />
            <strong>Approve the next runs in advance</strong>
            <label>
              Step
              <select name="stepId" defaultValue="">
                <option value="">Every step that asks</option>
                {s.confirmations.map((c) => (
                  <option key={c.stepId} value={c.stepId}>
                    {c.name}
                  </option>
                ))}
              </select>
            </label>
            <LabelledInput label="For this many runs" name="maxRuns" type="number" min={1} max={1000} error={errors.maxRuns} />
            <LabelledInput label="Until (a day, UTC)" name="until" type="date" error={errors.expiresAt} />
            <LabelledInput label="Note" name="note" error={errors.note} />
            <div>
              <button type="submit" disabled={busy}>
                Approve in advance
              </button>
            </div>
          </Form>
        </>
      )}

      <h2>Runs</h2>
      {runs.length === 0 ? (
        <EmptyState next="The schedule’s first run appears here when it starts.">No runs yet.</EmptyState>
      ) : (
        <table data-testid="schedule-runs">
          <TableHead columns={['Run', 'Scheduled for', 'State', 'Started']} />
          <tbody>
            {runs.map((r) => (
              <tr key={r.id}>
                <td>
                  <Link to={`/jobs/${r.id}`}>Run</Link>
                </td>
                <td>
                  <DateTime iso={String(r.params.scheduledAt ?? '')} />
                </td>
                <td>
                  <JobState state={r.state} />
                </td>
                <td>
                  <DateTime iso={r.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
