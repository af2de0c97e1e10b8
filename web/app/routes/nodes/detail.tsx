// A node's page: its facts and edit form, agent enrollment, OpenClaw instances (deploy, adopt, operate),
// containers and revocation. Each form is a component of this folder with its server logic beside it
// (`<feature>.server.ts`, exporting its intents); this module only composes them.
import { Link } from 'react-router';
import { getNodeIdentity } from '../../../../api/agents/service.ts';
import { can } from '../../../../api/authz.ts';
import { getNodeInventory } from '../../../../api/nodes/inventory.ts';
import { getNode } from '../../../../api/nodes/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { load } from '../../service-errors.server.ts';
import type { Route } from './+types/detail.ts';
import { Containers } from './containers.tsx';
import { DeployForm } from './deploy-form.tsx';
import { deployIntents, loadDeployment } from './deploy.server.ts';
import { EditNode } from './edit-node.tsx';
import { editNodeIntents } from './edit-node.server.ts';
import { EnrollmentPanel } from './enrollment-panel.tsx';
import { enrollmentIntents, loadEnrollment } from './enrollment.server.ts';
import { instanceIntents } from './instance-actions.server.ts';
import { InstanceRow } from './instance-row.tsx';
import { inventoryIntents } from './inventory-refresh.server.ts';
import { NodeFacts } from './node-facts.tsx';
import { RevokeNode } from './revoke-node.tsx';
import { revokeNodeIntents } from './revoke-node.server.ts';
import { FormError } from '../../components/forms.tsx';
import { useLiveData } from '../../components/live.ts';
import { TableHead } from '../../components/table.tsx';
import { getNodeStatusHistory } from '../../../../api/nodes/status-history.ts';
import { StatusHistory } from './status-history.tsx';

export const meta: Route.MetaFunction = ({ loaderData }) => [{ title: `${loaderData?.node.name ?? 'Node'} · Anthropy Works` }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const node = await load(() => getNode(ctx, params.nodeId));
  const target = { organizationId: node.organizationId };
  const identity = await load(() => getNodeIdentity(ctx, node.id));
  const inventory = await load(() => getNodeInventory(ctx, node.id));
  const statusHistory = await load(() => getNodeStatusHistory(ctx, node.id, { limit: 10 }));
  const enrolled = Boolean(node.enrolledAt) && !node.revokedAt;
  return {
    node,
    agentKey: identity.agentKeyFingerprint,
    inventory,
    statusChanges: statusHistory.items,
    ...(await loadEnrollment(ctx, node)),
    ...(await loadDeployment(
      ctx,
      node,
      inventory.instances.map((i) => i.port),
    )),
    canEdit: can(ctx.actor, 'node.update', target),
    canRevoke: can(ctx.actor, 'node.revoke', target) && !node.revokedAt,
    canRefresh: can(ctx.actor, 'node.refresh_inventory', target) && enrolled,
    canSeeOrganization: can(ctx.actor, 'organization.view', target),
  };
}

const intents = { ...editNodeIntents, ...enrollmentIntents, ...deployIntents, ...instanceIntents, ...inventoryIntents, ...revokeNodeIntents };
const isIntent = (value: unknown): value is keyof typeof intents => typeof value === 'string' && Object.hasOwn(intents, value);

export async function action({ request, params }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  const intent = form.get('intent');
  // No intent (or an unknown one): the edit form.
  return intents[isIntent(intent) ? intent : 'update']({ ctx, nodeId: params.nodeId, form });
}

type Answer = NonNullable<Route.ComponentProps['actionData']>;
type AnswerTo<I> = Extract<Answer, { intent: I }>;

export default function NodeDetail({ loaderData, actionData }: Route.ComponentProps) {
  const { node, agentKey, tokens, canEdit, canEnroll, canRevoke, canRefresh, canDeploy, hostsFor, bundle, canSeeOrganization, inventory } = loaderData;
  /** The outcome of this page's last form, for the form that sent it. */
  const resultOf = <I extends Answer['intent']>(intent: I) => (actionData?.intent === intent ? ((actionData as AnswerTo<I>).result as AnswerTo<I>['result']) : null);
  const instanceAction = resultOf('instance-action');
  // Its status, last sighting and instances follow the records (ADR 0018). A change of an instance does not
  // name its node, so any instance's change reloads the page: instances change at the pace of jobs.
  useLiveData(5000, (c) => (c.kind === 'node' && c.id === node.id) || c.kind === 'instance');
  return (
    <>
      <h1>{node.name}</h1>
      <p className="muted">
        Node of {canSeeOrganization ? <Link to={`/organizations/${node.organizationId}`}>{node.organizationName}</Link> : node.organizationName}
        {' · '}
        <Link to={`/nodes?organizationId=${node.organizationId}`}>All its nodes</Link>
      </p>
      <NodeFacts node={node} agentKey={agentKey} />
      {canEdit && <EditNode node={node} result={resultOf('update')} />}
      {canEnroll && <EnrollmentPanel nodeRevoked={Boolean(node.revokedAt)} tokens={tokens} created={resultOf('create-enrollment')} tokenRevoked={resultOf('revoke-token')} />}
      <section aria-label="OpenClaw instances">
        <h2>OpenClaw instances</h2>
        <p>
          <Link to={`/jobs?nodeId=${node.id}`}>Jobs on this node</Link>
        </p>
        {canDeploy && <DeployForm bundle={bundle} hostsFor={hostsFor} nodeOrganizationId={node.organizationId} result={resultOf('deploy')} />}
        <FormError message={instanceAction && !instanceAction.ok && instanceAction.formError} />
        {inventory.instances.length === 0 ? (
          <p className="muted">None seen on this node.</p>
        ) : (
          <table data-testid="instances">
            <TableHead columns={['Name', 'State', 'Containers', 'Why', '']} />
            <tbody>
              {inventory.instances.map((i) => (
                <InstanceRow key={i.id} instance={i} nodeOrganizationId={node.organizationId} canOperate={canDeploy} versions={bundle.versions} />
              ))}
            </tbody>
          </table>
        )}
      </section>
      <Containers containers={inventory.containers} canRefresh={canRefresh} refresh={resultOf('refresh-inventory')} />
      <StatusHistory changes={loaderData.statusChanges} />
      <RevokeNode nodeName={node.name} canRevoke={canRevoke} result={resultOf('revoke-node')} />
    </>
  );
}
