// The catalogue, permissions and attachments against a real database, and the policy engine as the
// services ask it: built-in sync, custom entries, disable and delete (refused while in use), narrowing
// by a company admin, usage limits, and a lifecycle request blocked before any job exists.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { and, count, eq } from 'drizzle-orm';
import { auditEvents, capabilities, instances, jobs, nodes } from '../../db/schema.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { failure, seedTenants, type Tenants } from '../../tests/jest/tenants.ts';
import { ConflictError, ForbiddenError, NotFoundError, PolicyBlockedError, type InvalidInputError } from '../errors.ts';
import { requestRestart } from '../instances/service.ts';
import { listPermissions, setPermission, deletePermission } from '../permissions/service.ts';
import { checkPolicy, enforcePolicy } from '../policy/service.ts';
import { syncBuiltInCatalogue } from './sync.ts';
import { attachCapability, detachCapability, getInstanceCapabilities } from './attachments.ts';
import { BUILT_IN_CATALOGUE } from './catalogue.ts';
import { createCapability, deleteCapability, listCapabilities, setCapabilityDisabled, updateCapability } from './service.ts';

let t: TestDatabase;
let w: Tenants;
let instanceId: string;

const idOf = async (key: string) => (await t.db.select({ id: capabilities.id }).from(capabilities).where(eq(capabilities.key, key)))[0]!.id;
const audited = async (action: string) => (await t.db.select({ n: count() }).from(auditEvents).where(eq(auditEvents.action, action)))[0]!.n;
const fullLifecycle = { enabled: true, allowedActions: ['health', 'logs', 'restart', 'stop', 'start'], confirmation: 'by_risk' };

beforeAll(async () => {
  t = await freshDatabase();
  w = await seedTenants(t.db);
  const [node] = await t.db
    .insert(nodes)
    .values({ organizationId: w.acme.id, name: 'acme-edge', agentPublicKey: 'k'.repeat(43), enrolledAt: new Date() })
    .returning();
  const [instance] = await t.db
    .insert(instances)
    .values({ organizationId: w.acme.id, nodeId: node!.id, name: 'acme-claw', state: 'managed', containerIds: ['b'.repeat(64)], port: 18789 })
    .returning();
  instanceId = instance!.id;
});
afterAll(() => t.close());

