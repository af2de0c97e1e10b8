import { Form, Link, useNavigation } from 'react-router';
import { listApproverGroups } from '../../../../api/approver-groups/service.ts';
import { authorize, can } from '../../../../api/authz.ts';
import { listCapabilities } from '../../../../api/capabilities/service.ts';
import { ForbiddenError } from '../../../../api/errors.ts';
import { getOrganization } from '../../../../api/organizations/service.ts';
import { deletePermission, listPermissions, setPermission } from '../../../../api/permissions/service.ts';
import { checkPolicy } from '../../../../api/policy/service.ts';
import { CONFIRMATIONS } from '../../../../db/schema.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { VerdictLine } from '../../components/verdict.tsx';
import { attempt, load } from '../../service-errors.server.ts';
import { RiskBadge } from '../capabilities/risk-badge.tsx';
import type { Route } from './+types/permissions.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Permissions · Anthropy Works' }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const organization = await load(() => getOrganization(ctx, params.organizationId));
  const { items } = await load(() => listPermissions(ctx, organization.id));
  const catalogue = await load(() => listCapabilities(ctx, { disabled: 'include' }));
  const target = { organizationId: organization.id };
  // The groups a policy may name: the organization's own and the MSP-wide ones.
  const groups = (await load(() => listApproverGroups(ctx, { organizationId: organization.id }))).items.map((g) => ({
    id: g.id,
    name: g.mspWide ? `${g.name} (MSP-wide)` : g.name,
  }));
  return {
    organization,
    groups,
    permissions: items,
    catalogue: catalogue.items,
    canWiden: can(ctx.actor, 'permission.update', target),
    canNarrow: can(ctx.actor, 'permission.narrow', target),
  };
}

const limit = (v: FormDataEntryValue | null) => (String(v ?? '').trim() === '' ? null : Number(v));

export async function action({ request, params }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  const capabilityId = String(form.get('capabilityId') ?? '');
  const intent = String(form.get('intent'));
  // A company admin who tries to widen is told so on the form, not with an error page.
  const asForm = async <T,>(fn: () => Promise<T>) =>
    attempt(async () => {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof ForbiddenError) return { refused: err.message };
        throw err;
      }
    });
  if (intent === 'check') {
    return attempt(async () => ({
      capabilityId,
      verdict: await checkPolicy(ctx, { organizationId: params.organizationId, capabilityKey: form.get('capabilityKey'), action: form.get('action') }),
    }));
  }
  // Who may not change permissions at all gets the 403 (or 404) page; a refused narrowing stays on the form.
  await load(() =>
    authorize(ctx, intent === 'reset' ? 'permission.update' : 'permission.narrow', { organizationId: params.organizationId, type: 'organization', id: params.organizationId }),
  );
  if (intent === 'reset') return asForm(async () => ({ capabilityId, saved: await deletePermission(ctx, params.organizationId, capabilityId) }));
  return asForm(async () => ({
    capabilityId,
    saved: await setPermission(ctx, params.organizationId, capabilityId, {
      enabled: form.get('enabled') === 'on',
      allowedActions: form.getAll('allowedActions').map(String),
      confirmation: form.get('confirmation'),
      approval: {
        approvalsNeeded: Number(form.get('approvalsNeeded') || 1),
        approverRoles: form.getAll('approverRoles').map(String),
        approverGroupIds: form.getAll('approverGroupIds').map(String),
        forbidSelfApproval: form.get('forbidSelfApproval') === 'on',
        expiresInHours: Number(form.get('expiresInHours') || 24),
      },
      runsPerHour: limit(form.get('runsPerHour')),
      runsPerDay: limit(form.get('runsPerDay')),
      enforced: form.get('enforced') === 'on',
    }),
  }));
}

