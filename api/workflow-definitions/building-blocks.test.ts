// What the editor may offer a builder, against a real database: only builders of the organization get it
// (a company user is refused, another organization is not found), only capabilities with a provider and
// the actions it implements, each with its input as JSON Schema, and only the organization's own
// connections, managed instances and approver groups (MSP-wide ones too).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { instances, nodes } from '../../db/schema.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { failure, seedTenants, type Tenants } from '../../tests/jest/tenants.ts';
import { createApproverGroup } from '../approver-groups/service.ts';
import { createConnection } from '../connections/service.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import { buildingBlocks } from './building-blocks.ts';

let t: TestDatabase;
let w: Tenants;

beforeAll(async () => {
  t = await freshDatabase();
  w = await seedTenants(t.db);
  const admin = w.ctx(w.actors.admin);
  for (const [label, org] of [
    ['acme', w.acme],
    ['globex', w.globex],
  ] as const) {
    await createConnection(admin, { organizationId: org.id, provider: 'google_drive', name: `${label} Drive`, mode: 'demo' });
    await createApproverGroup(admin, { organizationId: org.id, name: `${label} approvers` });
    const [node] = await t.db
      .insert(nodes)
      .values({ organizationId: org.id, name: `${label}-node` })
      .returning();
    await t.db.insert(instances).values([
      { organizationId: org.id, nodeId: node!.id, name: `${label}-managed`, state: 'managed', containerIds: ['d'.repeat(64)], port: 18789 },
      { organizationId: org.id, nodeId: node!.id, name: `${label}-discovered`, state: 'discovered', containerIds: ['e'.repeat(64)] },
    ]);
  }
  await createApproverGroup(admin, { organizationId: w.msp.id, name: 'MSP on call' });
});
afterAll(() => t.close());

describe('building blocks of the workflow editor', () => {
  it('offers a builder the organization’s own records and the catalogue’s connection actions with their input schemas', async () => {
    const blocks = await buildingBlocks(w.ctx(w.actors.acmeAdmin), w.acme.id);
    expect(blocks.organization.id).toBe(w.acme.id);
    expect(blocks.connections.map((c) => [c.name, c.provider])).toEqual([['acme Drive', 'google_drive']]);
    expect(blocks.instances.map((i) => [i.name, i.nodeName])).toEqual([['acme-managed', 'acme-node']]);
    expect(new Map(blocks.approverGroups.map((g) => [g.name, g.mspWide]))).toEqual(
      new Map([
        ['acme approvers', false],
        ['MSP on call', true],
      ]),
    );
    // The OpenClaw lifecycle and tool groups act on instances, not through connections: not offered here.
    expect(blocks.capabilities.map((c) => c.key).sort()).toEqual(['composio', 'google_drive', 'quickbooks', 'servicetitan']);
    const drive = blocks.capabilities.find((c) => c.key === 'google_drive')!;
    expect(drive.actions.map((a) => a.key)).toEqual(['files.list', 'files.get']);
    expect(drive.actions[0]!.inputSchema).toMatchObject({
      type: 'object',
      properties: { folderId: { type: 'string' }, pageSize: { type: 'integer', default: 100, minimum: 1, maximum: 1000 } },
    });
    expect(drive.actions[1]!.inputSchema).toMatchObject({ required: ['fileId'] });
  });

  it('refuses who may not build there', async () => {
    expect(await failure(buildingBlocks(w.ctx(w.actors.acmeUser), w.acme.id))).toBeInstanceOf(ForbiddenError);
    expect(await failure(buildingBlocks(w.ctx(w.actors.globexAdmin), w.acme.id))).toBeInstanceOf(NotFoundError);
    expect(await failure(buildingBlocks(w.ctx(w.actors.admin), 'not-an-id'))).toBeInstanceOf(NotFoundError);
    expect((await buildingBlocks(w.ctx(w.actors.operator), w.globex.id)).connections.map((c) => c.name)).toEqual(['globex Drive']);
  });
});
