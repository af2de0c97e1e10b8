// "Deploy OpenClaw" on a node (deploy.server.ts): name and port, and on shared infrastructure the
// customer it is for.
import { Form, useNavigation } from 'react-router';
import { FieldError, OrganizationSelect } from '../../components/forms.tsx';
import type { FormResult } from '../../service-errors.server.ts';

export function DeployForm({
  bundle,
  hostsFor,
  nodeOrganizationId,
  result,
}: {
  bundle: { version: string; port: number };
  hostsFor: { id: string; name: string }[];
  nodeOrganizationId: string;
  result: FormResult<unknown> | null;
}) {
  const busy = useNavigation().state === 'submitting';
  const errors = result && !result.ok ? result.fieldErrors : {};
  return (
    <Form method="post" className="card stack" aria-label="Deploy OpenClaw">
      <input type="hidden" name="intent" value="deploy" />
      <strong>Deploy OpenClaw {bundle.version}</strong>
      <p className="muted">Checks the machine first, then waits for a typed approval before it changes anything.</p>
      <div className="row">
        <label>
          Instance name
          <input name="instanceName" required maxLength={40} placeholder="acme-claw" aria-invalid={Boolean(errors.instanceName)} />
          <FieldError message={errors.instanceName} />
        </label>
        <label>
          Gateway port
          <input name="port" type="number" min={1024} max={65535} defaultValue={bundle.port} aria-invalid={Boolean(errors.port)} />
          <FieldError message={errors.port} />
        </label>
        {hostsFor.length > 0 && (
          <label>
            For
            <OrganizationSelect organizations={hostsFor} defaultValue={nodeOrganizationId} />
            <FieldError message={errors.organizationId} />
          </label>
        )}
      </div>
      {result && !result.ok && !errors.instanceName && !errors.port && !errors.organizationId && (
        <p className="error" role="alert">
          {result.formError}
        </p>
      )}
      <div>
        <button type="submit" disabled={busy}>
          Request deployment
        </button>
      </div>
    </Form>
  );
}
