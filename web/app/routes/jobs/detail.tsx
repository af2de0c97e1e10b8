import { Form, Link, useNavigation } from 'react-router';
import { can } from '../../../../api/authz.ts';
import { approveJob, cancelJob, getJob, rejectJob } from '../../../../api/jobs/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { ago, useLiveData } from '../../components/live.ts';
import { attempt, load } from '../../service-errors.server.ts';
import type { Route } from './+types/detail.ts';
import { JobState, jobTarget, jobTypeLabel } from './job-view.tsx';

export const meta: Route.MetaFunction = ({ loaderData }) => [{ title: `${loaderData ? jobTypeLabel(loaderData.job.type) : 'Job'} · Anthropy Works` }];

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

export async function loader({ request, params }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const job = await load(() => getJob(ctx, params.jobId));
  const target = { organizationId: job.organizationId };
  return { job, canDecide: can(ctx.actor, 'job.approve', target), canCancel: can(ctx.actor, 'job.cancel', target) };
}

export async function action({ request, params }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  const intent = form.get('intent');
  const reason = String(form.get('reason') ?? '').trim() || undefined;
  if (intent === 'approve') return { intent, result: await attempt(() => approveJob(ctx, params.jobId, { phrase: form.get('phrase') ?? '' })) };
  if (intent === 'reject') return { intent, result: await attempt(() => rejectJob(ctx, params.jobId, { reason })) };
  return { intent: 'cancel' as const, result: await attempt(() => cancelJob(ctx, params.jobId, { reason })) };
}

export default function JobDetail({ loaderData, actionData }: Route.ComponentProps) {
  useLiveData(2000);
  const { job, canDecide, canCancel } = loaderData;
  const busy = useNavigation().state === 'submitting';
  const approve = actionData?.intent === 'approve' ? actionData.result : null;
  const phraseError = approve && !approve.ok ? (approve.fieldErrors.phrase ?? approve.formError) : null;
  const other = actionData && actionData.intent !== 'approve' && !actionData.result.ok ? actionData.result.formError : null;
  const waiting = job.state === 'waiting_for_approval';
  const preflight = (job.result?.preflight ?? []) as { name: string; ok: boolean; detail: string }[];
  return (
    <>
      <h1>{jobTypeLabel(job.type)}: {jobTarget(job)}</h1>
      <p className="muted">
        <Link to={`/nodes/${job.nodeId}`}>{job.nodeName}</Link> · {job.organizationName} ·{' '}
        <a href={job.temporalUrl} target="_blank" rel="noreferrer" data-testid="temporal-link">its run in Temporal Web ↗</a>
      </p>
      <table data-testid="job">
        <tbody>
          <tr><th>State</th><td><JobState state={job.state} /></td></tr>
          <tr><th>Current step</th><td data-testid="job-step">{job.step ?? '—'}</td></tr>
          <tr><th>Requested by</th><td>{job.requestedBy ?? '—'}, {ago(job.createdAt)}</td></tr>
          {job.approvalExpiresAt && <tr><th>Approval expires</th><td>{when(job.approvalExpiresAt)}</td></tr>}
          <tr><th>Finished</th><td>{when(job.completedAt)}{job.durationSeconds !== null && ` (${job.durationSeconds} s)`}</td></tr>
          {job.failureReason && <tr><th>Why it ended</th><td className="error" data-testid="failure-reason">{job.failureReason}</td></tr>}
          <tr><th>Workflow</th><td><code>{job.workflowId}</code></td></tr>
        </tbody>
      </table>

      {waiting && canDecide && (
        <Form method="post" className="card stack" aria-label="Approve">
          <input type="hidden" name="intent" value="approve" />
          <strong>Approval needed</strong>
          <p>To approve, type exactly: <code data-testid="approval-phrase">{job.approvalPhrase}</code></p>
          <label>
            Phrase
            <input name="phrase" autoComplete="off" required aria-invalid={Boolean(phraseError)} />
            {phraseError && <span className="field-error" role="alert">{phraseError}</span>}
          </label>
          <div><button type="submit" disabled={busy}>Approve</button></div>
        </Form>
      )}
      {waiting && !canDecide && <p className="muted">Waiting for an MSP admin or operator to approve by typing <code>{job.approvalPhrase}</code>.</p>}
      {waiting && canDecide && (
        <Form method="post" className="row" aria-label="Reject">
          <input type="hidden" name="intent" value="reject" />
          <label>Reason <input name="reason" maxLength={500} /></label>
          <button type="submit" className="danger" disabled={busy}>Reject</button>
        </Form>
      )}
      {(job.state === 'preflight' || waiting) && canCancel && (
        <Form method="post" aria-label="Cancel job">
          <input type="hidden" name="intent" value="cancel" />
          <button type="submit" className="secondary" disabled={busy}>Cancel this job</button>
        </Form>
      )}
      {other && <p className="error" role="alert">{other}</p>}

      {preflight.length > 0 && (
        <section aria-label="Preflight">
          <h2>Preflight on the node</h2>
          <ul data-testid="preflight">{preflight.map((c) => <li key={c.name}>{c.ok ? '✓' : '✗'} {c.name}: {c.detail}</li>)}</ul>
        </section>
      )}
      <section aria-label="Approval history">
        <h2>Approval history</h2>
        {job.approvals.length === 0 ? <p className="muted">None yet.</p> : (
          <table data-testid="approvals">
            <thead><tr><th>When</th><th>Who</th><th>Via</th><th>Outcome</th><th>Why</th></tr></thead>
            <tbody>
              {job.approvals.map((a) => (
                <tr key={`${a.at}-${a.by}`}><td>{when(a.at)}</td><td>{a.by} ({a.role.replace('_', ' ')})</td><td>{a.via}</td><td>{a.outcome}</td><td>{a.reason ?? '—'}</td></tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {job.state === 'completed' && job.result && (
        <section aria-label="Result">
          <h2>Result</h2>
          <p data-testid="job-result">
            OpenClaw {String(job.result.version)} on port {String(job.result.port)}, healthy {String(job.result.secondsToHealthy)} s after the deployment started.
            {job.instanceId && <> <Link to={`/nodes/${job.nodeId}`}>See it on its node.</Link></>}
          </p>
        </section>
      )}
    </>
  );
}
