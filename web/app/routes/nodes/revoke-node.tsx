// Revoking a node's agent (revoke-node.server.ts), and what came of it.
import { Form, useNavigation } from 'react-router';
import type { FormResult } from '../../service-errors.server.ts';
import { FormError } from '../../components/forms.tsx';

export function RevokeNode({ nodeName, canRevoke, result }: { nodeName: string; canRevoke: boolean; result: FormResult<unknown> | null }) {
  const busy = useNavigation().state === 'submitting';
  return (
    <>
      {result?.ok && <p role="status">Node revoked: its agent’s requests, jobs and heartbeats are refused from now on.</p>}
      <FormError message={result && !result.ok && result.formError} />
      {canRevoke && (
        <Form method="post" className="card" aria-label="Revoke node">
          <input type="hidden" name="intent" value="revoke-node" />
          <p>
            Revoking cuts this node’s agent off: its requests, jobs and heartbeats are refused from now on and its outstanding enrollment tokens are withdrawn. It can be enrolled
            again later with a new enrollment command.
          </p>
          <button type="submit" className="danger" disabled={busy}>
            Revoke {nodeName}
          </button>
        </Form>
      )}
    </>
  );
}
