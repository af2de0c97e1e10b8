// The editor's form as the new and edit routes' actions read it: the definition the client kept in its
// state comes as one hidden JSON field (`definition`: name, description, steps), with the steps' keys in
// the order sent (`stepKeys`, echoed so the page puts each error and verdict beside its step).
// intent=preview asks the policy engine about the steps (nothing saved); anything else saves through
// `save`, and a saved definition's page follows. Services authorize and validate; nothing is saved on an error.
import { redirect } from 'react-router';
import type { ServiceContext } from '../../../../api/authz.ts';
import { previewSteps } from '../../../../api/workflow-definitions/policy-preview.ts';
import type { PolicyPreviewOutput } from '../../../../api/workflow-definitions/model.ts';
import { attempt } from '../../service-errors.server.ts';

export type EditorResult = ({ ok: true; preview: PolicyPreviewOutput['steps'] } | { ok: false; fieldErrors: Record<string, string>; formError: string }) & {
  intent: 'preview' | 'save';
  stepKeys: string[];
  /** When it was answered: the page shows the newest of a preview's and a save's answers. */
  at: number;
};

function parse(form: FormData): { content: Record<string, unknown> | null; stepKeys: string[] } {
  let content: unknown;
  let stepKeys: unknown;
  try {
    content = JSON.parse(String(form.get('definition') ?? ''));
    stepKeys = JSON.parse(String(form.get('stepKeys') ?? '[]'));
  } catch {
    return { content: null, stepKeys: [] };
  }
  return {
    content: content && typeof content === 'object' && !Array.isArray(content) ? (content as Record<string, unknown>) : null,
    stepKeys: Array.isArray(stepKeys) ? stepKeys.map(String) : [],
  };
}

/** Reads the form; previews the steps in `organizationId`, or saves with `save` and goes to the definition's page. */
export async function editorAction(
  ctx: ServiceContext,
  form: FormData,
  organizationId: string,
  save: (content: { name: unknown; description: unknown; steps: unknown }) => Promise<{ id: string }>,
): Promise<EditorResult> {
  const intent = form.get('intent') === 'preview' ? 'preview' : 'save';
  const { content, stepKeys } = parse(form);
  const at = Date.now();
  if (!content)
    return { ok: false, fieldErrors: { definition: 'the editor sent no definition' }, formError: 'The editor sent no definition: reload the page.', intent, stepKeys, at };
  if (intent === 'preview') {
    const preview = await attempt(() => previewSteps(ctx, { organizationId, steps: content.steps }));
    return preview.ok ? { ok: true, preview: preview.value.steps, intent, stepKeys, at } : { ...preview, intent, stepKeys, at };
  }
  const saved = await attempt(() => save({ name: content.name, description: content.description, steps: content.steps }));
  if (saved.ok) throw redirect(`/workflows/${saved.value.id}`);
  return { ...saved, intent, stepKeys, at };
}
