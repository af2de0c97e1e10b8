// Workflow definitions against a real database: who may build and see them, immutable versions deduplicated
// by content hash, errors naming the step and the field, another organization's ids refused, export and
// import round trip, and the policy preview's verdicts on real permissions and connections.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { and, count, eq, sql } from 'drizzle-orm';
import { auditEvents, capabilities, capabilityAttachments, instances, nodes, workflowVersions } from '../../db/schema.ts';
import { canonicalJson } from '../../protocol/canonical-json.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { failure, seedTenants, type Tenants } from '../../tests/jest/tenants.ts';
import { createConnection, testConnection } from '../connections/service.ts';
import { ConflictError, ForbiddenError, NotFoundError, type InvalidInputError } from '../errors.ts';
import { setPermission } from '../permissions/service.ts';
import { previewDefinition, previewSteps } from './policy-preview.ts';
import {
  createDefinition,
  duplicateDefinition,
  exportDefinition,
  getDefinition,
  getVersion,
  importDefinition,
  listDefinitions,
  saveVersion,
  setDefinitionArchived,
} from './service.ts';

let t: TestDatabase;
let w: Tenants;
const ids = { drive: '', pendingDrive: '', composio: '', instance: '', globexDrive: '', globexInstance: '', driveCapability: '' };

async function managedInstance(organizationId: string, name: string) {
  const [node] = await t.db
    .insert(nodes)
    .values({ organizationId, name: `${name}-node` })
    .returning();
  const [row] = await t.db
    .insert(instances)
    .values({ organizationId, nodeId: node!.id, name, state: 'managed', containerIds: ['d'.repeat(64)], port: 18789 })
    .returning();
  return row!.id;
}

beforeAll(async () => {
  t = await freshDatabase();
  w = await seedTenants(t.db);
  const admin = w.ctx(w.actors.admin);
  ids.driveCapability = (await t.db.select().from(capabilities).where(eq(capabilities.key, 'google_drive')))[0]!.id;
  await setPermission(admin, w.acme.id, ids.driveCapability, { enabled: true, allowedActions: ['files.list', 'files.get'], confirmation: 'never' });
  const drive = await createConnection(admin, { organizationId: w.acme.id, provider: 'google_drive', name: 'Acme Drive', mode: 'demo' });
  await testConnection(admin, drive.id);
  ids.drive = drive.id;
  ids.pendingDrive = (await createConnection(admin, { organizationId: w.acme.id, provider: 'google_drive', name: 'Acme Drive (new)', mode: 'demo' })).id;
  ids.composio = (await createConnection(admin, { organizationId: w.acme.id, provider: 'composio', name: 'Acme Composio', mode: 'demo' })).id;
  ids.instance = await managedInstance(w.acme.id, 'acme-claw');
  ids.globexDrive = (await createConnection(admin, { organizationId: w.globex.id, provider: 'google_drive', name: 'Globex Drive', mode: 'demo' })).id;
  ids.globexInstance = await managedInstance(w.globex.id, 'globex-claw');
});
afterAll(() => t.close());

const list = () => ({
  id: 'list',
  name: 'List the shared folder',
  kind: 'connection_action',
  capabilityKey: 'google_drive',
  action: 'files.list',
  connectionId: ids.drive,
  input: { folderId: 'shared-folder' },
});
const getFirst = () => ({
  id: 'first',
  name: 'Read the first file',
  kind: 'connection_action',
  capabilityKey: 'google_drive',
  action: 'files.get',
  connectionId: ids.drive,
  input: { fileId: '{{ steps.list.output.files.0.id }}' },
});
const restart = () => ({ id: 'restart', name: 'Restart the gateway', kind: 'instance_action', action: 'restart', instanceId: ids.instance, confirmation: { approvalsNeeded: 2 } });
const ask = { id: 'ask', name: 'Ask the office', kind: 'wait_for_person', message: 'Is {{ steps.first.output.name }} the right file?' };

const fieldErrors = async (p: Promise<unknown>) => ((await failure(p)) as InvalidInputError).fieldErrors;
const audited = async (action: string) => (await t.db.select({ n: count() }).from(auditEvents).where(eq(auditEvents.action, action)))[0]!.n;

