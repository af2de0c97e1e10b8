import { Form, Link, redirect, useNavigation } from 'react-router';
import { can } from '../../../../api/authz.ts';
import { listConnections } from '../../../../api/connections/service.ts';
import { listInstances } from '../../../../api/instances/list.ts';
import { previewDefinition } from '../../../../api/workflow-definitions/policy-preview.ts';
import { duplicateDefinition, getDefinition, getVersion, setDefinitionArchived } from '../../../../api/workflow-definitions/service.ts';
import { getShares, mayRun, setShares } from '../../../../api/workflow-definitions/sharing.ts';
import { listPeople } from '../../../../api/people/service.ts';
import { conditionInWords, type Step } from '../../../../protocol/workflow-definition.ts';
import { listJobs } from '../../../../api/jobs/service.ts';
import { startWorkflowRun } from '../../../../api/workflow-runs/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { FormError } from '../../components/forms.tsx';
import { TableHead } from '../../components/table.tsx';
import { VerdictLine } from '../../components/verdict.tsx';
import { SharingForm } from './sharing-form.tsx';
import { attempt, load } from '../../service-errors.server.ts';
import type { Route } from './+types/detail.ts';
import { DateTime } from '../../components/time-zone.tsx';
import { jobsListed, useLiveData } from '../../components/live.ts';
import { JobState } from '../jobs/job-view.tsx';

export const meta: Route.MetaFunction = ({ loaderData }) => [{ title: `${loaderData?.definition.name ?? 'Workflow'} · Anthropy Works` }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const id = params.definitionId;
  const definition = await load(() => getDefinition(ctx, id));
  const { organizationId } = definition;
  // ?version=n shows an older version; anything else, the current one.
  const asked = new URL(request.url).searchParams.get('version') ?? '';
  const number = /^[1-9][0-9]{0,8}$/.test(asked) ? Number(asked) : definition.currentVersion.number;
  const version = number === definition.currentVersion.number ? { number, steps: definition.steps } : await load(() => getVersion(ctx, id, number));
  const canBuild = can(ctx.actor, 'workflow_definition.build', { organizationId });
  const canRun = await mayRun(ctx, definition);
  // The names of the records steps act on; an instance a person may not see stays an id.
  const connectionNames = Object.fromEntries((await listConnections(ctx, { organizationId })).items.map((c) => [c.id, c.name]));
  const instanceNames = can(ctx.actor, 'instance.view', { organizationId })
    ? Object.fromEntries((await listInstances(ctx, { organizationId, limit: 200 })).items.map((i) => [i.id, i.name]))
    : {};
  return {
    definition,
    version,
    canBuild,
    canRun,
    // The policy engine's verdicts now (the editor's tool: builders only).
    preview: canBuild ? await load(() => previewDefinition(ctx, id, { version: number })) : null,
    connectionNames,
    instanceNames,
    // Its latest runs: all of them for who sees the organization's jobs, a company user's own.
    runs: canBuild || canRun ? (await listJobs(ctx, { definitionId: id, limit: 10 })).items : [],
    // Who besides its builders may run it: the organization's company users it is shared with.
    sharing: canBuild
      ? {
          sharedWith: (await getShares(ctx, id)).sharedWith.map((p) => p.userId),
          companyUsers: (await listPeople(ctx, { organizationId, limit: 200 })).items.filter((p) => p.role === 'company_user'),
        }
      : null,
  };
}

export async function action({ request, params }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  const intent = form.get('intent');
  if (intent === 'run' || intent === 'simulate') {
    const run = await attempt(() => startWorkflowRun(ctx, params.definitionId, { simulate: intent === 'simulate' }));
    if (run.ok) throw redirect(`/jobs/${run.value.id}`);
    return run;
  }
  if (intent === 'share') return attempt(() => setShares(ctx, params.definitionId, { userIds: form.getAll('userId').map(String) }));
  if (intent === 'duplicate') {
    const copy = await attempt(() => duplicateDefinition(ctx, params.definitionId, {}));
    if (copy.ok) throw redirect(`/workflows/${copy.value.id}`);
    return copy;
  }
  return attempt(() => setDefinitionArchived(ctx, params.definitionId, intent === 'archive'));
}

/** What a step does, in a line. */
function StepAction({ step, connectionNames, instanceNames }: { step: Step; connectionNames: Record<string, string>; instanceNames: Record<string, string> }) {
  if (step.kind === 'connection_action') {
    return (
      <>
        <code>{step.capabilityKey}</code>: {step.action} through <Link to={`/connections/${step.connectionId}`}>{connectionNames[step.connectionId] ?? step.connectionId}</Link>
        {Object.keys(step.input).length > 0 && <pre className="muted">{JSON.stringify(step.input, null, 2)}</pre>}
      </>
    );
  }
  if (step.kind === 'instance_action') {
    return (
      <>
        OpenClaw lifecycle: {step.action} of {instanceNames[step.instanceId] ?? <code>{step.instanceId}</code>}
      </>
    );
  }
  return (
    <>
      {step.kind === 'wait_for_person' ? 'Wait for a person: ' : 'Notify: '}
      {step.message}
    </>
  );
}

