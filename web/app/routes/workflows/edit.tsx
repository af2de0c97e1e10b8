// Editing a workflow definition in the editor (editor.tsx), from its current version: Save adds a new
// version (the same content as the current one adds none). Builders only; an archived one is unarchived first.
import { Link } from 'react-router';
import { buildingBlocks } from '../../../../api/workflow-definitions/building-blocks.ts';
import { findDefinition, saveVersion } from '../../../../api/workflow-definitions/service.ts';
import type { Step } from '../../../../protocol/workflow-definition.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { load } from '../../service-errors.server.ts';
import { WorkflowEditor } from './editor.tsx';
import { editorAction } from './editor.server.ts';
import type { Route } from './+types/edit.ts';

export const meta: Route.MetaFunction = ({ loaderData }) => [{ title: `Edit ${loaderData?.initial.name ?? 'workflow'} · Anthropy Works` }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const { d, v } = await load(() => findDefinition(ctx, params.definitionId, 'workflow_definition.build'));
  return {
    id: d.id,
    version: v.number,
    archived: d.archivedAt !== null,
    initial: { name: v.name, description: v.description, steps: v.steps as Step[] },
    blocks: await load(() => buildingBlocks(ctx, d.organizationId)),
  };
}

export async function action({ request, params }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const { d } = await load(() => findDefinition(ctx, params.definitionId, 'workflow_definition.build'));
  return editorAction(ctx, await request.formData(), d.organizationId, (content) => saveVersion(ctx, d.id, content));
}

export default function EditWorkflow({ loaderData, actionData }: Route.ComponentProps) {
  const { id, version, archived, initial, blocks } = loaderData;
  return (
    <>
      <h1>
        Edit {initial.name}
        <span className="muted"> in {blocks.organization.name}</span>
      </h1>
      <p className="muted">
        From version {version}. Saving adds a new version; runs keep the version they started with. <Link to={`/workflows/${id}`}>Back to the workflow</Link>
      </p>
      {archived && <p className="error">This workflow is archived: unarchive it on its page before saving.</p>}
      <WorkflowEditor blocks={blocks} initial={initial} actionData={actionData} saveLabel={`Save version ${version + 1}`} />
    </>
  );
}
