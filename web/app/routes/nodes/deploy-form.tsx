// "Deploy OpenClaw" on a node (deploy.server.ts): name, port and bundle version (the newest by default),
// and on shared infrastructure the customer it is for.
import { Form, useNavigation } from 'react-router';
import { FieldError, FormError, LabelledInput, OrganizationSelect } from '../../components/forms.tsx';
import type { FormResult } from '../../service-errors.server.ts';

export function DeployForm({
  bundle,
  hostsFor,
  nodeOrganizationId,
  result,
}: {
  bundle: { version: string; versions: string[]; port: number };
  hostsFor: { id: string; name: string }[];
  nodeOrganizationId: string;
  result: FormResult<unknown> | null;
}) {
  const busy = useNavigation().state === 'submitting';
  const errors = result && !result.ok ? result.fieldErrors : {};
  return (
    <Form method="post" className="card stack" aria-label="Deploy OpenClaw">
      <input type="hidden" name="intent" value="deploy" />
      <strong>Deploy OpenClaw</strong>
      <p className="muted">Checks the machine first, then waits for a typed approval before it changes anything.</p>
      <div className="row">
        <LabelledInput label="Instance name" name="instanceName" required maxLength={40} placeholder="acme-claw" error={errors.instanceName} />
        <LabelledInput label="Gateway port" name="port" type="number" min={1024} max={65535} defaultValue={bundle.port} error={errors.port} />
        <label>
          Version
          <select name="bundleVersion" defaultValue={bundle.version}>
            {bundle.versions.map((v) => (
              <option key={v} value={v}>
                {v}
                {v === bundle.version ? ' (newest)' : ''}
              </option>
            ))}
          </select>
          <FieldError message={errors.bundleVersion} />
        </label>
        {hostsFor.length > 0 && (
          <label>
            For
            <OrganizationSelect organizations={hostsFor} defaultValue={nodeOrganizationId} />
            <FieldError message={errors.organizationId} />
          </label>
        )}
      </div>
      <FormError message={result && !result.ok && !errors.instanceName && !errors.port && !errors.organizationId && !errors.bundleVersion && result.formError} />
      <div>
        <button type="submit" disabled={busy}>
          Request deployment
        </button>
      </div>
    </Form>
  );
}
