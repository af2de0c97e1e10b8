// Fleet rollouts and bulk actions (issue 19, ADR 0030): the ones started, newest first, and the form that
// starts one: an action, which targets (organization, node label, bundle version), the batches and the
// thresholds. A restart or a change of version waits for one typed approval on its job page; a check or refresh starts at once.
import { Form, Link, redirect, useNavigation } from 'react-router';
import { offeredBundleVersions } from '../../../../agent-worker/openclaw/bundle.ts';
import { authorize, can } from '../../../../api/authz.ts';
import { ROLLOUT_ACTIONS } from '../../../../api/fleet/actions.ts';
import { requestRollout } from '../../../../api/fleet/service.ts';
import { listJobs } from '../../../../api/jobs/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { FieldError, FormError, LabelledInput, OrganizationSelect } from '../../components/forms.tsx';
import { useLiveData } from '../../components/live.ts';
import { TableHead } from '../../components/table.tsx';
import { DateTime } from '../../components/time-zone.tsx';
import { EmptyState } from '../../components/empty-state.tsx';
import { filterChoices } from '../../filter-choices.server.ts';
import { attempt, load } from '../../service-errors.server.ts';
import { JobState } from '../jobs/job-view.tsx';
import type { Route } from './+types/list.ts';
import { rolloutFromForm } from './rollout-form.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Rollouts · Anthropy Works' }];

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const own = { organizationId: ctx.actor.organizationId };
  // MSP staff's page: a company person has no rollout to see or start.
  await load(() => authorize(ctx, 'fleet.rollout', { ...own, type: 'organization', id: own.organizationId }));
  const [rollouts, bulk] = await load(() => Promise.all(['fleet_rollout', 'fleet_bulk'].map((type) => listJobs(ctx, { type, limit: 50 }))));
  const items = [...rollouts!.items, ...bulk!.items].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, 50);
  const { organizations } = await filterChoices(ctx, {}, {});
  const actions = Object.values(ROLLOUT_ACTIONS).map((a) => ({ key: a.key, label: a.label, targets: a.targets, approval: a.approval }));
  const versions = offeredBundleVersions().map((v) => v.version);
  return { items, organizations, actions, versions, canStart: can(ctx.actor, 'fleet.rollout', own) };
}

export async function action({ request }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const result = await attempt(async () => requestRollout(ctx, rolloutFromForm(await request.formData())));
  if (result.ok) return redirect(`/rollouts/${result.value.id}`);
  return result;
}

export default function Rollouts({ loaderData, actionData }: Route.ComponentProps) {
  useLiveData(3000, ['job']);
  const { items, organizations, actions, versions, canStart } = loaderData;
  const busy = useNavigation().state === 'submitting';
  const errors = actionData && !actionData.ok ? actionData.fieldErrors : {};
  return (
    <>
      <h1>Rollouts</h1>
      <p className="muted">
        One action over many instances or nodes: a canary batch first, then batches with a pause between them, stopping by itself when a batch fails. Each target is its own job. A
        restart or a change of version waits for one typed approval for the whole rollout.
      </p>
      {canStart && (
        <Form method="post" aria-label="Start a rollout" className="stack">
          <h2>Start a rollout</h2>
          <div className="row">
            <label>
              Action
              <select name="action" defaultValue="health">
                {actions.map((a) => (
                  <option key={a.key} value={a.key}>
                    {a.label} ({a.targets === 'node' ? 'every node picked' : 'every managed instance picked'}
                    {a.approval ? ', one approval' : ''})
                  </option>
                ))}
              </select>
              <FieldError message={errors.action} />
            </label>
            <label>
              Organization
              <OrganizationSelect organizations={organizations} allLabel="All organizations" />
              <FieldError message={errors.organizationId} />
            </label>
            <LabelledInput label="Node label" name="label" maxLength={60} error={errors.label} />
            <LabelledInput label="Bundle version" name="version" maxLength={60} error={errors.version} />
            <label>
              Change to version
              <select name="toVersion" defaultValue="">
                <option value="">(only for Change version)</option>
                {versions.map((v) => (
                  <option key={v} value={v}>
                    {v}
                  </option>
                ))}
              </select>
              <FieldError message={errors.toVersion} />
            </label>
          </div>
          <div className="row">
            <LabelledInput label="Canary size" name="canarySize" type="number" min={0} max={50} defaultValue={1} error={errors.canarySize} />
            <LabelledInput label="Batch size" name="batchSize" type="number" min={1} max={50} defaultValue={2} error={errors.batchSize} />
            <LabelledInput label="Pause between batches (s)" name="pauseSeconds" type="number" min={0} max={86400} defaultValue={0} error={errors.pauseSeconds} />
            <LabelledInput label="Failures that stop a batch" name="maxFailuresPerBatch" type="number" min={1} max={50} defaultValue={1} error={errors.maxFailuresPerBatch} />
            <LabelledInput label="Failure ratio that stops it (%)" name="maxFailurePercent" type="number" min={0} max={100} defaultValue={50} error={errors.maxFailureRatio} />
            <label>
              <input type="checkbox" name="secondApproval" value="true" /> Second approval after the canary
              <FieldError message={errors.secondApproval} />
            </label>
          </div>
          <FormError message={actionData && !actionData.ok && !Object.keys(errors).length && actionData.formError} />
          <p>
            <button type="submit" disabled={busy}>
              Start rollout
            </button>
          </p>
        </Form>
      )}
      <h2>Started</h2>
      <table data-testid="rollouts">
        <TableHead columns={['Rollout', 'State', 'Step', 'Progress', 'Started']} />
        <tbody>
          {items.map((j) => {
            const r = (j.result ?? {}) as { total?: number; completed?: number; failed?: number };
            const total = Number(j.params.count ?? r.total ?? 0);
            return (
              <tr key={j.id}>
                <td>
                  <Link to={`/rollouts/${j.id}`}>
                    {j.label}: {String(j.params.action)} × {total}
                  </Link>
                </td>
                <td>
                  <JobState state={j.state} />
                </td>
                <td>{j.step ?? '—'}</td>
                <td>
                  {r.completed ?? 0} done, {r.failed ?? 0} failed of {total}
                </td>
                <td>
                  <DateTime iso={j.createdAt} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {items.length === 0 && <EmptyState next="Start one above, or from the Instances page’s selection.">No rollout yet.</EmptyState>}
    </>
  );
}
