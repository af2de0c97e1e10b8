// Schedules (issue 15): an organization's workflow definitions run on an interval or a cron calendar.
// Company admins see and manage their organization's, MSP staff all. A new schedule opens its page.
import { Form, Link, redirect, useNavigation } from 'react-router';
import { can } from '../../../../api/authz.ts';
import { createSchedule, listSchedules } from '../../../../api/schedules/service.ts';
import { listDefinitions } from '../../../../api/workflow-definitions/service.ts';
import { SCHEDULE_OVERLAPS } from '../../../../db/schema.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { FieldError, FormError, LabelledInput } from '../../components/forms.tsx';
import { OrganizationFilter } from '../../components/list-filters.tsx';
import { TableHead } from '../../components/table.tsx';
import { creationChoices } from '../../filter-choices.server.ts';
import { attempt, loadFilteredPage } from '../../service-errors.server.ts';
import type { Route } from './+types/list.ts';
import { scheduleState, specText } from './spec.ts';
import { DateTime } from '../../components/time-zone.tsx';
import { EmptyState } from '../../components/empty-state.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'Schedules · Anthropy Works' }];

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const { items, filters, filterErrors } = await loadFilteredPage(request, ['organizationId'], async (q) => ({ ...(await listSchedules(ctx, q)), nextCursor: null }));
  // What may be scheduled: the definitions of organizations the actor manages schedules of.
  const definitions = filterErrors.organizationId
    ? []
    : (await listDefinitions(ctx, filters.organizationId ? { organizationId: filters.organizationId } : {})).items
        .filter((d) => can(ctx.actor, 'schedule.manage', { organizationId: d.organizationId }))
        .map((d) => ({ id: d.id, label: `${d.organizationName} · ${d.name}` }));
  const { organizations } = await creationChoices(ctx, filters.organizationId, 'schedule.manage');
  return { schedules: items, filters, filterErrors, definitions, organizations };
}

export async function action({ request }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  const text = (name: string) => String(form.get(name) ?? '').trim();
  const kind = text('kind');
  const number = (name: string) => (text(name) === '' ? undefined : Number(text(name)));
  const created = await attempt(() =>
    createSchedule(ctx, {
      definitionId: text('definitionId'),
      name: text('name'),
      spec: kind === 'interval' ? { kind, everySeconds: number('everySeconds') } : { kind, expression: text('expression') },
      // Left empty: the organization's time zone.
      ...(text('timeZone') ? { timeZone: text('timeZone') } : {}),
      overlap: text('overlap') || 'skip',
      catchupWindowSeconds: number('catchupWindowSeconds') ?? 600,
      pauseOnFailure: form.get('pauseOnFailure') === 'on',
      paused: form.get('paused') === 'on',
    }),
  );
  if (created.ok) throw redirect(`/schedules/${created.value.id}`);
  return created;
}

export default function Schedules({ loaderData, actionData }: Route.ComponentProps) {
  const { schedules, filters, filterErrors, definitions, organizations } = loaderData;
  const busy = useNavigation().state === 'submitting';
  const errors = actionData && !actionData.ok ? actionData.fieldErrors : {};
  return (
    <>
      <h1>Schedules</h1>
      <p className="muted">
        Workflow definitions run on an interval or a calendar, through Temporal Schedules. Each run is a normal workflow run: its steps are checked when they run and its
        confirmations wait for their approvers, unless someone approved the runs in advance.
      </p>
      <OrganizationFilter of="schedules" organizations={organizations} value={filters.organizationId} error={filterErrors.organizationId} button="Filter" />
      {schedules.length === 0 ? (
        <EmptyState next="Schedule a workflow below: it runs at the times you give, with the approvals it needs.">No schedules yet.</EmptyState>
      ) : (
        <table data-testid="schedules">
          <TableHead columns={['Schedule', 'Organization', 'Workflow', 'When', 'Next run', 'Last run', 'State', 'Owner']} />
          <tbody>
            {schedules.map((s) => (
              <tr key={s.id}>
                <td>
                  <Link to={`/schedules/${s.id}`}>{s.name}</Link>
                </td>
                <td>{s.organizationName}</td>
                <td>
                  <Link to={`/workflows/${s.definitionId}`}>{s.definitionName}</Link>{' '}
                  <span className="muted">{s.version === 'latest' ? 'latest version' : `version ${s.version}`}</span>
                </td>
                <td>{specText(s)}</td>
                <td>
                  <DateTime iso={s.nextRunAt} />
                </td>
                <td>
                  {s.lastRun ? (
                    <>
                      <Link to={`/jobs/${s.lastRun.jobId}`}>{s.lastRun.state.replaceAll('_', ' ')}</Link>{' '}
                      <span className="muted">
                        <DateTime iso={s.lastRun.at} />
                      </span>
                    </>
                  ) : (
                    '—'
                  )}
                </td>
                <td>
                  <span className={`badge ${scheduleState(s) === 'active' ? '' : 'disabled'}`}>{scheduleState(s)}</span>
                  {s.failing && scheduleState(s) !== 'failing' && <span className="badge failed"> failing</span>} <a href={s.temporalUrl}>Temporal</a>
                </td>
                <td>{s.owner}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {definitions.length > 0 && (
        <Form method="post" className="card stack" aria-label="New schedule">
          <strong>New schedule</strong>
          <label>
            Workflow
            <select name="definitionId" required defaultValue="">
              <option value="" disabled>
                Workflow…
              </option>
              {definitions.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.label}
                </option>
              ))}
            </select>
            <FieldError message={errors.definitionId} />
          </label>
          <LabelledInput label="Name" name="name" required error={errors.name} />
          <label>
            Runs
            <select name="kind" defaultValue="cron">
              <option value="cron">on a cron calendar</option>
              <option value="interval">every N seconds</option>
            </select>
          </label>
          <LabelledInput label="Cron expression" name="expression" placeholder="0 2 * * *" error={errors['spec.expression']}>
            <span className="muted">minute hour day-of-month month day-of-week (0 or SUN = Sunday; JAN–DEC; @daily, @weekly…), read in the time zone below</span>
          </LabelledInput>
          <LabelledInput label="Every (seconds)" name="everySeconds" type="number" min={1} error={errors['spec.everySeconds']} />
          <LabelledInput label="Time zone" name="timeZone" placeholder="the organization’s" error={errors.timeZone} />
          <label>
            When a run is still going
            <select name="overlap" defaultValue="skip">
              {SCHEDULE_OVERLAPS.map((o) => (
                <option key={o} value={o}>
                  {o.replace('_', ' ')}
                </option>
              ))}
            </select>
          </label>
          <LabelledInput label="Catch-up window (seconds)" name="catchupWindowSeconds" type="number" min={10} defaultValue={600} error={errors.catchupWindowSeconds} />
          <label className="row">
            <input type="checkbox" name="pauseOnFailure" /> Pause when a run fails
          </label>
          <label className="row">
            <input type="checkbox" name="paused" /> Start paused
          </label>
          <FormError message={actionData && !actionData.ok && Object.keys(errors).length === 0 ? actionData.formError : null} />
          <div>
            <button type="submit" disabled={busy}>
              Create schedule
            </button>
          </div>
        </Form>
      )}
    </>
  );
}