function Confirmation({ c }: { c: Step['confirmation'] }) {
  if (!c) return <span className="muted">as the permission asks</span>;
  const parts = [
    c.approvalsNeeded && `${c.approvalsNeeded} approval${c.approvalsNeeded === 1 ? '' : 's'}`,
    c.approverRoles?.length && `by ${c.approverRoles.join(' or ')}`,
    c.approverGroupIds?.length && `${c.approverGroupIds.length} approver group(s)`,
    c.expiresInHours && `expires in ${c.expiresInHours} h`,
    `on expiry: ${c.onExpiry}`,
  ].filter(Boolean);
  return <>{parts.join(', ')}</>;
}

export default function WorkflowDetail({ loaderData, actionData }: Route.ComponentProps) {
  const { definition: d, version, canBuild, canRun, preview, connectionNames, instanceNames, runs, sharing } = loaderData;
  useLiveData(5000, jobsListed(runs.map((r) => r.id))); // its latest runs' states, and a new run
  const busy = useNavigation().state === 'submitting';
  const verdicts = preview?.steps ?? [];
  const current = version.number === d.currentVersion.number;
  return (
    <>
      <h1>{d.name}</h1>
      <p className="muted">
        <Link to={`/workflows?organizationId=${d.organizationId}`}>{d.organizationName}</Link> · version {d.currentVersion.number}
        {d.archivedAt && (
          <>
            {' '}
            · <span className="badge disabled">archived</span> <DateTime iso={d.archivedAt} />
          </>
        )}
      </p>
      {d.description && <p>{d.description}</p>}
      {canRun && (
        <div className="row">
          {(['simulate', 'run'] as const).map((intent) => (
            <Form method="post" key={intent} aria-label={`${intent} workflow`}>
              <input type="hidden" name="intent" value={intent} />
              <button type="submit" className={intent === 'run' ? undefined : 'secondary'} disabled={busy}>
                {intent === 'run' ? `Run version ${d.currentVersion.number}` : 'Simulate'}
              </button>
            </Form>
          ))}
          <Link to="/jobs?type=workflow_run">All runs</Link>
        </div>
      )}
      {canBuild && (
        <div className="row">
          {(['duplicate', d.archivedAt ? 'unarchive' : 'archive'] as const).map((intent) => (
            <Form method="post" key={intent} aria-label={`${intent} workflow`}>
              <input type="hidden" name="intent" value={intent} />
              <button type="submit" className="secondary" disabled={busy}>
                {intent.charAt(0).toUpperCase() + intent.slice(1)}
              </button>
            </Form>
          ))}
          {!d.archivedAt && <Link to={`/workflows/${d.id}/edit`}>Edit</Link>}
          <a href={`/api/v1/workflow-definitions/${d.id}/export`} download={`${d.name}.json`}>
            Export JSON
          </a>
        </div>
      )}
      <FormError message={actionData && !actionData.ok && actionData.formError} />

      <h2>
        Steps of version {version.number}
        {!current && <span className="muted"> (not the current one)</span>}
      </h2>
      <table data-testid="workflow-steps">
        <TableHead columns={['#', 'Step', 'Does', 'Confirmation', ...(preview ? ['Policy now'] : [])]} />
        <tbody>
          {version.steps.map((step, i) => {
            const v = verdicts[i];
            return (
              <tr key={step.id}>
                <td>{i + 1}</td>
                <td>
                  {step.name} <code className="muted">{step.id}</code>
                </td>
                <td>
                  <StepAction step={step} connectionNames={connectionNames} instanceNames={instanceNames} />
                  {step.when && (
                    <div className="muted" data-testid="step-condition">
                      only if {conditionInWords(step.when)}
                    </div>
                  )}
                </td>
                <td>
                  <Confirmation c={step.confirmation} />
                </td>
                {preview && <td data-testid="step-verdict">{v?.verdict ? <VerdictLine verdict={v.verdict} /> : <span className="muted">{v?.builtIn}</span>}</td>}
              </tr>
            );
          })}
        </tbody>
      </table>
      {version.steps.length === 0 && <p className="muted">No steps in this version.</p>}

      <h2>Versions</h2>
      <table data-testid="workflow-versions">
        <TableHead columns={['Version', 'Steps', 'Saved', 'By', 'Content hash']} />
        <tbody>
          {d.versions.map((v) => (
            <tr key={v.number}>
              <td>{v.number === version.number ? <strong>{v.number}</strong> : <Link to={`?version=${v.number}`}>{v.number}</Link>}</td>
              <td>{v.stepCount}</td>
              <td>
                <DateTime iso={v.createdAt} />
              </td>
              <td>{v.createdBy ?? '—'}</td>
              <td>
                <code title={v.contentHash}>{v.contentHash.slice(0, 12)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {runs.length > 0 && (
        <>
          <h2>Latest runs</h2>
          <table data-testid="workflow-runs">
            <TableHead columns={['Run', 'Version', 'State', 'Requested by', 'Started']} />
            <tbody>
              {runs.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={`/jobs/${r.id}`}>{r.params.simulate ? 'Simulation' : 'Run'}</Link>
                  </td>
                  <td>{String(r.params.versionNumber)}</td>
                  <td>
                    <JobState state={r.state} />
                  </td>
                  <td>{r.requestedBy ?? '—'}</td>
                  <td>
                    <DateTime iso={r.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {sharing && (
        <SharingForm companyUsers={sharing.companyUsers} sharedWith={sharing.sharedWith} busy={busy} errors={actionData && !actionData.ok ? actionData.fieldErrors : {}} />
      )}
    </>
  );
}
