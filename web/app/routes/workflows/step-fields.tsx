// One step in the editor: its name and id, what it does (by kind: a capability's action through one of
// the organization's connections with its input form; a lifecycle action on a managed instance; a
// message), whether it runs only if an earlier step's output says so, its confirmation, the policy
// engine's last verdict, and the save's errors beside each field.
import type { PolicyPreviewOutput } from '../../../../api/workflow-definitions/model.ts';
import type { BuildingBlocks } from '../../../../api/workflow-definitions/building-blocks.ts';
import { INSTANCE_ACTIONS } from '../../../../protocol/workflow-definition.ts';
import { FieldError } from '../../components/forms.tsx';
import { VerdictLine } from '../../components/verdict.tsx';
import { ConditionFields } from './condition-fields.tsx';
import { ConfirmationFields } from './confirmation-fields.tsx';
import { errorAt, KIND_LABELS, type Draft, type FieldsFor } from './draft.ts';
import { InputForm } from './input-form.tsx';

/** The paths a step's card shows beside a field; an error elsewhere is listed at the card's top. */
const SHOWN = ['id', 'name', 'capabilityKey', 'action', 'connectionId', 'instanceId', 'message', 'input', 'when', 'confirmation'];
const shownAt = (path: string) => SHOWN.some((p) => path === p || path.startsWith(`${p}.`));

function Select({
  label,
  value,
  error,
  onChange,
  choices,
}: {
  label: string;
  value: string;
  error?: string;
  onChange: (v: string) => void;
  choices: { value: string; label: string }[];
}) {
  return (
    <label>
      {label}
      <select value={value} aria-invalid={Boolean(error)} onChange={(e) => onChange(e.target.value)}>
        <option value="">Choose…</option>
        {choices.map((c) => (
          <option key={c.value} value={c.value}>
            {c.label}
          </option>
        ))}
      </select>
      <FieldError message={error} />
    </label>
  );
}

/** The only choice when there is exactly one, else none (the person picks). */
const onlyOne = (values: string[]) => (values.length === 1 ? values[0]! : '');

function ConnectionActionFields({ draft, blocks, fieldsFor, errors, onChange }: StepFieldsProps) {
  const capability = blocks.capabilities.find((c) => c.key === draft.capabilityKey);
  const connectionsOf = (provider: string | undefined) => blocks.connections.filter((c) => c.provider === provider);
  return (
    <>
      <Select
        label="Capability"
        value={draft.capabilityKey}
        error={errors.capabilityKey}
        choices={blocks.capabilities.map((c) => ({ value: c.key, label: c.name }))}
        onChange={(capabilityKey) => {
          const next = blocks.capabilities.find((c) => c.key === capabilityKey);
          onChange({
            ...draft,
            capabilityKey,
            action: onlyOne(next?.actions.map((a) => a.key) ?? []),
            connectionId: onlyOne(connectionsOf(next?.provider).map((c) => c.id)),
            inputTexts: {},
          });
        }}
      />
      <Select
        label="Action"
        value={draft.action}
        error={errors.action}
        choices={(capability?.actions ?? []).map((a) => ({ value: a.key, label: `${a.key}: ${a.description} (risk ${a.risk})` }))}
        onChange={(action) => onChange({ ...draft, action, inputTexts: {} })}
      />
      <Select
        label="Connection"
        value={draft.connectionId}
        error={errors.connectionId}
        choices={connectionsOf(capability?.provider).map((c) => ({ value: c.id, label: `${c.name} (${c.status}, ${c.mode})` }))}
        onChange={(connectionId) => onChange({ ...draft, connectionId })}
      />
      {capability && connectionsOf(capability.provider).length === 0 && (
        <span className="muted">This organization has no {capability.name} connection yet (Connections page).</span>
      )}
      {draft.action && (
        <InputForm fields={fieldsFor(draft.capabilityKey, draft.action)} texts={draft.inputTexts} errors={errors} onChange={(inputTexts) => onChange({ ...draft, inputTexts })} />
      )}
    </>
  );
}

interface StepFieldsProps {
  draft: Draft;
  blocks: BuildingBlocks;
  fieldsFor: FieldsFor;
  /** The step's errors by the rest of their path (`input.folderId`). */
  errors: Record<string, string>;
  onChange: (d: Draft) => void;
}

