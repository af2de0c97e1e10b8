// The OpenClaw bundle's versions (agent-worker/openclaw/bundle.ts), each with its lock file's hash and
// what runs it where: the managed instances recorded at each version, by node. For the System page and
// GET /system/bundle-versions. An instance at a version the bundle no longer offers is listed under it too.
import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { DEFAULT_BUNDLE_VERSION, offeredBundleVersions } from '../../agent-worker/openclaw/bundle.ts';
import { instances, nodes, organizations } from '../../db/schema.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import { defineEndpoint } from '../endpoint.ts';

const DeployedInstance = z.object({
  instanceId: z.string(),
  instanceName: z.string(),
  nodeId: z.string(),
  nodeName: z.string(),
  organizationName: z.string(),
});

export const BundleVersionOutput = z.object({
  version: z.string(),
  openclaw: z.string().describe('The openclaw npm version its lock file pins'),
  image: z.string().nullable(),
  lockHash: z.string().nullable().describe('sha256 of the version’s package-lock.json (null: a version no longer offered)'),
  offered: z.boolean(),
  isDefault: z.boolean().describe('What a new deployment gets unless it asks for another'),
  testOnly: z.boolean(),
  instances: z.array(DeployedInstance),
});
export type BundleVersionOutput = z.infer<typeof BundleVersionOutput>;

export async function listBundleVersions(ctx: ServiceContext): Promise<{ items: BundleVersionOutput[] }> {
  await authorize(ctx, 'system.view');
  const rows = await ctx.db
    .select({
      instanceId: instances.id,
      instanceName: instances.name,
      version: instances.bundleVersion,
      nodeId: nodes.id,
      nodeName: nodes.name,
      organizationName: organizations.name,
    })
    .from(instances)
    .innerJoin(nodes, eq(nodes.id, instances.nodeId))
    .innerJoin(organizations, eq(organizations.id, instances.organizationId))
    .where(eq(instances.state, 'managed'))
    .orderBy(asc(nodes.name), asc(instances.name));
  const deployedAt = (version: string) => rows.filter((r) => r.version === version).map(({ version: _v, ...r }) => r);
  const offered = offeredBundleVersions();
  const items: BundleVersionOutput[] = offered.map((v) => ({
    version: v.version,
    openclaw: v.openclaw,
    image: v.image,
    lockHash: v.lockSha256,
    offered: true,
    isDefault: v.version === DEFAULT_BUNDLE_VERSION,
    testOnly: Boolean(v.unhealthy),
    instances: deployedAt(v.version),
  }));
  const others = [...new Set(rows.map((r) => r.version ?? 'unknown'))].filter((v) => !offered.some((o) => o.version === v));
  for (const version of others.sort()) {
    items.push({
      version,
      openclaw: version,
      image: null,
      lockHash: null,
      offered: false,
      isDefault: false,
      testOnly: false,
      instances: rows.filter((r) => (r.version ?? 'unknown') === version).map(({ version: _v, ...r }) => r),
    });
  }
  return { items };
}

export const bundleVersionEndpoints = [
  defineEndpoint({
    method: 'get',
    path: '/system/bundle-versions',
    tag: 'System',
    summary: 'The OpenClaw bundle’s versions (newest first, each pinned by its lock file) and the managed instances running each, by node',
    response: z.object({ items: z.array(BundleVersionOutput) }),
    handler: (ctx) => listBundleVersions(ctx),
  }),
];
