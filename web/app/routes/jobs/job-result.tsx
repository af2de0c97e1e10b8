// What a finished job found or did: the sentence its type tells (api/jobs/registry.ts) and, where its
// result holds one, an instance's health (the helper can be down while the gateway serves).
import type { JobOutput } from '../../../../api/jobs/job-output.ts';
import type { InstanceHealth } from '../../../../agent-worker/openclaw/health.ts';

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

export function JobResult({ job }: { job: JobOutput }) {
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