describe('workflow definitions', () => {
  let id = '';

  it('are built by company admins for their own organization and MSP staff; company users see them', async () => {
    const created = await createDefinition(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, name: 'Drive then restart', steps: [list(), getFirst(), restart(), ask] });
    id = created.id;
    expect(created).toMatchObject({ organizationName: 'Acme', description: '', archivedAt: null, currentVersion: { number: 1, stepCount: 4, createdBy: 'admin@acme.test' } });
    expect(created.steps[2]).toMatchObject({ input: {}, confirmation: { approvalsNeeded: 2, onExpiry: 'fail' } });
    expect(created.versions.map((v) => v.number)).toEqual([1]);
    expect(await failure(createDefinition(w.ctx(w.actors.acmeUser), { organizationId: w.acme.id, name: 'Mine', steps: [] }))).toBeInstanceOf(ForbiddenError);
    expect(await failure(createDefinition(w.ctx(w.actors.globexAdmin), { organizationId: w.acme.id, name: 'Theirs', steps: [] }))).toBeInstanceOf(NotFoundError);
    expect((await getDefinition(w.ctx(w.actors.acmeUser), id)).name).toBe('Drive then restart');
    expect(await failure(getDefinition(w.ctx(w.actors.globexAdmin), id))).toBeInstanceOf(NotFoundError);
    expect(await failure(saveVersion(w.ctx(w.actors.acmeUser), id, { steps: [] }))).toBeInstanceOf(ForbiddenError);
    expect((await listDefinitions(w.ctx(w.actors.acmeUser), {})).items.map((d) => d.name)).toEqual(['Drive then restart']);
    expect((await listDefinitions(w.ctx(w.actors.globexAdmin), {})).items).toEqual([]);
    expect(await failure(listDefinitions(w.ctx(w.actors.globexAdmin), { organizationId: w.acme.id }))).toBeInstanceOf(NotFoundError);
    expect((await listDefinitions(w.ctx(w.actors.operator), {})).items).toHaveLength(1);
    expect(await failure(createDefinition(w.ctx(w.actors.admin), { organizationId: w.acme.id, name: 'drive THEN restart', steps: [] }))).toBeInstanceOf(ConflictError);
    expect(await audited('workflow_definition.create')).toBe(1);
  });

  it('save immutable versions: the same content adds none, a change adds the next number, old versions keep their steps', async () => {
    const current = await getDefinition(w.ctx(w.actors.acmeAdmin), id);
    const same = await saveVersion(w.ctx(w.actors.acmeAdmin), id, { steps: current.steps });
    expect(same).toMatchObject({ versionCreated: false, currentVersion: { number: 1 } });
    expect(same.versions).toHaveLength(1);
    // The hash is SHA-256 of the canonical JSON of name, description and steps (a jsonb round trip keeps it).
    const expected = crypto
      .createHash('sha256')
      .update(canonicalJson({ name: 'Drive then restart', description: '', steps: current.steps }))
      .digest('hex');
    expect(same.currentVersion.contentHash).toBe(expected);

    const changed = await saveVersion(w.ctx(w.actors.admin), id, { steps: [list(), restart()] });
    expect(changed).toMatchObject({ versionCreated: true, currentVersion: { number: 2, stepCount: 2, createdBy: 'admin@msp.test' } });
    const renamed = await saveVersion(w.ctx(w.actors.acmeAdmin), id, { name: 'Drive, then restart', steps: [list(), restart()] });
    expect(renamed).toMatchObject({ versionCreated: true, name: 'Drive, then restart', currentVersion: { number: 3 } });
    expect(renamed.versions.map((v) => v.number)).toEqual([3, 2, 1]);
    expect((await getVersion(w.ctx(w.actors.acmeUser), id, 1)).steps.map((s) => s.id)).toEqual(['list', 'first', 'restart', 'ask']);
    expect(await failure(getVersion(w.ctx(w.actors.acmeUser), id, 9))).toBeInstanceOf(NotFoundError);
    expect(await audited('workflow_definition.save')).toBe(2);

    // No code path changes a version, and the database refuses it too.
    await expect(t.db.update(workflowVersions).set({ steps: [] }).where(eq(workflowVersions.definitionId, id))).rejects.toThrow();
    await expect(t.db.delete(workflowVersions).where(eq(workflowVersions.definitionId, id))).rejects.toThrow();
    const [v1] = await t.db
      .select()
      .from(workflowVersions)
      .where(and(eq(workflowVersions.definitionId, id), eq(workflowVersions.number, 1)));
    expect(v1!.steps).toHaveLength(4);
  });

  it('refuse bad steps naming the step and the field, and save nothing', async () => {
    const save = (steps: unknown[]) => fieldErrors(saveVersion(w.ctx(w.actors.acmeAdmin), id, { steps }));
    expect(await save([getFirst(), list()])).toEqual({ 'steps.0.input.fileId': 'step "first" refers to step "list" which comes later' });
    expect(await save([{ ...list(), input: { folderId: 'not a drive id!', pageSize: 0 } }])).toEqual({
      'steps.0.input.folderId': 'step "list": folderId is a Drive id (letters, digits, - and _)',
      'steps.0.input.pageSize': 'step "list": pageSize is at least 1',
    });
    expect(await save([{ ...list(), input: { folder: 'x' } }])).toEqual({ 'steps.0.input.folder': 'step "list": Google Drive: files.list has no input "folder"' });
    expect(await save([list(), { ...getFirst(), input: {} }])).toEqual({ 'steps.1.input.fileId': 'step "first": fileId is required' });
    expect(await save([{ ...list(), capabilityKey: 'dropbox' }])).toEqual({ 'steps.0.capabilityKey': 'step "list": no capability "dropbox" is in the catalogue' });
    expect(await save([{ ...list(), action: 'files.delete' }])).toEqual({ 'steps.0.action': 'step "list": Google Drive has no action "files.delete"' });
    expect(await save([{ ...list(), capabilityKey: 'openclaw.lifecycle', action: 'restart' }])).toEqual({
      'steps.0.capabilityKey': expect.stringContaining('does not act through a connection'),
    });
    expect(await save([{ ...list(), connectionId: ids.composio }])).toEqual({
      'steps.0.connectionId': 'step "list": Acme Composio is a Composio connection; Google Drive needs a Google Drive one',
    });
    expect(await save([{ ...restart(), input: { force: true } }])).toEqual({ 'steps.0.input.force': 'step "restart": the lifecycle action restart has no input "force"' });
    expect(await save([{ ...ask, id: 'tell', kind: 'notify', message: 'Done\u202Efdp.exe' }])).toEqual({ 'steps.0.message': expect.stringContaining('text direction') });
    // A reference stands for a value of any type: pageSize may come from an earlier step.
    const ok = await saveVersion(w.ctx(w.actors.acmeAdmin), id, {
      steps: [list(), { ...list(), id: 'again', input: { pageSize: '{{ steps.list.output.files.0.size }}', q: "name = '{{ steps.list.output.files.0.name }}'" } }],
    });
    expect(ok.currentVersion.number).toBe(4);
  });

  it('number concurrent saves in turn (the definition is locked while a version is added)', async () => {
    const d = await createDefinition(w.ctx(w.actors.globexAdmin), { organizationId: w.globex.id, name: 'Busy', steps: [] });
    const saves = ['one', 'two', 'three', 'four'].map((m) => saveVersion(w.ctx(w.actors.globexAdmin), d.id, { steps: [{ id: 'tell', name: 'Tell', kind: 'notify', message: m }] }));
    expect((await Promise.all(saves)).every((r) => r.versionCreated)).toBe(true);
    expect((await getDefinition(w.ctx(w.actors.globexAdmin), d.id)).versions.map((v) => v.number)).toEqual([5, 4, 3, 2, 1]);
  });

  it('refuse another organization’s connection and instance, naming the field', async () => {
    const errors = await fieldErrors(
      createDefinition(w.ctx(w.actors.acmeAdmin), {
        organizationId: w.acme.id,
        name: 'Sneaky',
        steps: [
          { ...list(), connectionId: ids.globexDrive },
          { ...restart(), instanceId: ids.globexInstance },
        ],
      }),
    );
    expect(errors).toEqual({ 'steps.0.connectionId': 'step "list": no connection with this id in Acme', 'steps.1.instanceId': 'step "restart": no instance with this id in Acme' });
    // MSP staff too: a definition's ids are its own organization's, whoever builds it.
    expect(
      Object.keys(await fieldErrors(createDefinition(w.ctx(w.actors.admin), { organizationId: w.acme.id, name: 'Sneaky', steps: [{ ...list(), connectionId: ids.globexDrive }] }))),
    ).toEqual(['steps.0.connectionId']);
    expect((await listDefinitions(w.ctx(w.actors.admin), { organizationId: w.acme.id })).items).toHaveLength(1);
  });

  it('export and import round trip; an import names the field of the document that is wrong', async () => {
    const doc = await exportDefinition(w.ctx(w.actors.acmeUser), id);
    expect(doc).toMatchObject({ format: 'anthropy-works.workflow-definition', formatVersion: 1, name: 'Drive, then restart' });
    const imported = await importDefinition(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, name: 'Imported', definition: JSON.parse(JSON.stringify(doc)) });
    expect(imported.steps).toEqual(doc.steps);
    expect((await exportDefinition(w.ctx(w.actors.acmeAdmin), imported.id)).steps).toEqual(doc.steps);
    // Same content, same hash: the name is part of it.
    const again = await importDefinition(w.ctx(w.actors.admin), { organizationId: w.acme.id, name: 'Imported again', definition: { ...doc, name: 'Drive, then restart' } });
    expect(again.name).toBe('Imported again');

    expect(await fieldErrors(importDefinition(w.ctx(w.actors.admin), { organizationId: w.globex.id, definition: doc }))).toEqual({
      'definition.steps.0.connectionId': 'step "list": no connection with this id in Globex',
      'definition.steps.1.connectionId': 'step "again": no connection with this id in Globex',
    });
    expect(await failure(importDefinition(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, definition: doc }))).toMatchObject({
      fieldErrors: { 'definition.name': 'Acme already has a workflow definition named "Drive, then restart".' },
    });
    expect(await fieldErrors(importDefinition(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, definition: { ...doc, formatVersion: 2 } }))).toEqual({
      'definition.formatVersion': 'formatVersion must be 1 (this release reads version 1)',
    });
    expect(
      await fieldErrors(
        importDefinition(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, name: 'Broken', definition: { ...doc, steps: [{ ...doc.steps[0], id: 'x' }, doc.steps[1]] } }),
      ),
    ).toEqual({
      'definition.steps.1.input.pageSize': 'step "again" refers to step "list", which does not exist',
      'definition.steps.1.input.q': 'step "again" refers to step "list", which does not exist',
    });
    expect(await failure(importDefinition(w.ctx(w.actors.globexAdmin), { organizationId: w.acme.id, definition: doc }))).toBeInstanceOf(NotFoundError);
    expect(await audited('workflow_definition.import')).toBe(2);
  });

  it('duplicate, archive and unarchive (an archived one is not listed by default and takes no new version)', async () => {
    const copy = await duplicateDefinition(w.ctx(w.actors.acmeAdmin), id, {});
    expect(copy).toMatchObject({ name: 'Copy of Drive, then restart', currentVersion: { number: 1 } });
    expect(copy.steps).toEqual((await getDefinition(w.ctx(w.actors.acmeAdmin), id)).steps);
    expect(await failure(duplicateDefinition(w.ctx(w.actors.acmeAdmin), id, {}))).toBeInstanceOf(ConflictError);
    expect(await failure(duplicateDefinition(w.ctx(w.actors.acmeUser), id, { name: 'Mine' }))).toBeInstanceOf(ForbiddenError);

    const archived = await setDefinitionArchived(w.ctx(w.actors.acmeAdmin), copy.id, true);
    expect(archived.archivedAt).not.toBeNull();
    expect((await listDefinitions(w.ctx(w.actors.acmeAdmin), {})).items.map((d) => d.id)).not.toContain(copy.id);
    expect((await listDefinitions(w.ctx(w.actors.acmeAdmin), { archived: 'only' })).items.map((d) => d.id)).toEqual([copy.id]);
    expect(await failure(saveVersion(w.ctx(w.actors.acmeAdmin), copy.id, { steps: [] }))).toBeInstanceOf(ConflictError);
    expect((await setDefinitionArchived(w.ctx(w.actors.acmeAdmin), copy.id, false)).archivedAt).toBeNull();
    expect(await audited('workflow_definition.archive')).toBe(1);
    expect(await audited('workflow_definition.unarchive')).toBe(1);
  });
});

