// What the console knows about a node: status, enrollment, agent key, labels and notes.
import type { NodeOutput } from '../../../../api/nodes/service.ts';
import { DateTime } from '../../components/time-zone.tsx';

export function NodeFacts({ node, agentKey }: { node: NodeOutput; agentKey: string | null }) {
  return (
    <table data-testid="node">
      <tbody>
        <tr>
          <th>Status</th>
          <td>
            <span className={`badge ${node.status}`}>{node.status}</span>
            {node.status === 'pending' && <span className="muted"> (until its agent enrolls and reports)</span>}
          </td>
        </tr>
        <tr>
          <th>Enrolled</th>
          <td data-testid="enrolled-at">
            <DateTime iso={node.enrolledAt} />
          </td>
        </tr>
        <tr>
          <th>Revoked</th>
          <td data-testid="revoked-at">
            <DateTime iso={node.revokedAt} />
          </td>
        </tr>
        <tr>
          <th>Last seen</th>
          <td data-testid="last-seen">
            <DateTime iso={node.lastSeenAt} none="never" />
          </td>
        </tr>
        <tr>
          <th>Agent key</th>
          <td>{agentKey ? <code title="SHA-256 of the agent's public key">{agentKey}</code> : '—'}</td>
        </tr>
        <tr>
          <th>Labels</th>
          <td>{node.labels.length ? node.labels.map((l) => <code key={l}>{l} </code>) : '—'}</td>
        </tr>
        <tr>
          <th>Notes</th>
          <td style={{ whiteSpace: 'pre-wrap' }}>{node.notes || '—'}</td>
        </tr>
        <tr>
          <th>Created by</th>
          <td>{node.createdBy ?? '—'}</td>
        </tr>
        <tr>
          <th>Created</th>
          <td>
            <DateTime iso={node.createdAt} />
          </td>
        </tr>
        <tr>
          <th>Updated</th>
          <td>
            <DateTime iso={node.updatedAt} />
          </td>
        </tr>
        <tr>
          <th>Id</th>
          <td>
            <code>{node.id}</code>
          </td>
        </tr>
      </tbody>
    </table>
  );
}
