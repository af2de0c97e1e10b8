import { Form, Link, redirect, useNavigation } from 'react-router';
import { can } from '../../../../api/authz.ts';
import type { ActivitySummary } from '../../../../api/jobs/run-history.ts';
import { approveJob, canDecideJob, cancelJob, getJob, getJobActivities, rejectJob, requestApprovalGrant, retryJob } from '../../../../api/jobs/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { FieldError, FormError } from '../../components/forms.tsx';
import { ago, useLiveData, usePolling } from '../../components/live.ts';
import { attempt, load } from '../../service-errors.server.ts';
import type { Route } from './+types/detail.ts';
import { JobResult } from './job-result.tsx';
import { JobState, jobTarget } from './job-view.tsx';
import { TableHead } from '../../components/table.tsx';
import { DateTime } from '../../components/time-zone.tsx';
import { StepProgressBar } from '../../components/step-progress.tsx';

export const meta: Route.MetaFunction = ({ loaderData }) => [{ title: `${loaderData ? loaderData.job.label : 'Job'} · Anthropy Works` }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const job = await load(() => getJob(ctx, params.jobId));
  const target = { organizationId: job.organizationId };
  // The page stays useful without Temporal: only this section then says it cannot be read.
  const run = await getJobActivities(ctx, job.id).catch(() => null);
  const may = await canDecideJob(ctx, job.id);
  return { job, run, canDecide: may.approve, ownRequest: may.ownRequest, canCancel: may.cancel, canRetry: can(ctx.actor, 'job.retry', target) };
}

export async function action({ request, params }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  const intent = form.get('intent');
  const reason = String(form.get('reason') ?? '').trim() || undefined;
  if (intent === 'approve') return { intent, result: await attempt(() => approveJob(ctx, params.jobId, { phrase: form.get('phrase') ?? '' })) };
  if (intent === 'reject') return { intent, result: await attempt(() => rejectJob(ctx, params.jobId, { reason })) };
  // The engineer's temporal CLI path: a grant for this person to paste into the signal (ADR 0010).
  if (intent === 'grant') return { intent: 'grant' as const, result: await attempt(() => requestApprovalGrant(ctx, params.jobId, { phrase: String(form.get('phrase') ?? '') })) };
  if (intent === 'retry') {
    const result = await attempt(() => retryJob(ctx, params.jobId));
    if (result.ok) return redirect(`/jobs/${result.value.id}`);
    return { intent, result };
  }
  return { intent: 'cancel' as const, result: await attempt(() => cancelJob(ctx, params.jobId, { reason })) };
}

/** The rollout a job is (fleet_rollout, fleet_bulk) or is a target of (ADR 0030). */
const rolloutOf = (job: { id: string; type: string; params: Record<string, unknown> }) =>
  job.type.startsWith('fleet_') ? job.id : typeof job.params.rolloutJobId === 'string' ? job.params.rolloutJobId : null;

