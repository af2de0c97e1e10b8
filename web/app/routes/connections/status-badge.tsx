import type { ConnectionStatus } from '../../../../db/schema.ts';

/** A connection's status as a badge; the styles reuse the node statuses' colours where they mean the same (disabled: plain grey). */
const TONE: Record<ConnectionStatus, string> = { connected: 'online', pending: 'pending', needs_reconnect: 'offline', disabled: 'disabled' };

export function StatusBadge({ status }: { status: ConnectionStatus }) {
  return (
    <span className={`badge ${TONE[status]}`} data-testid="connection-status">
      {status.replace('_', ' ')}
    </span>
  );
}