function KindFields(props: StepFieldsProps) {
  const { draft, blocks, errors, onChange } = props;
  if (draft.kind === 'connection_action') return <ConnectionActionFields {...props} />;
  if (draft.kind === 'instance_action') {
    return (
      <>
        <Select
          label="Lifecycle action"
          value={draft.action}
          error={errors.action}
          choices={INSTANCE_ACTIONS.map((a) => ({ value: a, label: a === 'health' ? 'health: check the gateway' : 'restart: restart the gateway' }))}
          onChange={(action) => onChange({ ...draft, action })}
        />
        <Select
          label="Instance"
          value={draft.instanceId}
          error={errors.instanceId}
          choices={blocks.instances.map((i) => ({ value: i.id, label: `${i.name} on ${i.nodeName}` }))}
          onChange={(instanceId) => onChange({ ...draft, instanceId })}
        />
        {blocks.instances.length === 0 && <span className="muted">This organization has no managed OpenClaw instance.</span>}
      </>
    );
  }
  return (
    <label>
      Message
      <textarea rows={3} value={draft.message} aria-invalid={Boolean(errorAt(errors, 'message'))} onChange={(e) => onChange({ ...draft, message: e.target.value })} />
      <FieldError message={errorAt(errors, 'message')} />
    </label>
  );
}

export function StepCard({
  index,
  count,
  earlierIds,
  verdict,
  onRename,
  onMove,
  onRemove,
  ...props
}: StepFieldsProps & {
  index: number;
  count: number;
  /** The ids of the steps before this one: what its references may name. */
  earlierIds: string[];
  verdict?: PolicyPreviewOutput['steps'][number];
  onRename: (name: string) => void;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
}) {
  const { draft, blocks, errors, onChange } = props;
  const elsewhere = Object.entries(errors).filter(([path]) => !shownAt(path));
  return (
    <section className="card stack" data-testid={`editor-step-${index + 1}`} aria-label={`Step ${index + 1}`}>
      <div className="row">
        <strong>
          Step {index + 1}: {KIND_LABELS[draft.kind]}
        </strong>
        <button type="button" className="secondary" disabled={index === 0} onClick={() => onMove(-1)}>
          Move up
        </button>
        <button type="button" className="secondary" disabled={index === count - 1} onClick={() => onMove(1)}>
          Move down
        </button>
        <button type="button" className="danger" onClick={onRemove}>
          Remove
        </button>
      </div>
      {elsewhere.map(([path, message]) => (
        <FieldError key={path} message={path ? `${path}: ${message}` : message} />
      ))}
      <div className="row">
        <label>
          Step name
          <input value={draft.name} maxLength={100} aria-invalid={Boolean(errors.name)} onChange={(e) => onRename(e.target.value)} />
          <FieldError message={errors.name} />
        </label>
        <label>
          Id <span className="muted">(for references)</span>
          <input value={draft.id} size={16} maxLength={50} aria-invalid={Boolean(errors.id)} onChange={(e) => onChange({ ...draft, id: e.target.value, idEdited: true })} />
          <FieldError message={errors.id} />
        </label>
      </div>
      {earlierIds.length > 0 && draft.kind !== 'instance_action' && (
        <p className="muted" data-testid="step-references">
          An input or message may use an earlier step’s output: {earlierIds.map((id) => `{{ steps.${id}.output.<path> }}`).join(', ')}
        </p>
      )}
      <KindFields {...props} />
      <ConditionFields when={draft.when} earlierIds={earlierIds} errors={errors} onChange={(when) => onChange({ ...draft, when })} />
      <ConfirmationFields confirmation={draft.confirmation} groups={blocks.approverGroups} errors={errors} onChange={(confirmation) => onChange({ ...draft, confirmation })} />
      {verdict && (
        <p data-testid="step-verdict">
          Policy now: {verdict.verdict ? <VerdictLine verdict={verdict.verdict} /> : <span className="muted">{verdict.builtIn}</span>}
          {verdict.stepConfirmation && <span className="muted"> The step’s own confirmation applies where it is stricter.</span>}
        </p>
      )}
    </section>
  );
}
