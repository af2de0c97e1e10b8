// Records specs write straight into the product's database (E2E_DATABASE_URL), as the product would have
// them: here a new customer organization with one node its agent reports from.
import type { Db } from '../../db/client.ts';
import { nodes, organizations } from '../../db/schema.ts';

/** A customer organization named `<label> <suffix>` with one online node `<label>-node-<suffix>` (lower case). */
export async function customerWithNode(db: Db, label: string, suffix = Date.now().toString(36)) {
  const name = `${label} ${suffix}`;
  const [org] = await db.insert(organizations).values({ name, kind: 'customer' }).returning();
  const [node] = await db
    .insert(nodes)
    .values({ organizationId: org!.id, name: `${label.toLowerCase().replaceAll(' ', '-')}-node-${suffix}`, status: 'online' })
    .returning();
  return { organizationId: org!.id, organizationName: name, nodeId: node!.id, nodeName: node!.name };
}
