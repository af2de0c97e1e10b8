// What a finished job found or did, told for its type: a deployment's gateway, a health check's two
// containers (the helper can be down while the gateway serves), a restart's downtime, a takeover's
// containers, a removal's leftovers, a bundle check's image.
import type { ReactNode } from 'react';
import type { JobOutput } from '../../../../api/jobs/service.ts';
import type { InstanceHealth } from '../../../../agent-worker/openclaw/health.ts';

type Result = Record<string, unknown>;
const mb = (bytes: unknown) => `${Math.round(Number(bytes) / 1e6)} MB`; // as the System page shows it
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
          <tr><th>Overall</th><td>{health.healthy ? 'healthy' : 'not healthy'}{helperDown && ' — the gateway serves, but its helper is down'}</td></tr>
          <tr><th>Gateway container</th><td>{container(health.gateway)}</td></tr>
          <tr><th>Helper container</th><td>{health.cli.id === null && health.cli.state === 'missing' ? 'none' : container(health.cli)}</td></tr>
          <tr><th>/healthz</th><td>{probed(health.healthz, gatewayRuns, 'the gateway is not running')}</td></tr>
          <tr><th>/readyz</th><td>{probed(health.readyz, gatewayRuns, 'the gateway is not running')}</td></tr>
          <tr><th><code>openclaw gateway health</code></th><td>{probed(health.cliCheck, cliAsked, 'it needs the helper running and /healthz answering')}</td></tr>
        </tbody>
      </table>
      {health.healthz?.body != null && (
        <details><summary>The gateway's health JSON</summary><pre data-testid="health-json">{JSON.stringify(health.healthz.body, null, 2)}</pre></details>
      )}
    </div>
  );
}

function describe(job: JobOutput, r: Result): ReactNode {
  switch (job.type) {
    case 'deploy_openclaw':
      return <p>OpenClaw {String(r.version)} on port {String(r.port)}, healthy {String(r.secondsToHealthy)} s after the deployment started.</p>;
    case 'health_check':
      return r.health ? <HealthView health={r.health as InstanceHealth} label="now" /> : null;
    case 'restart_gateway':
      return <>
        <p>The gateway was restarted and answered again after {String(r.downtimeSeconds)} s of downtime.</p>
        {r.after ? <HealthView health={r.after as InstanceHealth} label="after" /> : null}
      </>;
    case 'stop_instance':
    case 'start_instance':
      return r.after ? <HealthView health={r.after as InstanceHealth} label="after" /> : null;
    case 'remove_instance': {
      const volumes = (r.volumesRemoved as string[] | undefined) ?? [];
      return <p>Removed {((r.removed as string[] | undefined) ?? []).length} container(s); {volumes.length ? `removed the volumes ${volumes.join(', ')}` : 'its volumes were kept'}.</p>;
    }
    case 'adopt_openclaw': {
      const containers = (r.containers as { id: string; name?: string }[] | undefined) ?? [];
      return <p>Now managed, exactly as it runs: {containers.map((c) => c.name ?? c.id.slice(0, 12)).join(', ')} (nothing on the machine was changed).</p>;
    }
    case 'bundle_check':
      return <p>{String(r.image)} (OpenClaw {String(r.version)}, {mb(r.sizeBytes)}{r.wasPresent ? '' : ', built for this check'}): {String(r.detail)}.</p>;
    default:
      return <pre>{JSON.stringify(r, null, 2)}</pre>;
  }
}

export function JobResult({ job }: { job: JobOutput }) {
  // While a lifecycle action waits for its approval, the approver sees the instance as it is now.
  if (job.state === 'waiting_for_approval' && job.result?.before) {
    return <section aria-label="Health before"><h2>The instance now</h2><HealthView health={job.result.before as InstanceHealth} label="before" /></section>;
  }
  if (job.state !== 'completed' || !job.result) return null;
  return (
    <section aria-label="Result">
      <h2>Result</h2>
      <div data-testid="job-result">{describe(job, job.result)}</div>
    </section>
  );
}