describe('the catalogue', () => {
  it('holds every built-in entry after migration, and syncing again changes nothing', async () => {
    const before = await listCapabilities(w.ctx(w.actors.acmeUser), {});
    expect(before.items.map((c) => c.key).sort()).toEqual(BUILT_IN_CATALOGUE.map((c) => c.key).sort());
    await syncBuiltInCatalogue(t.db);
    expect((await listCapabilities(w.ctx(w.actors.acmeUser), {})).items).toHaveLength(before.items.length);
  });

  it('filters by kind, risk and words', async () => {
    const packs = await listCapabilities(w.ctx(w.actors.admin), { kind: 'pack' });
    expect(packs.items.every((c) => c.kind === 'pack')).toBe(true);
    const critical = await listCapabilities(w.ctx(w.actors.admin), { risk: 'critical' });
    expect(critical.items.map((c) => c.key)).toContain('openclaw.runtime');
    expect(critical.items.map((c) => c.key)).not.toContain('openclaw.memory');
    expect((await listCapabilities(w.ctx(w.actors.admin), { q: 'drive' })).items.map((c) => c.key)).toContain('google_drive');
  });

  it('lets an MSP admin add, edit and delete a custom entry, audited; others may not', async () => {
    const input = { key: 'acme.crm', kind: 'tool', name: 'Acme CRM', actions: [{ key: 'contacts.list', risk: 'low', description: 'List contacts' }] };
    expect(await failure(createCapability(w.ctx(w.actors.operator), input))).toBeInstanceOf(ForbiddenError);
    const created = await createCapability(w.ctx(w.actors.admin), input);
    expect(created).toMatchObject({ key: 'acme.crm', builtIn: false, version: '1.0.0' });
    expect(await failure(createCapability(w.ctx(w.actors.admin), input))).toBeInstanceOf(ConflictError);
    const edited = await updateCapability(w.ctx(w.actors.admin), created.id, { ...input, name: 'Acme CRM 2' });
    expect(edited.name).toBe('Acme CRM 2');
    await deleteCapability(w.ctx(w.actors.admin), created.id);
    expect(await audited('capability.create')).toBe(1);
    expect(await audited('capability.delete')).toBe(1);
  });

  it('refuses bad entries with the field named, and changes nothing', async () => {
    const before = (await listCapabilities(w.ctx(w.actors.admin), {})).items.length;
    const twice = await failure(
      createCapability(w.ctx(w.actors.admin), {
        key: 'dup.actions',
        kind: 'tool',
        name: 'Dup',
        actions: [
          { key: 'a', risk: 'low', description: 'x' },
          { key: 'a', risk: 'low', description: 'y' },
        ],
      }),
    );
    expect((twice as InvalidInputError).fieldErrors).toEqual({ 'actions.1.key': 'the action "a" is listed twice' });
    const badPack = await failure(
      createCapability(w.ctx(w.actors.admin), { key: 'pack.bad', kind: 'pack', name: 'Bad', packItems: [{ capabilityKey: 'openclaw.runtime', actions: ['fly'] }] }),
    );
    expect((badPack as InvalidInputError).fieldErrors).toEqual({ 'packItems.0.actions': 'OpenClaw runtime tools has no action "fly"' });
    const badRisk = await failure(createCapability(w.ctx(w.actors.admin), { key: 'x.y', kind: 'tool', name: 'X', actions: [{ key: 'a', risk: 'extreme', description: 'x' }] }));
    expect(Object.keys((badRisk as InvalidInputError).fieldErrors)).toEqual(['actions.0.risk']);
    expect((await listCapabilities(w.ctx(w.actors.admin), {})).items).toHaveLength(before);
  });

  it('never edits or deletes a built-in entry, but disables and enables it', async () => {
    const drive = await idOf('google_drive');
    expect(await failure(updateCapability(w.ctx(w.actors.admin), drive, { name: 'Mine' }))).toBeInstanceOf(ConflictError);
    expect(await failure(deleteCapability(w.ctx(w.actors.admin), drive))).toBeInstanceOf(ConflictError);
    expect((await setCapabilityDisabled(w.ctx(w.actors.admin), drive, true)).disabledAt).not.toBeNull();
    expect((await listCapabilities(w.ctx(w.actors.admin), { disabled: 'only' })).items.map((c) => c.key)).toEqual(['google_drive']);
    expect((await setCapabilityDisabled(w.ctx(w.actors.admin), drive, false)).disabledAt).toBeNull();
    expect(await audited('capability.disable')).toBe(1);
  });

  it('refuses to delete an entry in use, naming what uses it', async () => {
    const tool = await createCapability(w.ctx(w.actors.admin), {
      key: 'acme.wiki',
      kind: 'tool',
      name: 'Acme wiki',
      actions: [{ key: 'pages.read', risk: 'low', description: 'Read' }],
    });
    await setPermission(w.ctx(w.actors.admin), w.acme.id, tool.id, { enabled: true, allowedActions: ['pages.read'] });
    const refused = await failure(deleteCapability(w.ctx(w.actors.admin), tool.id));
    expect((refused as ConflictError).message).toBe('Acme wiki is in use by the permission of Acme: remove those first.');
    await deletePermission(w.ctx(w.actors.admin), w.acme.id, tool.id);
    await deleteCapability(w.ctx(w.actors.admin), tool.id);
  });
});

