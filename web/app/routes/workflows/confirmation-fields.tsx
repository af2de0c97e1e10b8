// A step's own confirmation: how many people, which of the organization's approver groups and which MSP
// roles may approve, when the request expires and what expiry means. It can only make the permission's
// confirmation stricter: the policy engine keeps the stricter of the two when the run gets there.
import { CONFIRMATION_ROLES } from '../../../../protocol/workflow-definition.ts';
import { FieldError, LabelledInput } from '../../components/forms.tsx';
import { errorAt, type DraftConfirmation } from './draft.ts';

const EMPTY: DraftConfirmation = { approvalsNeeded: '', approverGroupIds: [], approverRoles: [], expiresInHours: '', onExpiry: 'fail' };
const ROLE_LABELS: Record<(typeof CONFIRMATION_ROLES)[number], string> = { msp_admin: 'MSP admins', msp_operator: 'MSP operators' };

/** `list` with `item` in it or not. */
const toggled = (list: string[], item: string, on: boolean) => (on ? [...list.filter((x) => x !== item), item] : list.filter((x) => x !== item));

export function ConfirmationFields({
  confirmation: c,
  groups,
  errors,
  onChange,
}: {
  confirmation: DraftConfirmation | null;
  groups: { id: string; name: string; mspWide: boolean }[];
  /** The step's errors by the rest of their path (`confirmation.approvalsNeeded`). */
  errors: Record<string, string>;
  onChange: (c: DraftConfirmation | null) => void;
}) {
  const error = (field: string) => errorAt(errors, `confirmation.${field}`);
  // Typed as text: a number is sent as one, anything else as typed, so the save names the field.
  const numberField = (field: 'approvalsNeeded' | 'expiresInHours', label: string) =>
    c && (
      <LabelledInput
        label={label}
        inputMode="decimal"
        value={c[field]}
        placeholder="as the permission says"
        error={error(field)}
        onChange={(e) => onChange({ ...c, [field]: e.target.value })}
      />
    );
  return (
    <fieldset className="stack" data-testid="step-confirmation">
      <legend>Confirmation</legend>
      <fieldset className="choices">
        <label>
          <input type="checkbox" checked={c !== null} onChange={(e) => onChange(e.target.checked ? EMPTY : null)} />
          Ask for a stricter confirmation than the permission does
        </label>
      </fieldset>
      <FieldError message={errors.confirmation} />
      {c && (
        <>
          {numberField('approvalsNeeded', 'Approvals needed (different people, 1 to 5)')}
          <fieldset className="choices">
            <legend>Approver groups</legend>
            {groups.length === 0 && <span className="muted">This organization has no approver groups (Approver groups page).</span>}
            {groups.map((g) => (
              <label key={g.id}>
                <input
                  type="checkbox"
                  checked={c.approverGroupIds.includes(g.id)}
                  onChange={(e) => onChange({ ...c, approverGroupIds: toggled(c.approverGroupIds, g.id, e.target.checked) })}
                />
                {g.name}
                {g.mspWide && <span className="muted"> (MSP-wide)</span>}
              </label>
            ))}
            <FieldError message={error('approverGroupIds')} />
          </fieldset>
          <fieldset className="choices">
            <legend>Approver roles</legend>
            {CONFIRMATION_ROLES.map((role) => (
              <label key={role}>
                <input
                  type="checkbox"
                  checked={c.approverRoles.includes(role)}
                  onChange={(e) => onChange({ ...c, approverRoles: toggled(c.approverRoles, role, e.target.checked) })}
                />
                {ROLE_LABELS[role]}
              </label>
            ))}
            <FieldError message={error('approverRoles')} />
          </fieldset>
          {numberField('expiresInHours', 'Expires in hours')}
          <label>
            On expiry
            <select value={c.onExpiry} onChange={(e) => onChange({ ...c, onExpiry: e.target.value as DraftConfirmation['onExpiry'] })}>
              <option value="fail">fail the run</option>
              <option value="skip">skip the step</option>
            </select>
            <FieldError message={error('onExpiry')} />
          </label>
        </>
      )}
    </fieldset>
  );
}
