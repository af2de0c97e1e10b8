// The customer report as a page: the same view in the console (/organizations/:id/report) and behind a share
// link (/reports/shared/:token). Dates are in the organization's time zone, which the period is read in
// too. Made to be printed (Chromium's "Save as PDF"): styles.css's print rules hide the console around it
// and keep a table's rows, and a section's heading with its first rows, on one page.
import { scaleLinear } from '@visx/scale';
import { Bar } from '@visx/shape';
import type { ReportOutput } from '../../../../api/reports/service.ts';
import { EmptyState } from '../../components/empty-state.tsx';
import { TableHead } from '../../components/table.tsx';
import { DateOnly, DateTime, TimeZoneProvider } from '../../components/time-zone.tsx';

const percent = (share: number) => `${(share * 100).toFixed(share > 0 && share < 0.001 ? 2 : 1)}%`;

/** How one record's counted time splits: healthy (online), not, unknown, as one bar of visx rectangles. */
function ShareBar({ parts, label }: { parts: { share: number; className: string }[]; label: string }) {
  const width = 120;
  const x = scaleLinear({ domain: [0, 1], range: [0, width] });
  let offset = 0;
  return (
    <svg width={width} height={10} role="img" aria-label={label} className="share-bar">
      {parts.map((p) => {
        const bar = <Bar key={p.className} x={x(offset)} y={0} width={x(p.share)} height={10} className={p.className} />;
        offset += p.share;
        return bar;
      })}
    </svg>
  );
}

const notInPeriod = <span className="muted">not in the period</span>;

