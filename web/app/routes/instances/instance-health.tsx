// How an instance's health reads on the Instances page, and what a bulk "Check health" started or was
// refused (each refusal with its reason, and the policy rule when one blocked it).
import { Link } from 'react-router';
import type { HealthStatus, InstanceHealthSummary } from '../../../../api/instances/health.ts';
import type { HealthChecksOutcome } from '../../../../api/instances/health-checks.ts';
import { ago } from '../../components/live.ts';
import { useDateTimeText } from '../../components/time-zone.tsx';

export function InstanceHealth({ status, health }: { status: HealthStatus; health: InstanceHealthSummary | null }) {
  const dateText = useDateTimeText();
  return (
    <>
      <span className={`badge ${status}`} data-testid="instance-health">
        {status}
      </span>
      {health && (
        <span className="muted" title={dateText(health.checkedAt)}>
          {' '}
          gateway {health.gateway ?? '?'}, helper {health.cli ?? 'none'} · {ago(health.checkedAt)}
        </span>
      )}
    </>
  );
}

export function HealthChecksResult({ outcome }: { outcome: HealthChecksOutcome }) {
  const n = outcome.started.length;
  return (
    <div role="status" data-testid="health-checks">
      <p>
        {n === 0 ? 'No health check started.' : `Started ${n} health check${n === 1 ? '' : 's'}: `}
        {outcome.started.map((s, k) => (
          <span key={s.jobId}>
            {k > 0 && ', '}
            <Link to={`/jobs/${s.jobId}`}>{s.instanceName}</Link>
          </span>
        ))}
      </p>
      {outcome.refused.length > 0 && (
        <ul className="error">
          {outcome.refused.map((r) => (
            <li key={r.instanceId}>
              {r.instanceName ?? r.instanceId}: {r.reason}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
