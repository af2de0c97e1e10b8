// A new workflow definition, built in the editor (editor.tsx) in one organization: a company admin's
// own; MSP staff choose one first, since the steps pick its connections, instances and approver groups.
import { Form } from 'react-router';
import { listedOrganizationId } from '../../../../api/list-scope.ts';
import { buildingBlocks } from '../../../../api/workflow-definitions/building-blocks.ts';
import { createDefinition } from '../../../../api/workflow-definitions/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { OrganizationSelect } from '../../components/forms.tsx';
import { creationChoices } from '../../filter-choices.server.ts';
import { load } from '../../service-errors.server.ts';
import { WorkflowEditor } from './editor.tsx';
import { editorAction } from './editor.server.ts';
import type { Route } from './+types/new.ts';

export const meta: Route.MetaFunction = () => [{ title: 'New workflow · Anthropy Works' }];

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const asked = new URL(request.url).searchParams.get('organizationId')?.trim() || undefined;
  const organizationId = listedOrganizationId(ctx.actor, asked);
  if (!organizationId) return { blocks: null, organizations: (await creationChoices(ctx, undefined, 'workflow_definition.build')).organizations };
  return { blocks: await load(() => buildingBlocks(ctx, organizationId)), organizations: [] };
}

export async function action({ request }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  const organizationId = String(form.get('organizationId') ?? '');
  return editorAction(ctx, form, organizationId, (content) => createDefinition(ctx, { organizationId, ...content }));
}

export default function NewWorkflow({ loaderData, actionData }: Route.ComponentProps) {
  const { blocks, organizations } = loaderData;
  return (
    <>
      <h1>New workflow{blocks && <span className="muted"> in {blocks.organization.name}</span>}</h1>
      {blocks ? (
        <WorkflowEditor blocks={blocks} initial={null} actionData={actionData} saveLabel="Save version 1" />
      ) : (
        <Form method="get" className="row" aria-label="Choose organization">
          <label>
            Organization
            <OrganizationSelect organizations={organizations} required />
          </label>
          <button type="submit">Continue</button>
        </Form>
      )}
    </>
  );
}