export function ReportView({ report }: { report: ReportOutput }) {
  const { organization: org, period, nodes, instances, jobs, blocked, highlights } = report;
  const counted = instances.filter((i) => i.countedMs > 0);
  const failed = (jobs.byState.failed ?? 0) + (jobs.byState.expired ?? 0);
  return (
    <TimeZoneProvider value={org.timeZone}>
      <article className="report" data-testid="customer-report">
        <header>
          <h1>Customer report: {org.name}</h1>
          <p data-testid="report-period">
            <DateOnly iso={period.start} /> to <DateOnly iso={new Date(Date.parse(period.end) - 1).toISOString()} /> ({period.timeZone}) · generated{' '}
            <DateTime iso={report.generatedAt} />
          </p>
        </header>

        <section aria-labelledby="report-summary">
          <h2 id="report-summary">Summary</h2>
          <ul className="report-summary">
            <li>
              <strong>{nodes.length}</strong> {nodes.length === 1 ? 'node' : 'nodes'}, <strong>{instances.length}</strong> OpenClaw{' '}
              {instances.length === 1 ? 'instance' : 'instances'}
            </li>
            <li>
              Average instance uptime: <strong>{counted.length ? percent(counted.reduce((s, i) => s + i.uptime, 0) / counted.length) : '—'}</strong>
            </li>
            <li>
              <strong>{jobs.total}</strong> jobs and workflow runs, <strong>{jobs.byState.completed ?? 0}</strong> completed, <strong>{failed}</strong> failed or expired
            </li>
            <li>
              <strong>{blocked.total}</strong> requests or steps blocked by policy
            </li>
          </ul>
        </section>

        <section aria-labelledby="report-nodes">
          <h2 id="report-nodes">Nodes</h2>
          {nodes.length === 0 ? (
            <EmptyState>No nodes.</EmptyState>
          ) : (
            <table data-testid="report-nodes">
              <TableHead columns={['Node', 'Status now', 'Online', 'Not online', 'Unknown', '']} />
              <tbody>
                {nodes.map((n) => (
                  <tr key={n.id}>
                    <td>{n.name}</td>
                    <td>
                      <span className={`badge ${n.status}`}>{n.status}</span>
                    </td>
                    {n.countedMs > 0 ? (
                      <>
                        <td>{percent(n.online)}</td>
                        <td>{percent(n.notOnline)}</td>
                        <td>{percent(n.unknown)}</td>
                        <td>
                          <ShareBar
                            label={`${n.name}: online ${percent(n.online)}, not online ${percent(n.notOnline)}, unknown ${percent(n.unknown)}`}
                            parts={[
                              { share: n.online, className: 'up' },
                              { share: n.notOnline, className: 'down' },
                              { share: n.unknown, className: 'unknown' },
                            ]}
                          />
                        </td>
                      </>
                    ) : (
                      <td colSpan={4}>{notInPeriod}</td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>

        <section aria-labelledby="report-instances">
          <h2 id="report-instances">OpenClaw instances and their uptime</h2>
          {instances.length === 0 ? (
            <EmptyState>No OpenClaw instances.</EmptyState>
          ) : (
            <table data-testid="report-instances">
              <TableHead columns={['Instance', 'Node', 'State', 'Version', 'Uptime', 'Unhealthy', 'Unknown', 'Checks', 'Last check', '']} />
              <tbody>
                {instances.map((i) => (
                  <tr key={i.id}>
                    <td>{i.name}</td>
                    <td>{i.nodeName}</td>
                    <td>{i.state}</td>
                    <td>{i.bundleVersion ?? '—'}</td>
                    {i.countedMs > 0 ? (
                      <>
                        <td>{percent(i.uptime)}</td>
                        <td>{percent(i.unhealthy)}</td>
                        <td>{i.unknown === 1 ? 'unknown (no check)' : percent(i.unknown)}</td>
                      </>
                    ) : (
                      <td colSpan={3}>{notInPeriod}</td>
                    )}
                    <td>{i.checks}</td>
                    <td>
                      {i.lastCheck ? (
                        <>
                          <span className={`badge ${i.lastCheck.healthy ? 'healthy' : 'unhealthy'}`}>{i.lastCheck.healthy ? 'healthy' : 'unhealthy'}</span>{' '}
                          <DateTime iso={i.lastCheck.at} />
                        </>
                      ) : (
                        'never'
                      )}
                    </td>
                    <td>
                      {i.countedMs > 0 && (
                        <ShareBar
                          label={`${i.name}: healthy ${percent(i.uptime)}, unhealthy ${percent(i.unhealthy)}, unknown ${percent(i.unknown)}`}
                          parts={[
                            { share: i.uptime, className: 'up' },
                            { share: i.unhealthy, className: 'down' },
                            { share: i.unknown, className: 'unknown' },
                          ]}
                        />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h3>How uptime is computed</h3>
          <p className="report-method" data-testid="uptime-method">
            {report.uptimeMethod}
          </p>
        </section>

        <section aria-labelledby="report-jobs">
          <h2 id="report-jobs">Jobs and workflow runs</h2>
          {jobs.items.length === 0 ? (
            <EmptyState>No jobs or runs in the period.</EmptyState>
          ) : (
            <>
              {jobs.items.length < jobs.total && (
                <p className="muted">
                  The newest {jobs.items.length} of {jobs.total}.
                </p>
              )}
              <table data-testid="report-jobs">
                <TableHead columns={['Requested', 'What', 'State', 'Requested by', 'Approvals']} />
                <tbody>
                  {jobs.items.map((j) => (
                    <tr key={j.id}>
                      <td>
                        <DateTime iso={j.createdAt} />
                      </td>
                      <td>
                        {j.label}
                        {j.name && <>: {j.name}</>}
                        {j.simulated && <span className="muted"> (simulation)</span>}
                      </td>
                      <td>
                        <span className={`badge ${j.state}`}>{j.state.replaceAll('_', ' ')}</span>
                        {j.failureReason && <div className="muted">{j.failureReason}</div>}
                      </td>
                      <td>{j.requestedBy ?? 'a schedule'}</td>
                      <td>
                        {j.approvals.length === 0
                          ? '—'
                          : j.approvals.map((a, k) => (
                              <div key={k}>
                                {a.outcome} by {a.by}, <DateTime iso={a.at} />
                                {a.via === 'standing' && <span className="muted"> (standing approval)</span>}
                              </div>
                            ))}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </section>

        <section aria-labelledby="report-blocked">
          <h2 id="report-blocked">Blocked by policy</h2>
          {blocked.items.length === 0 ? (
            <EmptyState>Nothing was blocked in the period.</EmptyState>
          ) : (
            <table data-testid="report-blocked">
              <TableHead columns={['When', 'What', 'Rule', 'Why', 'By']} />
              <tbody>
                {blocked.items.map((b, k) => (
                  <tr key={k}>
                    <td>
                      <DateTime iso={b.at} />
                    </td>
                    <td>{b.what}</td>
                    <td>
                      <code>{b.rule}</code>
                    </td>
                    <td>{b.sentence}</td>
                    <td>{b.by}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>

        <section aria-labelledby="report-highlights">
          <h2 id="report-highlights">Audit highlights</h2>
          <p className="muted">
            Decisions on jobs, changes to connections, people, permissions, nodes, instances and settings, report links, company admins’ sign-ins, and refused attempts.{' '}
            {highlights.items.length < highlights.total && `The newest ${highlights.items.length} of ${highlights.total}.`}
          </p>
          {highlights.items.length === 0 ? (
            <EmptyState>No highlights in the period.</EmptyState>
          ) : (
            <table data-testid="report-highlights">
              <TableHead columns={['When', 'What', 'Who', 'Outcome', 'Reason']} />
              <tbody>
                {highlights.items.map((h, k) => (
                  <tr key={k}>
                    <td>
                      <DateTime iso={h.at} />
                    </td>
                    <td>
                      <code>{h.action}</code>
                    </td>
                    <td>{h.actor}</td>
                    <td>
                      <span className={`badge ${h.outcome}`}>{h.outcome}</span>
                    </td>
                    <td>{h.reason ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </article>
    </TimeZoneProvider>
  );
}