describe('the policy preview', () => {
  it('answers each step’s verdict on real permissions: allowed, needs confirmation by whom, blocked by which rule', async () => {
    const steps = [
      list(),
      { ...list(), id: 'fresh', connectionId: ids.pendingDrive },
      {
        id: 'books',
        name: 'Invoices',
        kind: 'connection_action',
        capabilityKey: 'quickbooks',
        action: 'query',
        connectionId: ids.composio,
        input: { query: 'select * from Invoice' },
      },
      restart(),
      { ...ask, message: 'Is {{ steps.list.output.files.0.name }} right?' },
    ];
    // The quickbooks step names a Composio connection: refused before any verdict.
    expect(Object.keys(await fieldErrors(previewSteps(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, steps })))).toEqual(['steps.2.connectionId']);
    const qb = await createConnection(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, provider: 'quickbooks', name: 'Acme Books', mode: 'demo' });
    steps[2] = { ...steps[2]!, connectionId: qb.id } as (typeof steps)[number];
    const preview = await previewSteps(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, steps });
    expect(preview.version).toBeNull();
    expect(preview.steps.map((s) => [s.stepId, s.verdict?.outcome ?? null, s.verdict?.rule ?? null])).toEqual([
      ['list', 'allowed', null],
      // The step's own connection decides, not the organization's connected one.
      ['fresh', 'blocked', 'connection.not_connected'],
      ['books', 'blocked', 'permission.missing'],
      ['restart', 'needs_confirmation', null],
      ['ask', null, null],
    ]);
    expect(preview.steps[1]!.verdict!.sentence).toBe('The connection Acme Drive (new) is pending, not connected.');
    expect(preview.steps[2]!.verdict!.sentence).toBe('Acme has no permission for QuickBooks Online.');
    expect(preview.steps[3]).toMatchObject({
      capabilityKey: 'openclaw.lifecycle',
      action: 'restart',
      verdict: { approval: { approverRoles: ['msp_admin', 'msp_operator'] }, sentence: expect.stringContaining('by MSP admin or MSP operator') },
      stepConfirmation: { approvalsNeeded: 2, onExpiry: 'fail' },
    });
    expect(preview.steps[4]!.builtIn).toContain('Waits for a person');
    // Company users may see a definition, not preview one (the editor's tool).
    expect(await failure(previewSteps(w.ctx(w.actors.acmeUser), { organizationId: w.acme.id, steps: [list()] }))).toBeInstanceOf(ForbiddenError);
  });

  it('of a saved definition follows the permission as it is now', async () => {
    const d = await createDefinition(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, name: 'List only', steps: [list()] });
    expect((await previewDefinition(w.ctx(w.actors.acmeAdmin), d.id, {})).steps[0]!.verdict).toMatchObject({ outcome: 'allowed' });
    await setPermission(w.ctx(w.actors.admin), w.acme.id, ids.driveCapability, { enabled: true, allowedActions: ['files.get'], confirmation: 'never' });
    const after = await previewDefinition(w.ctx(w.actors.acmeAdmin), d.id, { version: 1 });
    expect(after).toMatchObject({
      version: 1,
      steps: [{ verdict: { outcome: 'blocked', rule: 'action.not_allowed', sentence: 'Acme’s permission for Google Drive does not allow files.list.' } }],
    });
    expect(await failure(previewDefinition(w.ctx(w.actors.globexAdmin), d.id, {}))).toBeInstanceOf(NotFoundError);
    // Nothing was counted towards usage limits.
    expect((await t.db.execute(sql`select count(*)::int as n from capability_usage`))[0]).toEqual({ n: 0 });
  });

  it('does not narrow a lifecycle step by the instance’s attachments (as the run does not), and blocks a removed instance with instance.missing', async () => {
    const instanceId = await managedInstance(w.acme.id, 'acme-claw-packed');
    const [pack] = await t.db.select().from(capabilities).where(eq(capabilities.key, 'pack.read_only_assistant'));
    await t.db.insert(capabilityAttachments).values({ instanceId, capabilityId: pack!.id });
    const d = await createDefinition(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, name: 'Restart the packed one', steps: [{ ...restart(), instanceId }] });
    expect((await previewDefinition(w.ctx(w.actors.acmeAdmin), d.id, {})).steps[0]!.verdict).toMatchObject({ outcome: 'needs_confirmation' });
    await t.db.delete(capabilityAttachments).where(eq(capabilityAttachments.instanceId, instanceId));
    await t.db.delete(instances).where(eq(instances.id, instanceId));
    expect((await previewDefinition(w.ctx(w.actors.acmeAdmin), d.id, {})).steps[0]).toMatchObject({
      capabilityKey: 'openclaw.lifecycle',
      verdict: { outcome: 'blocked', rule: 'instance.missing', sentence: 'The step’s instance no longer exists in its organization.' },
    });
  });
});
