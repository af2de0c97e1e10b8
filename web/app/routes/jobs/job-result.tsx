// What a finished job found or did: the sentence its type tells (api/jobs/registry.ts) and, where its
// result holds one, an instance's health (the helper can be down while the gateway serves).
import type { JobOutput } from '../../../../api/jobs/job-output.ts';
import type { InstanceHealth } from '../../../../agent-worker/openclaw/health.ts';
import { useDateTimeText } from '../../components/time-zone.tsx';

const isHealth = (value: unknown): value is InstanceHealth => typeof value === 'object' && value !== null && 'gateway' in value && 'cli' in value;
const container = (c: InstanceHealth['gateway']) => `${c.state}${c.health ? ` (${c.health})` : ''}${c.id ? ` · ${c.id.slice(0, 12)}` : ''}`;
/** A probe's outcome; `asked` false when the agent did not try it (see agent-worker/openclaw/health.ts). */
const probed = (result: { ok: boolean } | null, asked: boolean, why: string) => (!asked ? `not tried: ${why}` : result === null ? 'no answer' : result.ok ? 'ok' : 'failed');

export function HealthView({ health, label }: { health: InstanceHealth; label: string }) {
  const gatewayRuns = health.gateway.state === 'running';
  const helperDown = gatewayRuns && health.cli.state !== 'running' && health.cli.id !== null;
  const cliAsked = gatewayRuns && health.cli.state === 'running' && Boolean(health.healthz?.ok);
  return (
    <div className="stack" data-testid={`health-${label}`}>
      <table>
        <tbody>
          <tr>
            <th>Overall</th>
            <td>
              {health.healthy ? 'healthy' : 'not healthy'}
              {helperDown && ' — the gateway serves, but its helper is down'}
            </td>
          </tr>
          <tr>
            <th>Gateway container</th>
            <td>{container(health.gateway)}</td>
          </tr>
          <tr>
            <th>Helper container</th>
            <td>{health.cli.id === null && health.cli.state === 'missing' ? 'none' : container(health.cli)}</td>
          </tr>
          <tr>
            <th>/healthz</th>
            <td>{probed(health.healthz, gatewayRuns, 'the gateway is not running')}</td>
          </tr>
          <tr>
            <th>/readyz</th>
            <td>{probed(health.readyz, gatewayRuns, 'the gateway is not running')}</td>
          </tr>
          <tr>
            <th>
              <code>openclaw gateway health</code>
            </th>
            <td>{probed(health.cliCheck, cliAsked, 'it needs the helper running and /healthz answering')}</td>
          </tr>
        </tbody>
      </table>
      {health.healthz?.body != null && (
        <details>
          <summary>The gateway's health JSON</summary>
          <pre data-testid="health-json">{JSON.stringify(health.healthz.body, null, 2)}</pre>
        </details>
      )}
    </div>
  );
}

type RunStep = {
  id: string;
  name: string;
  state: string;
  source?: string;
  output?: unknown;
  reason?: string;
  approvedBy?: string[];
  jobId?: string;
  verdict?: { sentence: string };
  startedAt?: string;
  endedAt?: string;
};

/** How long a step took, from its start to its end ("1.2 s", "3 min 4 s"); waiting for a person counts. */
export function stepDuration(s: Pick<RunStep, 'startedAt' | 'endedAt'>): string {
  if (!s.startedAt || !s.endedAt) return '—';
  const ms = Date.parse(s.endedAt) - Date.parse(s.startedAt);
  if (!(ms >= 0)) return '—';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const total = Math.round(ms / 1000);
  return total < 3600 ? `${Math.floor(total / 60)} min ${total % 60} s` : `${Math.floor(total / 3600)} h ${Math.floor((total % 3600) / 60)} min`;
}

/** A workflow run's steps as they stand: state (a skipped one says why), where each output came from, who approved, the job an instance step ran; once completed, the count. */
export function RunSteps({ job }: { job: JobOutput }) {
  const steps = (job.result?.steps ?? []) as RunStep[];
  const waitingFor = job.result?.waitingForJob as string | undefined;
  const dateText = useDateTimeText();
  return (
    <section aria-label="Steps">
      <h2>Steps{job.result?.simulate ? ' (simulated: no provider was called, no machine changed)' : ''}</h2>
      {job.summary && <p data-testid="run-summary">{job.summary}</p>}
      <table data-testid="run-steps">
        <thead>
          <tr>
            <th>#</th>
            <th>Step</th>
            <th>State</th>
            <th>Took</th>
            <th>Output</th>
            <th>Approved by</th>
          </tr>
        </thead>
        <tbody>
          {steps.map((s, i) => (
            <tr key={s.id} data-testid={`run-step-${s.id}`}>
              <td>{i + 1}</td>
              <td>
                {s.name}
                {s.jobId && (
                  <>
                    {' '}
                    · <a href={`/jobs/${s.jobId}`}>its job</a>
                  </>
                )}
              </td>
              <td>
                <span className={`badge ${s.state}`}>{s.state}</span>
                {s.reason && <div className="muted">{s.reason}</div>}
              </td>
              <td data-testid="step-took" title={s.startedAt ? `started ${dateText(s.startedAt)}` : undefined}>
                {stepDuration(s)}
              </td>
              <td>
                {s.source && (
                  <span className="badge" data-testid="output-source">
                    {s.source}
                  </span>
                )}
                {s.output !== undefined && <pre className="muted">{JSON.stringify(s.output, null, 2).slice(0, 2000)}</pre>}
              </td>
              <td>{s.approvedBy?.join(', ') ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {waitingFor && job.state === 'running' && (
        <p className="muted">
          Waiting for <a href={`/jobs/${waitingFor}`}>the step’s job</a> (it asks for its own approval).
        </p>
      )}
    </section>
  );
}

export function JobResult({ job }: { job: JobOutput }) {
  if (job.type === 'workflow_run') return job.result ? <RunSteps job={job} /> : null;
  // While a lifecycle action waits for its approval, the approver sees the instance as it is now.
  if (job.state === 'waiting_for_approval' && isHealth(job.result?.before)) {
    return (
      <section aria-label="Health before">
        <h2>The instance now</h2>
        <HealthView health={job.result.before as InstanceHealth} label="before" />
      </section>
    );
  }
  if (job.state !== 'completed' || !job.result) return null;
  const health = job.healthIn && isHealth(job.result[job.healthIn]) ? (job.result[job.healthIn] as InstanceHealth) : null;
  return (
    <section aria-label="Result">
      <h2>Result</h2>
      <div data-testid="job-result">
        {job.summary && <p>{job.summary}</p>}
        {health && <HealthView health={health} label={job.healthIn === 'health' ? 'now' : job.healthIn!} />}
        {!job.summary && !health && <pre>{JSON.stringify(job.result, null, 2)}</pre>}
      </div>
    </section>
  );
}
