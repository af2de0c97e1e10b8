// The home dashboard's lists (api/dashboard/recent.ts): what waits for the person's decision, with the time
// left, and what failed in the last 24 hours by kind. Each item opens its job's page (a run is a job), a
// scheduled run its schedule's; each list says how many there are in all and links to the full list.
import { Link } from 'react-router';
import type { DashboardOutput } from '../../../../api/dashboard/service.ts';
import { timeLeft } from '../../components/dates.ts';
import { EmptyState } from '../../components/empty-state.tsx';
import { DateTime } from '../../components/time-zone.tsx';

type FailedList = NonNullable<DashboardOutput['failures']['jobs']>;

export function WaitingForMe({ waiting }: { waiting: DashboardOutput['waitingForMe'] }) {
  return (
    <section className="card" aria-labelledby="waiting-heading" data-testid="dashboard-waiting">
      <h2 id="waiting-heading">Waiting for me</h2>
      {waiting.items.length === 0 ? (
        <EmptyState next="Requests you may decide appear here as soon as they are made.">Nothing waits for your decision.</EmptyState>
      ) : (
        <ul className="plain">
          {waiting.items.map((i) => (
            <li key={i.jobId} data-job={i.jobId}>
              <Link to={`/jobs/${i.jobId}`}>{i.what}</Link> <span className="muted">({i.organizationName})</span> · {i.given} of {i.needed} approvals ·{' '}
              <span data-testid="time-left" title={i.expiresAt ?? ''}>
                {timeLeft(i.secondsLeft)} left
              </span>
            </li>
          ))}
        </ul>
      )}
      {waiting.total > waiting.items.length && <Link to="/approvals">All {waiting.total} in Approvals</Link>}
    </section>
  );
}

function Failed({ title, testId, list, more }: { title: string; testId: string; list: FailedList; more: string }) {
  return (
    <div data-testid={testId}>
      <h3>
        {title} <span className="badge failed">{list.total}</span>
      </h3>
      {list.items.length === 0 ? (
        <EmptyState>Nothing failed.</EmptyState>
      ) : (
        <ul className="plain">
          {list.items.map((i) => (
            <li key={i.jobId} data-job={i.jobId}>
              {/* A scheduled run opens its schedule, whose page lists its runs to whoever may see them. */}
              <Link to={i.scheduleId ? `/schedules/${i.scheduleId}` : `/jobs/${i.jobId}`}>{i.what}</Link>{' '}
              <span className="muted">
                {i.organizationName} · {i.state} <DateTime iso={i.at} />
              </span>
              {i.reason && <div className="muted">{i.reason}</div>}
            </li>
          ))}
        </ul>
      )}
      {list.total > list.items.length && <Link to={more}>All {list.total}</Link>}
    </div>
  );
}

export function RecentFailures({ failures, listUrl }: { failures: DashboardOutput['failures']; listUrl: (path: string, filters: Record<string, string>) => string }) {
  if (!failures.jobs && !failures.runs && !failures.schedules) return null;
  return (
    <section className="card" aria-labelledby="failed-heading" data-testid="dashboard-failures">
      <h2 id="failed-heading">Failed in the last 24 hours</h2>
      <div className="columns">
        {failures.jobs && <Failed title="Jobs" testId="failed-jobs" list={failures.jobs} more={listUrl('/jobs', { state: 'failed' })} />}
        {failures.runs && <Failed title="Workflow runs" testId="failed-runs" list={failures.runs} more={listUrl('/jobs', { state: 'failed', type: 'workflow_run' })} />}
        {failures.schedules && <Failed title="Scheduled runs" testId="failed-schedules" list={failures.schedules} more={listUrl('/schedules', {})} />}
      </div>
    </section>
  );
}
