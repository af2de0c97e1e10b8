// The home dashboard's three charts, from GET /dashboard/charts's service (api/dashboard/charts.ts says how
// each number is computed). A chart the person may not see (null) is left out.
import type { ChartsOutput } from '../../../../api/dashboard/charts.ts';
import { GroupedBars, StackedBars, type Series } from '../../components/charts.tsx';
import { formatSeconds } from '../../components/dates.ts';
import { EmptyState } from '../../components/empty-state.tsx';

const STATUS_SERIES: Series<'online' | 'stale' | 'offline' | 'pending'>[] = [
  { key: 'online', label: 'online', color: '#2f9e44' },
  { key: 'stale', label: 'stale', color: '#f59f00' },
  { key: 'offline', label: 'offline', color: '#e03131' },
  { key: 'pending', label: 'pending', color: '#74c0fc' },
];
const PERCENTILES: Series<'median' | 'p95'>[] = [
  { key: 'median', label: 'median (s)', color: '#3b5bdb' },
  { key: 'p95', label: 'p95 (s)', color: '#91a7ff' },
];

/** "24 Nov" of a YYYY-MM-DD that is already a day of the viewer's zone. */
const dayLabel = (day: string) => new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' });

function NodeStatusChart({ days, span }: { days: NonNullable<ChartsOutput['nodeStatus']>; span: number }) {
  const today = days.at(-1);
  return (
    <StackedBars
      title={`Nodes over the last ${span} days`}
      testId="chart-node-status"
      summary={`Nodes by the status each held at the end of each day${today ? `; today so far ${STATUS_SERIES.map((s) => `${today[s.key]} ${s.label}`).join(', ')}` : ''}.`}
      categoryLabel="Day (status at its end)"
      data={days.map(({ day, ...values }) => ({ category: day, label: dayLabel(day), values }))}
      series={STATUS_SERIES}
    />
  );
}

function DurationsChart({ durations, span }: { durations: NonNullable<ChartsOutput['durations']>; span: number }) {
  if (!durations.length) return <EmptyChart title="Durations" testId="chart-durations" text={`No job or run ended in the last ${span} days.`} />;
  const slowest = durations.reduce((a, b) => (b.p95Seconds > a.p95Seconds ? b : a));
  return (
    <GroupedBars
      title={`Job and run durations, last ${span} days`}
      testId="chart-durations"
      summary={`Median and 95th percentile time from request to end for ${durations.length} kind${durations.length === 1 ? '' : 's'} of job and run; the slowest at p95 is ${slowest.label}, ${formatSeconds(slowest.p95Seconds)}.`}
      categoryLabel="Job type or workflow"
      data={durations.map((d) => ({
        category: d.definitionId ?? d.type,
        label: d.label,
        values: { median: d.medianSeconds, p95: d.p95Seconds },
        extra: { ended: d.count },
      }))}
      series={PERCENTILES}
      extraColumns={['ended']}
      valueFormat={formatSeconds}
    />
  );
}

function DecisionChart({ decisions, span }: { decisions: NonNullable<ChartsOutput['timeToDecision']>; span: number }) {
  const { count, medianSeconds, p95Seconds } = decisions;
  const said = count ? `median ${formatSeconds(medianSeconds!)}, 95th percentile ${formatSeconds(p95Seconds!)}` : 'none yet';
  return (
    <div>
      <StackedBars
        title={`Approvals’ time to decision, last ${span} days`}
        testId="chart-time-to-decision"
        summary={`${count} decisions on approval requests: ${said}.`}
        categoryLabel="Time to decision"
        data={decisions.buckets.map((b) => ({ category: b.label, label: b.label, values: { decisions: b.count } }))}
        series={[{ key: 'decisions', label: 'decisions', color: '#7048e8' }]}
        height={180}
      />
      <p className="muted" data-testid="time-to-decision-summary">
        {count} decisions · median <span data-testid="decision-median">{medianSeconds ?? '—'}</span> s · p95 <span data-testid="decision-p95">{p95Seconds ?? '—'}</span> s
      </p>
    </div>
  );
}

function EmptyChart({ title, testId, text }: { title: string; testId: string; text: string }) {
  return (
    <section className="card chart" data-testid={testId} aria-label={title}>
      <h3>{title}</h3>
      <EmptyState>{text}</EmptyState>
    </section>
  );
}

export function DashboardCharts({ charts }: { charts: ChartsOutput }) {
  if (!charts.nodeStatus && !charts.durations && !charts.timeToDecision) return null;
  return (
    <section aria-labelledby="charts-heading">
      <h2 id="charts-heading">Trends</h2>
      <div className="charts">
        {charts.nodeStatus && <NodeStatusChart days={charts.nodeStatus} span={charts.days} />}
        {charts.durations && <DurationsChart durations={charts.durations} span={charts.days} />}
        {charts.timeToDecision && <DecisionChart decisions={charts.timeToDecision} span={charts.days} />}
      </div>
    </section>
  );
}
