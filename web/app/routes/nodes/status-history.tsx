// The node's last status changes (a heartbeat's or the node status sweep's, with its reason): when it went stale, came back,
// went offline. The whole history is GET /nodes/{id}/status-history.
import { TableHead } from '../../components/table.tsx';
import { DateTime } from '../../components/time-zone.tsx';

interface Change {
  at: string;
  from: string | null;
  to: string;
  reason: string | null;
}

export function StatusHistory({ changes }: { changes: Change[] }) {
  return (
    <section aria-label="Status history">
      <h2>Status history</h2>
      {changes.length === 0 ? (
        <p className="muted">No status change recorded yet.</p>
      ) : (
        <table data-testid="status-history">
          <TableHead columns={['When', 'From', 'To', 'Why']} />
          <tbody>
            {changes.map((c) => (
              <tr key={`${c.at} ${c.to}`}>
                <td>
                  <DateTime iso={c.at} />
                </td>
                <td>{c.from ?? '—'}</td>
                <td>
                  <span className={`badge ${c.to}`}>{c.to}</span>
                </td>
                <td>{c.reason ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
