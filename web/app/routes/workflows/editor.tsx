// The workflow editor that needs no JSON (the new and edit routes): name, description and ordered steps
// kept in React state; Add step, Move up, Move down, Remove; per step the fields of its kind. Save sends
// the definition as one hidden JSON field (editor.server.ts) and the service validates it: each error
// shows beside its step and field and in a summary at the top, and nothing is saved. The policy engine is
// asked about the steps as they are, without saving, a moment after each change and on Check policy, and
// each verdict shows beside its step (a check made while a step is unfinished shows nothing until asked).
import { useEffect, useMemo, useRef, useState } from 'react';
import { Form, useFetcher, useNavigation } from 'react-router';
import type { BuildingBlocks } from '../../../../api/workflow-definitions/building-blocks.ts';
import { STEP_KINDS, type Step, type StepKind } from '../../../../protocol/workflow-definition.ts';
import { FieldError, LabelledInput } from '../../components/forms.tsx';
import { draftOf, errorsByStep, KIND_LABELS, moved, newDraft, renamed, stepOf, type Draft, type FieldsFor } from './draft.ts';
import type { EditorResult } from './editor.server.ts';
import { fieldsOf } from './input-fields.ts';
import { StepCard } from './step-fields.tsx';

export interface EditorProps {
  blocks: BuildingBlocks;
  /** The version being edited; null for a new definition. */
  initial: { name: string; description: string; steps: Step[] } | null;
  actionData: EditorResult | undefined;
  saveLabel: string;
}

/** The newer of two answers (a save's and a preview's). */
const newest = (a: EditorResult | undefined, b: EditorResult | undefined) => (!a ? b : !b ? a : a.at >= b.at ? a : b);

/** The summary's name for a step: its number and name, as the page shows them now. */
const stepLabel = (drafts: Draft[], key: string) => {
  const i = drafts.findIndex((d) => d.key === key);
  return i < 0 ? 'A removed step' : `Step ${i + 1} (${drafts[i]!.name || drafts[i]!.id})`;
};