export default function Permissions({ loaderData, actionData }: Route.ComponentProps) {
  const { organization, permissions, catalogue, groups, canWiden, canNarrow } = loaderData;
  const busy = useNavigation().state === 'submitting';
  const result = actionData?.ok ? actionData.value : null;
  const failed = actionData && !actionData.ok ? actionData : null;
  const risks = new Map(catalogue.map((c) => [c.key, new Map(c.actions.map((a) => [a.key, a.risk]))]));
  return (
    <>
      <h1>Permissions of {organization.name}</h1>
      <p className="muted">
        <Link to={`/organizations/${organization.id}`}>{organization.name}</Link> · What this organization may do with each capability of the{' '}
        <Link to="/capabilities">catalogue</Link>. “Default” is the built-in permission of an entry; MSP staff change anything, a company admin may only narrow a permission the MSP
        does not enforce.
      </p>
      {result && 'refused' in result && <p role="alert">{result.refused}</p>}
      {result && 'saved' in result && result.saved && (
        <p role="status">
          Saved the permission for {result.saved.capabilityName} ({result.saved.source === 'organization' ? 'its own' : result.saved.source}).
        </p>
      )}
      {failed && <p role="alert">{failed.formError}</p>}

      <Form method="post" className="row card" aria-label="Check an action">
        <input type="hidden" name="intent" value="check" />
        <label>
          Capability
          <select name="capabilityKey">
            {catalogue
              .filter((c) => c.kind !== 'pack')
              .map((c) => (
                <option key={c.key} value={c.key}>
                  {c.name} ({c.key})
                </option>
              ))}
          </select>
        </label>
        <label>
          Action
          <input name="action" required maxLength={100} placeholder="restart" />
        </label>
        <button type="submit" disabled={busy}>
          Check
        </button>
        {result && 'verdict' in result && result.verdict && (
          <p role="status" data-testid="verdict">
            <VerdictLine verdict={result.verdict} />
          </p>
        )}
      </Form>

      <table data-testid="permissions">
        <thead>
          <tr>
            <th>Capability</th>
            <th>Permission</th>
          </tr>
        </thead>
        <tbody>
          {permissions.map((p) => {
            const disabledForm = !(canWiden || (canNarrow && p.source !== 'none' && !p.enforced));
            return (
              <tr key={p.capabilityId} data-key={p.capabilityKey}>
                <td>
                  <strong>{p.capabilityName}</strong> <code>{p.capabilityKey}</code>
                  <div className="muted">
                    {p.source === 'organization' ? 'Own permission' : p.source === 'default' ? 'Built-in default' : 'No permission'}
                    {p.enforced && ' · enforced by the MSP'}
                    {p.capabilityDisabled && ' · disabled in the catalogue'}
                  </div>
                </td>
                <td>
                  <Form method="post" className="row" aria-label={`Permission for ${p.capabilityName}`}>
                    <input type="hidden" name="capabilityId" value={p.capabilityId} />
                    <fieldset disabled={disabledForm || busy} className="row">
                      <label>
                        <input type="checkbox" name="enabled" defaultChecked={p.enabled} /> Enabled
                      </label>
                      {[...(risks.get(p.capabilityKey) ?? new Map())].map(([action, risk]) => (
                        <label key={action}>
                          <input type="checkbox" name="allowedActions" value={action} defaultChecked={p.allowedActions.includes(action)} /> {action} <RiskBadge risk={risk} />
                        </label>
                      ))}
                      <label>
                        Confirmation
                        <select name="confirmation" defaultValue={p.confirmation}>
                          {CONFIRMATIONS.map((c) => (
                            <option key={c} value={c}>
                              {c === 'by_risk' ? 'high and critical' : c}
                            </option>
                          ))}
                        </select>
                      </label>
                      {(['msp_admin', 'msp_operator'] as const).map((role) => (
                        <label key={role}>
                          <input type="checkbox" name="approverRoles" value={role} defaultChecked={(p.approval?.approverRoles ?? ['msp_admin', 'msp_operator']).includes(role)} />{' '}
                          {role === 'msp_admin' ? 'MSP admins approve' : 'MSP operators approve'}
                        </label>
                      ))}
                      {groups.map((g) => (
                        <label key={g.id}>
                          <input type="checkbox" name="approverGroupIds" value={g.id} defaultChecked={(p.approval?.approverGroupIds ?? []).includes(g.id)} /> {g.name} approve
                        </label>
                      ))}
                      <label>
                        Approvals needed (different people)
                        <input name="approvalsNeeded" type="number" min={1} max={5} defaultValue={p.approval?.approvalsNeeded ?? 1} />
                      </label>
                      <label>
                        <input type="checkbox" name="forbidSelfApproval" defaultChecked={p.approval?.forbidSelfApproval ?? false} /> No self-approval
                      </label>
                      <label>
                        Approve within (hours)
                        <input name="expiresInHours" type="number" min={1} max={720} defaultValue={p.approval?.expiresInHours ?? 24} />
                      </label>
                      <label>
                        Runs per hour
                        <input name="runsPerHour" type="number" min={1} defaultValue={p.runsPerHour ?? ''} />
                      </label>
                      <label>
                        Runs per day
                        <input name="runsPerDay" type="number" min={1} defaultValue={p.runsPerDay ?? ''} />
                      </label>
                      {canWiden && (
                        <label>
                          <input type="checkbox" name="enforced" defaultChecked={p.enforced} /> Enforced
                        </label>
                      )}
                      {!canWiden && p.enforced && <input type="hidden" name="enforced" value="on" />}
                      <button type="submit" name="intent" value="save">
                        Save
                      </button>
                      {canWiden && p.source === 'organization' && (
                        <button type="submit" name="intent" value="reset" className="danger">
                          Remove
                        </button>
                      )}
                    </fieldset>
                  </Form>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}