export default function JobDetail({ loaderData, actionData }: Route.ComponentProps) {
  useLiveData(2000, ['job']); // its state, step and approvals; a run's own instance jobs
  const { job, run, canDecide, ownRequest, canCancel, canRetry } = loaderData;
  // Attempts and retries of its activities are in Temporal's history, and a step's progress in its
  // heartbeats: neither changes a record the live feed announces, so ask while it runs (every 2 s once
  // it runs or reports progress, so the bar moves; ADR 0022).
  usePolling(job.progress || job.state === 'running' ? 2000 : 5000, job.state === 'preflight' || job.state === 'running');
  const busy = useNavigation().state === 'submitting';
  const approve = actionData?.intent === 'approve' ? actionData.result : null;
  const phraseError = approve && !approve.ok ? (approve.fieldErrors.phrase ?? approve.formError) : null;
  const other = actionData && actionData.intent !== 'approve' && actionData.intent !== 'grant' && !actionData.result.ok ? actionData.result.formError : null;
  const grant = actionData?.intent === 'grant' ? actionData.result : null;
  const waiting = job.state === 'waiting_for_approval';
  const preflight = (job.result?.preflight ?? []) as { name: string; ok: boolean; detail: string }[];
  return (
    <>
      <h1>
        {job.label}: {jobTarget(job)}
      </h1>
      <p className="muted">
        {job.nodeId && (
          <>
            <Link to={`/nodes/${job.nodeId}`}>{job.nodeName}</Link> ·{' '}
          </>
        )}
        {job.organizationName} ·{' '}
        <a href={job.temporalUrl} target="_blank" rel="noreferrer" data-testid="temporal-link">
          its run in Temporal Web ↗
        </a>
        {rolloutOf(job) && (
          <>
            {' '}
            · <Link to={`/rollouts/${rolloutOf(job)}`}>{rolloutOf(job) === job.id ? 'its rollout page' : 'the rollout it is part of'}</Link>
          </>
        )}
      </p>
      <table data-testid="job">
        <tbody>
          <tr>
            <th>State</th>
            <td>
              <JobState state={job.state} testId="job-state" />
            </td>
          </tr>
          <tr>
            <th>Current step</th>
            <td data-testid="job-step">{job.step ?? '—'}</td>
          </tr>
          {job.progress && (
            <tr>
              <th>Progress</th>
              <td>
                <StepProgressBar progress={job.progress} />
              </td>
            </tr>
          )}
          <tr>
            <th>Requested by</th>
            <td>
              {job.requestedBy ?? '—'}, {ago(job.createdAt)}
            </td>
          </tr>
          {job.approvalExpiresAt && (
            <tr>
              <th>Approval expires</th>
              <td>
                <DateTime iso={job.approvalExpiresAt} />
              </td>
            </tr>
          )}
          <tr>
            <th>Finished</th>
            <td>
              <DateTime iso={job.completedAt} />
              {job.durationSeconds !== null && ` (${job.durationSeconds} s)`}
            </td>
          </tr>
          {job.failureReason && (
            <tr>
              <th>Why it ended</th>
              <td className="error" data-testid="failure-reason">
                {job.failureReason}
              </td>
            </tr>
          )}
          <tr>
            <th>Workflow</th>
            <td>
              <code>{job.workflowId}</code>
            </td>
          </tr>
          {job.retryOf && (
            <tr>
              <th>Retries</th>
              <td>
                <Link to={`/jobs/${job.retryOf}`} data-testid="retry-of">
                  the earlier job
                </Link>
              </td>
            </tr>
          )}
        </tbody>
      </table>

      {waiting && canDecide && (
        <Form method="post" className="card stack" aria-label="Approve">
          <input type="hidden" name="intent" value="approve" />
          <strong>Approval needed</strong>
          {job.approvalProgress && job.approvalProgress.needed > 1 && (
            <p data-testid="approval-progress">
              {job.approvalProgress.given} of {job.approvalProgress.needed} approvals
              {job.approvalProgress.approvedBy.length > 0 && ` (approved by ${job.approvalProgress.approvedBy.join(', ')})`}: each must be a different person.
            </p>
          )}
          <p>
            To approve, type exactly: <code data-testid="approval-phrase">{job.approvalPhrase}</code>
          </p>
          <label>
            Phrase
            <input name="phrase" autoComplete="off" required aria-invalid={Boolean(phraseError)} />
            <FieldError message={phraseError} alert />
          </label>
          <div>
            <button type="submit" disabled={busy}>
              Approve
            </button>
          </div>
        </Form>
      )}
      {waiting && canDecide && (
        <details className="card" open={Boolean(grant)}>
          <summary>Approve from the temporal CLI instead</summary>
          <Form method="post" className="stack" aria-label="Grant for the temporal CLI">
            <input type="hidden" name="intent" value="grant" />
            <p className="muted">
              The signal must carry a grant signed for you and this run: type the phrase to get one (good for 10 minutes, once), then run the command it shows.
            </p>
            <label>
              Phrase
              <input name="phrase" autoComplete="off" required aria-invalid={Boolean(grant && !grant.ok)} />
              <FieldError message={grant && !grant.ok ? (grant.fieldErrors.phrase ?? grant.formError) : null} alert />
            </label>
            <div>
              <button type="submit" className="secondary" disabled={busy}>
                Get the command
              </button>
            </div>
          </Form>
          {grant?.ok && <pre data-testid="grant-command">{(grant.value as { command: string }).command}</pre>}
        </details>
      )}
      {waiting && !canDecide && (
        <p className="muted">
          Waiting for {job.approvalProgress && job.approvalProgress.needed > 1 ? `${job.approvalProgress.needed - job.approvalProgress.given} more approvals` : 'an approval'} by
          someone the permission allows, typing <code>{job.approvalPhrase}</code>.
          {ownRequest && <span data-testid="own-request"> You asked for it, and its approval policy forbids approving your own request.</span>}
        </p>
      )}
      {waiting && canDecide && (
        <Form method="post" className="row" aria-label="Reject">
          <input type="hidden" name="intent" value="reject" />
          <label>
            Reason <input name="reason" maxLength={500} />
          </label>
          <button type="submit" className="danger" disabled={busy}>
            Reject
          </button>
        </Form>
      )}
      {(job.state === 'preflight' || waiting) && canCancel && (
        <Form method="post" aria-label="Cancel job">
          <input type="hidden" name="intent" value="cancel" />
          <button type="submit" className="secondary" disabled={busy}>
            Cancel this job
          </button>
        </Form>
      )}
      <FormError message={other} />
      <JobResult job={job} />
      {job.state === 'completed' && job.nodeId && (
        <p>
          <Link to={`/nodes/${job.nodeId}`}>Open {job.nodeName}, the node it ran on.</Link>
        </p>
      )}
      {(job.state === 'failed' || job.state === 'expired') &&
        canRetry &&
        (job.retry.allowed ? (
          <Form method="post" aria-label="Retry">
            <input type="hidden" name="intent" value="retry" />
            <p className="muted">A retry is a new job with the same parameters{job.needsApproval ? ', and asks for its approval again' : ''}.</p>
            <button type="submit" disabled={busy}>
              Retry
            </button>
          </Form>
        ) : (
          <p className="muted" data-testid="retry-refused">
            Not retried: {job.retry.why}
          </p>
        ))}

      {preflight.length > 0 && (
        <section aria-label="Preflight">
          <h2>Preflight on the node</h2>
          <ul data-testid="preflight">
            {preflight.map((c) => (
              <li key={c.name}>
                {c.ok ? '✓' : '✗'} {c.name}: {c.detail}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section aria-label="Approval history">
        <h2>Approval history</h2>
        {job.approvals.length === 0 ? (
          <p className="muted">{job.needsApproval ? 'None yet.' : 'This kind of job needs no approval.'}</p>
        ) : (
          <table data-testid="approvals">
            <TableHead columns={['When', 'Who', 'Via', 'Outcome', 'Why']} />
            <tbody>
              {job.approvals.map((a) => (
                <tr key={`${a.at}-${a.by}`}>
                  <td>
                    <DateTime iso={a.at} />
                  </td>
                  <td>
                    {a.by} ({a.role.replace('_', ' ')})
                  </td>
                  <td>{a.via}</td>
                  <td>{a.outcome}</td>
                  <td>{a.reason ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-label="Activities">
        <h2>Activities</h2>
        {!run ? (
          <p className="muted">Temporal is not reachable: the run's attempts and timeouts cannot be read right now.</p>
        ) : run.history === 'gone' ? (
          <p className="muted">Temporal no longer keeps this run's history.</p>
        ) : run.activities.length === 0 ? (
          <p className="muted">None yet.</p>
        ) : (
          <ActivityTable activities={run.activities} />
        )}
      </section>
    </>
  );
}

const secs = (n: number | undefined) => (n === undefined ? null : n >= 120 ? `${Math.round(n / 60)} min` : `${n} s`);

function ActivityTable({ activities }: { activities: ActivitySummary[] }) {
  return (
    <table data-testid="activities">
      <TableHead columns={['Activity', 'Runs on', 'Calls', 'Attempts', 'Retry limit', 'Timeouts', 'Last']} />
      <tbody>
        {activities.map((a) => {
          const t = [
            secs(a.timeouts.scheduleToStart) && `schedule-to-start ${secs(a.timeouts.scheduleToStart)}`,
            secs(a.timeouts.startToClose) && `start-to-close ${secs(a.timeouts.startToClose)}`,
            secs(a.timeouts.heartbeat) && `heartbeat ${secs(a.timeouts.heartbeat)}`,
            secs(a.timeouts.scheduleToClose) && `schedule-to-close ${secs(a.timeouts.scheduleToClose)}`,
          ]
            .filter(Boolean)
            .join(' · ');
          return (
            <tr key={a.name}>
              <td>
                <code>{a.name}</code>
              </td>
              <td>{a.where}</td>
              <td>{a.calls}</td>
              <td>{a.attempts}</td>
              <td>{a.maxAttemptsPerCall === 0 ? 'unlimited' : `${a.maxAttemptsPerCall} per call`}</td>
              <td>{t || '—'}</td>
              <td>
                {a.last}
                {a.lastFailure && <span className="error">: {a.lastFailure}</span>}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
