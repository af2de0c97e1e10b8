// One rollout (issue 19, ADR 0030): its state and step, a progress bar, each target's state live (the
// rollout's job and its children's jobs change as they run: the live feed reloads the page), the
// failures with their reasons, and Pause, Resume and Cancel. Its approval is given on its job page, like
// every job's; its run links to Temporal Web, its children's runs from their own job pages.
import { Form, Link, useNavigation } from 'react-router';
import { can } from '../../../../api/authz.ts';
import { ROLLOUT_JOB_TYPES } from '../../../../api/fleet/job-types.ts';
import { controlRollout, getRolloutControl } from '../../../../api/fleet/service.ts';
import { NotFoundError } from '../../../../api/errors.ts';
import { getJob } from '../../../../api/jobs/service.ts';
import type { TargetOutcome } from '../../../../workflows/fleet-rollout-plan.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { FormError } from '../../components/forms.tsx';
import { useLiveData } from '../../components/live.ts';
import { TableHead } from '../../components/table.tsx';
import { attempt, load } from '../../service-errors.server.ts';
import { JobState } from '../jobs/job-view.tsx';
import type { Route } from './+types/detail.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Rollout · Anthropy Works' }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const job = await load(async () => {
    const found = await getJob(ctx, params.jobId);
    if (!ROLLOUT_JOB_TYPES.includes(found.type)) throw new NotFoundError('rollout');
    return found;
  });
  return { job, control: await getRolloutControl(ctx, job.id), canControl: can(ctx.actor, 'fleet.control', { organizationId: job.organizationId }) };
}

export async function action({ request, params }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const intent = String((await request.formData()).get('intent'));
  const what = intent === 'pause' || intent === 'resume' ? intent : 'cancel';
  return attempt(() => controlRollout(ctx, params.jobId, what));
}

const ACTIVE = ['preflight', 'waiting_for_approval', 'running'];

export default function RolloutDetail({ loaderData, actionData }: Route.ComponentProps) {
  useLiveData(2000, ['job']); // the rollout's record and its children's
  const { job, control, canControl } = loaderData;
  const busy = useNavigation().state === 'submitting';
  const result = (job.result ?? {}) as { phase?: string; control?: string; stopped?: string | null; targets?: TargetOutcome[]; completed?: number; failed?: number };
  const params = job.params as { action?: string; count?: number; targets?: { id: string; name: string }[]; settings?: Record<string, unknown>; options?: { toVersion?: string } };
  const targets: TargetOutcome[] = result.targets ?? (params.targets ?? []).map((t) => ({ id: t.id, name: t.name, state: 'pending' }));
  const total = targets.length;
  const finished = targets.filter((t) => t.state === 'completed' || t.state === 'failed').length;
  const failures = targets.filter((t) => t.state === 'failed');
  const active = ACTIVE.includes(job.state);
  const paused = control === 'pause';
  return (
    <>
      <h1>
        {job.label}: {String(params.action)} × {total}
      </h1>
      <p className="muted">
        {job.organizationName} ·{' '}
        <Link to={`/jobs/${job.id}`} data-testid="rollout-job">
          its job (approvals, history)
        </Link>{' '}
        ·{' '}
        <a href={job.temporalUrl} target="_blank" rel="noreferrer" data-testid="temporal-link">
          its run in Temporal Web ↗
        </a>
      </p>
      {/* Once approved, the phrase that named it is gone from the page: the version stays said. */}
      {params.options?.toVersion && (
        <p data-testid="rollout-to-version">
          Each instance changes to OpenClaw <strong>{params.options.toVersion}</strong>.
        </p>
      )}
      <p className="row">
        <JobState state={job.state} testId="rollout-state" />
        <span data-testid="rollout-step">{job.step ?? '—'}</span>
      </p>
      <p>
        <label>
          Progress{' '}
          <progress max={Math.max(total, 1)} value={finished} data-testid="rollout-progress">
            {finished} of {total}
          </progress>
        </label>{' '}
        <span data-testid="rollout-counts">
          {finished} of {total} finished: {result.completed ?? 0} completed, {result.failed ?? 0} failed
        </span>
      </p>
      {job.state === 'waiting_for_approval' && (
        <p role="status">
          Waiting for approval: type <strong>{job.approvalPhrase}</strong> on <Link to={`/jobs/${job.id}`}>its job page</Link>.
        </p>
      )}
      {active && paused && !result.stopped && (
        <p role="status" data-testid="rollout-paused">
          Paused: no new batch starts until it is resumed{result.phase === 'paused' ? '' : ' (a batch under way finishes first)'}.
        </p>
      )}
      {active && control === 'cancel' && <p role="status">Cancelled: it stops before its next batch.</p>}
      {result.stopped && (
        <p className="error" role="alert" data-testid="rollout-stopped">
          Stopped by itself: {result.stopped}. Fix the cause, then resume.
        </p>
      )}
      {job.failureReason && <p className="error">{job.failureReason}</p>}
      {canControl && active && (
        <div className="row">
          {!paused && (
            <Form method="post">
              <button type="submit" name="intent" value="pause" disabled={busy} className="secondary">
                Pause
              </button>
            </Form>
          )}
          {paused && (
            <Form method="post">
              <button type="submit" name="intent" value="resume" disabled={busy}>
                Resume
              </button>
            </Form>
          )}
          <Form method="post">
            <button type="submit" name="intent" value="cancel" disabled={busy} className="danger">
              Cancel rollout
            </button>
          </Form>
          <span className="muted">Pause and cancel take effect before the next batch: a target already started finishes.</span>
        </div>
      )}
      <FormError message={actionData && !actionData.ok && actionData.formError} />
      {failures.length > 0 && (
        <>
          <h2>Failures</h2>
          <ul data-testid="rollout-failures">
            {failures.map((t) => (
              <li key={t.id}>
                <strong>{t.name}</strong>: {t.reason ?? 'failed'} {t.jobId && <Link to={`/jobs/${t.jobId}`}>its job</Link>}
              </li>
            ))}
          </ul>
        </>
      )}
      <h2>Targets</h2>
      <table data-testid="rollout-targets">
        <TableHead columns={['Target', 'Batch', 'State', 'Job']} />
        <tbody>
          {targets.map((t) => (
            <tr key={t.id} data-target={t.name}>
              <td>{t.name}</td>
              <td>{t.batch === undefined ? '—' : t.batch === 0 && Number(params.settings?.canarySize ?? 0) > 0 ? 'canary' : t.batch + 1}</td>
              <td>
                <JobState state={t.state} />
                {t.reason && <span className="muted"> {t.reason}</span>}
              </td>
              <td>{t.jobId && t.state !== 'pending' ? <Link to={`/jobs/${t.jobId}`}>job</Link> : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