describe('permissions', () => {
  it('shows the built-in default where an organization has no permission of its own, and none for a SaaS tool', async () => {
    const { items } = await listPermissions(w.ctx(w.actors.acmeAdmin), w.acme.id);
    expect(items.find((p) => p.capabilityKey === 'openclaw.lifecycle')).toMatchObject({ source: 'default', enabled: true, confirmation: 'by_risk' });
    expect(items.find((p) => p.capabilityKey === 'google_drive')).toMatchObject({ source: 'none', enabled: false, allowedActions: [] });
    expect(await failure(listPermissions(w.ctx(w.actors.acmeAdmin), w.globex.id))).toBeInstanceOf(NotFoundError);
  });

  it('lets a company admin narrow their own permission, never widen it nor touch an enforced one', async () => {
    const lifecycle = await idOf('openclaw.lifecycle');
    const narrowed = await setPermission(w.ctx(w.actors.acmeAdmin), w.acme.id, lifecycle, { ...fullLifecycle, allowedActions: ['health', 'logs', 'restart'] });
    expect(narrowed).toMatchObject({ source: 'organization', allowedActions: ['health', 'logs', 'restart'] });
    const widen = await failure(setPermission(w.ctx(w.actors.acmeAdmin), w.acme.id, lifecycle, fullLifecycle));
    expect((widen as ForbiddenError).message).toBe('allowedActions: only MSP staff allow more actions (stop, start). A company admin may only narrow a permission.');
    const looser = await failure(setPermission(w.ctx(w.actors.acmeAdmin), w.acme.id, lifecycle, { ...narrowed, confirmation: 'never' }));
    expect((looser as ForbiddenError).message).toMatch(/^confirmation: only MSP staff/);
    await setPermission(w.ctx(w.actors.operator), w.acme.id, lifecycle, { ...fullLifecycle, enforced: true });
    const enforced = await failure(setPermission(w.ctx(w.actors.acmeAdmin), w.acme.id, lifecycle, { ...fullLifecycle, allowedActions: ['health'], enforced: true }));
    expect((enforced as ForbiddenError).message).toBe('The MSP enforces this permission for OpenClaw lifecycle: only MSP staff change it.');
    const drive = await idOf('google_drive');
    expect(await failure(setPermission(w.ctx(w.actors.acmeAdmin), w.acme.id, drive, { enabled: true, allowedActions: ['files.list'] }))).toBeInstanceOf(ForbiddenError);
    expect(await failure(setPermission(w.ctx(w.actors.acmeUser), w.acme.id, drive, { enabled: false, allowedActions: [] }))).toBeInstanceOf(ForbiddenError);
    expect(await audited('permission.set')).toBeGreaterThanOrEqual(2);
  });

  it('names an action the capability does not have, and refuses more approvals than it enforces (5)', async () => {
    const lifecycle = await idOf('openclaw.lifecycle');
    const bad = await failure(setPermission(w.ctx(w.actors.admin), w.globex.id, lifecycle, { enabled: true, allowedActions: ['reboot'] }));
    expect((bad as InvalidInputError).fieldErrors).toEqual({ allowedActions: 'OpenClaw lifecycle has no action "reboot"' });
    const sixOf = await failure(setPermission(w.ctx(w.actors.admin), w.globex.id, lifecycle, { enabled: true, allowedActions: ['health'], approval: { approvalsNeeded: 6 } }));
    expect((sixOf as InvalidInputError).fieldErrors).toEqual({ 'approval.approvalsNeeded': 'approvalsNeeded is at most 5' });
  });
});

