// The node page's "Deploy OpenClaw": who may deploy on this node, for which organizations, on which
// port by default; a request that passes starts its job, and the answer is that job's page.
import { redirect } from 'react-router';
import { can, type ServiceContext } from '../../../../api/authz.ts';
import { requestDeployment } from '../../../../api/instances/service.ts';
import type { NodeOutput } from '../../../../api/nodes/service.ts';
import { listOrganizations } from '../../../../api/organizations/service.ts';
import { DEFAULT_BUNDLE_VERSION, OPENCLAW_BUNDLE, offeredBundleVersions } from '../../../../agent-worker/openclaw/bundle.ts';
import { attempt } from '../../service-errors.server.ts';
import type { NodeIntentArgs } from './intent.server.ts';

/** The gateway port to offer: the bundle's, or the next one no instance on the node uses (the service has the last word). */
const firstFreePort = (taken: (number | null)[]) => {
  let port = OPENCLAW_BUNDLE.gatewayPort;
  while (taken.includes(port)) port += 1;
  return port;
};

export async function loadDeployment(ctx: ServiceContext, node: NodeOutput, takenPorts: (number | null)[]) {
  const canDeploy = can(ctx.actor, 'instance.deploy', { organizationId: node.organizationId }) && Boolean(node.enrolledAt) && !node.revokedAt;
  // A node of the MSP's shared infrastructure may host an instance for any customer.
  const organizations = canDeploy ? (await listOrganizations(ctx, { limit: 200 })).items : [];
  const hostsFor = organizations.find((o) => o.id === node.organizationId)?.kind === 'msp' ? organizations.filter((o) => !o.archivedAt).map(({ id, name }) => ({ id, name })) : [];
  return { canDeploy, hostsFor, bundle: { version: DEFAULT_BUNDLE_VERSION, versions: offeredBundleVersions().map((v) => v.version), port: firstFreePort(takenPorts) } };
}

export const deployIntents = {
  deploy: async ({ ctx, nodeId, form }: NodeIntentArgs) => {
    const port = String(form.get('port') ?? '').trim();
    const organizationId = String(form.get('organizationId') ?? '');
    const bundleVersion = String(form.get('bundleVersion') ?? '');
    const result = await attempt(() =>
      requestDeployment(ctx, {
        nodeId,
        instanceName: form.get('instanceName') ?? '',
        ...(port ? { port } : {}),
        ...(organizationId ? { organizationId } : {}),
        ...(bundleVersion ? { bundleVersion } : {}),
      }),
    );
    if (result.ok) return redirect(`/jobs/${result.value.id}`);
    return { intent: 'deploy' as const, result };
  },
};