export function WorkflowEditor({ blocks, initial, actionData, saveLabel }: EditorProps) {
  const fieldsFor: FieldsFor = useMemo(() => {
    const schemas = new Map(blocks.capabilities.flatMap((c) => c.actions.map((a) => [`${c.key} ${a.key}`, a.inputSchema] as const)));
    return (capabilityKey, action) => fieldsOf(schemas.get(`${capabilityKey} ${action}`));
  }, [blocks]);
  const [name, setName] = useState(initial?.name ?? '');
  const [description, setDescription] = useState(initial?.description ?? '');
  const [drafts, setDrafts] = useState<Draft[]>(() => (initial?.steps ?? []).map((s, i) => draftOf(s, fieldsFor, `saved-${i}`)));
  const [kindToAdd, setKindToAdd] = useState<StepKind>('connection_action');
  const added = useRef(0);
  // Everything is client state: the form stays disabled until the page can run it.
  const [ready, setReady] = useState(false);
  useEffect(() => setReady(true), []);
  const fetcher = useFetcher<EditorResult>();
  const busy = useNavigation().state !== 'idle' || fetcher.state !== 'idle';

  const sent = {
    organizationId: blocks.organization.id,
    definition: JSON.stringify({ name, description, steps: drafts.map((d) => stepOf(d, fieldsFor)) }),
    stepKeys: JSON.stringify(drafts.map((d) => d.key)),
  };
  // Asked by itself after a change: its errors would only say the step being typed is unfinished.
  const automatic = useRef(false);
  const checkPolicy = useRef<(auto: boolean) => void>(() => undefined);
  checkPolicy.current = (auto) => {
    automatic.current = auto;
    void fetcher.submit({ ...sent, intent: 'preview' }, { method: 'post' });
  };
  useEffect(() => {
    if (!ready) return;
    const timer = setTimeout(() => checkPolicy.current(true), 1200);
    return () => clearTimeout(timer);
  }, [ready, sent.definition]);
  const checked = fetcher.data && (fetcher.data.ok || !automatic.current) ? fetcher.data : undefined;
  const answer = newest(actionData, checked);
  const errors: ReturnType<typeof errorsByStep> = answer && !answer.ok ? errorsByStep(answer.fieldErrors, answer.stepKeys) : { steps: {}, others: {} };
  const preview = checked?.ok ? checked : null;
  const verdicts = new Map(preview ? preview.preview.map((v) => [preview.stepKeys[v.index], v]) : []);
  const update = (key: string, change: (d: Draft, all: Draft[]) => Draft) => setDrafts((all) => all.map((d) => (d.key === key ? change(d, all) : d)));
  const summary = [
    ...Object.entries(errors.others).map(([field, message]) => `${field}: ${message}`),
    ...Object.entries(errors.steps).flatMap(([key, byPath]) => Object.entries(byPath).map(([path, message]) => `${stepLabel(drafts, key)}${path ? `, ${path}` : ''}: ${message}`)),
  ];

  return (
    <Form method="post" aria-label="Workflow editor">
      <fieldset disabled={!ready} className="stack">
        <input type="hidden" name="intent" value="save" />
        {Object.entries(sent).map(([field, value]) => (
          <input key={field} type="hidden" name={field} value={value} />
        ))}
        {answer && !answer.ok && (
          <div className="error" role="alert" data-testid="editor-errors">
            <strong>{answer.intent === 'save' ? 'Nothing was saved.' : 'The policy was not checked.'}</strong> Fix these first:
            <ul>
              {(summary.length ? summary : [answer.formError]).map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          </div>
        )}
        <LabelledInput label="Name" value={name} maxLength={100} required onChange={(e) => setName(e.target.value)} error={errors.others.name} />
        <label>
          Description
          <textarea rows={2} value={description} maxLength={2000} aria-invalid={Boolean(errors.others.description)} onChange={(e) => setDescription(e.target.value)} />
          <FieldError message={errors.others.description} />
        </label>
        <FieldError message={errors.others.organizationId} />

        <h2>Steps</h2>
        {drafts.length === 0 && <p className="muted">No steps yet: add the first one below.</p>}
        {drafts.map((d, i) => (
          <StepCard
            key={d.key}
            index={i}
            count={drafts.length}
            draft={d}
            earlierIds={drafts.slice(0, i).map((e) => e.id)}
            blocks={blocks}
            fieldsFor={fieldsFor}
            errors={errors.steps[d.key] ?? {}}
            verdict={verdicts.get(d.key)}
            onChange={(next) => update(d.key, () => next)}
            onRename={(value) => update(d.key, (x, all) => renamed(x, value, all))}
            onMove={(by) => setDrafts((all) => moved(all, d.key, by))}
            onRemove={() => setDrafts((all) => all.filter((x) => x.key !== d.key))}
          />
        ))}
        <div className="row">
          <label>
            Kind of step
            <select value={kindToAdd} onChange={(e) => setKindToAdd(e.target.value as StepKind)}>
              {STEP_KINDS.map((k) => (
                <option key={k} value={k}>
                  {KIND_LABELS[k]}
                </option>
              ))}
            </select>
          </label>
          <button type="button" className="secondary" onClick={() => setDrafts((all) => [...all, newDraft(kindToAdd, all, `new-${++added.current}`)])}>
            Add step
          </button>
        </div>
        <FieldError message={errors.others.steps} />

        <div className="row">
          <button type="button" className="secondary" disabled={busy} onClick={() => checkPolicy.current(false)}>
            Check policy
          </button>
          <button type="submit" disabled={busy}>
            {saveLabel}
          </button>
          {preview && <span className="muted">Policy checked for the steps as they were then; a run asks again before each step.</span>}
        </div>
      </fieldset>
    </Form>
  );
}