describe('the policy engine as requests meet it', () => {
  it('blocks a restart the permission does not allow with action.not_allowed, before any job exists, and audits it', async () => {
    const lifecycle = await idOf('openclaw.lifecycle');
    await setPermission(w.ctx(w.actors.admin), w.acme.id, lifecycle, { ...fullLifecycle, allowedActions: ['health', 'logs'] });
    const refused = await failure(requestRestart(w.ctx(w.actors.operator), instanceId));
    expect(refused).toBeInstanceOf(PolicyBlockedError);
    expect((refused as PolicyBlockedError).rule).toBe('action.not_allowed');
    expect((refused as PolicyBlockedError).message).toBe('Acme’s permission for OpenClaw lifecycle does not allow restart. (rule action.not_allowed)');
    expect((await t.db.select({ n: count() }).from(jobs).where(eq(jobs.instanceId, instanceId)))[0]!.n).toBe(0);
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'policy.enforce'), eq(auditEvents.targetId, instanceId)));
    expect(event).toMatchObject({ outcome: 'denied', details: { rule: 'action.not_allowed', capability: 'openclaw.lifecycle', capabilityAction: 'restart' } });
  });

  it('counts runs and blocks at the hourly limit', async () => {
    const lifecycle = await idOf('openclaw.lifecycle');
    await setPermission(w.ctx(w.actors.admin), w.globex.id, lifecycle, { enabled: true, allowedActions: ['health'], runsPerHour: 2 });
    const ask = () => enforcePolicy(w.ctx(w.actors.admin), { organizationId: w.globex.id, capabilityKey: 'openclaw.lifecycle', action: 'health' });
    await ask();
    await ask();
    const third = await failure(ask());
    expect((third as PolicyBlockedError).rule).toBe('usage.limit_reached');
    expect(await checkPolicy(w.ctx(w.actors.globexAdmin), { organizationId: w.globex.id, capabilityKey: 'openclaw.lifecycle', action: 'health' })).toMatchObject({
      outcome: 'blocked',
      rule: 'usage.limit_reached',
      usage: { lastHour: 2, lastDay: 2 },
      permissionSource: 'organization',
    });
  });

  it('answers the check form for one action, and hides another organization', async () => {
    const verdict = await checkPolicy(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, capabilityKey: 'google_drive', action: 'files.list' });
    expect(verdict).toMatchObject({ outcome: 'blocked', rule: 'permission.missing', permissionSource: null });
    expect(await failure(checkPolicy(w.ctx(w.actors.acmeAdmin), { organizationId: w.globex.id, capabilityKey: 'google_drive', action: 'files.list' }))).toBeInstanceOf(
      NotFoundError,
    );
    const bad = await failure(checkPolicy(w.ctx(w.actors.admin), { organizationId: 'nope', capabilityKey: '', action: 'x' }));
    expect(Object.keys((bad as InvalidInputError).fieldErrors).sort()).toEqual(['capabilityKey', 'organizationId']);
  });
});

describe('attachments', () => {
  it('narrows an instance to the pack it is given, inside its permissions', async () => {
    const fs = await idOf('openclaw.fs');
    const runtime = await idOf('openclaw.runtime');
    for (const [id, actions] of [
      [fs, ['read', 'write', 'edit', 'apply_patch']],
      [runtime, ['exec', 'process', 'code_execution']],
    ] as const)
      await setPermission(w.ctx(w.actors.admin), w.acme.id, id, { enabled: true, allowedActions: [...actions] });
    const before = await getInstanceCapabilities(w.ctx(w.actors.acmeAdmin), instanceId);
    expect(before.effective.find((c) => c.capabilityKey === 'openclaw.runtime')!.allowed).toEqual(['exec', 'process', 'code_execution']);

    expect(await failure(attachCapability(w.ctx(w.actors.acmeAdmin), instanceId, { capabilityId: fs }))).toBeInstanceOf(ForbiddenError);
    const after = await attachCapability(w.ctx(w.actors.admin), instanceId, { capabilityId: await idOf('pack.read_only_assistant') });
    expect(after.attached.map((c) => c.key)).toEqual(['pack.read_only_assistant']);
    // Attachments narrow what the gateway uses, not the jobs that operate on it.
    expect(after.effective.map((c) => c.capabilityKey)).not.toContain('openclaw.lifecycle');
    const runtimeAfter = after.effective.find((c) => c.capabilityKey === 'openclaw.runtime')!;
    expect(runtimeAfter.allowed).toEqual([]);
    expect(runtimeAfter.blocked.map((b) => b.rule)).toEqual(['instance.not_attached', 'instance.not_attached', 'instance.not_attached']);
    expect(after.effective.find((c) => c.capabilityKey === 'openclaw.fs')!.allowed).toEqual(['read']);
    // Attached but not permitted: the permission still wins.
    expect(after.effective.find((c) => c.capabilityKey === 'openclaw.web')!.blocked[0]!.rule).toBe('permission.missing');

    const detached = await detachCapability(w.ctx(w.actors.admin), instanceId, await idOf('pack.read_only_assistant'));
    expect(detached.attached).toEqual([]);
    expect(await audited('instance.capability.attach')).toBe(1);
    expect(await audited('instance.capability.detach')).toBe(1);
  });
});
