// The records the API fuzz run aims at: the usual tenants (tests/jest/tenants.ts), and in Acme an online
// node whose agent is gone, a managed instance on it, a failed job to retry and a job waiting for its
// approval, a share link of its report; plus a record of its own for each destructive operation, and an API token for each caller.
import crypto from 'node:crypto';
import { createEnrollmentToken } from '../../api/agents/service.ts';
import { createOrganization } from '../../api/organizations/service.ts';
import { invitePerson } from '../../api/people/service.ts';
import { createShareLink } from '../../api/reports/share-links.ts';
import { createToken } from '../../api/tokens/service.ts';
import { createDefinition } from '../../api/workflow-definitions/service.ts';
import { generateKeyPair } from '../../protocol/envelope.ts';
import type { Db } from '../../db/client.ts';
import { instances, jobs, nodes, schedules } from '../../db/schema.ts';
import { seedTenants } from '../jest/tenants.ts';

export interface Caller {
  label: string;
  token: string;
  spareTokenId: string;
}

export interface FuzzRecords {
  callers: Caller[];
  /** FUZZ_* variables for tests/fuzz/schemathesis.toml (the caller's own come from `callers`). */
  ids: Record<string, string>;
}

export async function seedFuzzRecords(db: Db, baseUrl: string): Promise<FuzzRecords> {
  const w = await seedTenants(db);
  const admin = w.ctx(w.actors.admin);
  const archive = await createOrganization(admin, { name: 'Fuzz Archive' });
  const [node] = await db
    .insert(nodes)
    .values({
      organizationId: w.acme.id,
      name: 'fuzz-node',
      status: 'online',
      lastSeenAt: new Date(),
      agentPublicKey: generateKeyPair().publicKey,
      enrolledAt: new Date(),
    })
    .returning();
  const [revokable] = await db.insert(nodes).values({ organizationId: w.acme.id, name: 'fuzz-revoke' }).returning();
  const enrollment = await createEnrollmentToken(admin, revokable!.id);
  const [instance] = await db
    .insert(instances)
    .values({
      organizationId: w.acme.id,
      nodeId: node!.id,
      name: 'fuzz-gw',
      state: 'managed',
      containerIds: ['f'.repeat(64), 'e'.repeat(64)],
      port: 18789,
      managedSince: new Date(),
    })
    .returning();
  const requestedBy = w.actors.acmeAdmin.userId;
  const [failed] = await db
    .insert(jobs)
    .values({
      organizationId: w.acme.id,
      nodeId: node!.id,
      instanceId: instance!.id,
      params: { instanceName: 'fuzz-gw' },
      requestedBy,
      type: 'health_check',
      workflowId: `health-check-${crypto.randomUUID()}`,
      state: 'failed',
      failureReason: 'node offline',
      completedAt: new Date(),
    })
    .returning();
  // On a node of its own, so the instance above stays free for new jobs. Its run is not in Temporal (as
  // after a history reset): deciding on it must be a 409, never a 500.
  const [busy] = await db.insert(nodes).values({ organizationId: w.acme.id, name: 'fuzz-busy' }).returning();
  const [waiting] = await db
    .insert(jobs)
    .values({
      organizationId: w.acme.id,
      nodeId: busy!.id,
      params: { instanceName: 'fuzz-busy-gw' },
      requestedBy,
      type: 'restart_gateway',
      workflowId: `restart-gateway-${crypto.randomUUID()}`,
      state: 'waiting_for_approval',
      step: 'waiting for approval',
      approvalPhrase: 'restart fuzz-busy-gw on fuzz-busy',
      approvalExpiresAt: new Date(Date.now() + 24 * 3600_000),
    })
    .returning();
  const { invitation } = await invitePerson(admin, { organizationId: w.acme.id, email: 'invitee@acme.test', role: 'company_user' }, { baseUrl });
  // A workflow definition with a lifecycle step on the instance above and a step referring to it.
  const definition = await createDefinition(admin, {
    organizationId: w.acme.id,
    name: 'Fuzz workflow',
    steps: [
      { id: 'check', name: 'Check the gateway', kind: 'instance_action', action: 'health', instanceId: instance!.id },
      { id: 'tell', name: 'Tell', kind: 'notify', message: 'Health: {{ steps.check.output.health }}' },
    ],
  });
  // A paused yearly schedule of a one-note workflow (its Temporal Schedule is made by the first change).
  const note = await createDefinition(admin, { organizationId: w.acme.id, name: 'Fuzz note', steps: [{ id: 'tell', name: 'Tell', kind: 'notify', message: 'fuzz' }] });
  const [schedule] = await db
    .insert(schedules)
    .values({
      organizationId: w.acme.id,
      definitionId: note.id,
      name: 'Fuzz schedule',
      spec: { kind: 'cron', expression: '0 3 1 1 *' },
      paused: true,
      createdBy: w.actors.acmeAdmin.userId,
    })
    .returning();
  // A share link of Acme's report: one to revoke, and its token for the public report.
  const share = await createShareLink(admin, w.acme.id, { expiresInDays: 30 });
  const caller = async (label: string, actor: typeof w.actors.admin): Promise<Caller> => {
    const { token } = await createToken(w.ctx(actor), { name: 'fuzz', scopes: ['read', 'operate', 'approve'] });
    const spare = await createToken(w.ctx(actor), { name: 'fuzz spare', scopes: ['read', 'operate', 'approve'] });
    return { label, token, spareTokenId: spare.record.id };
  };
  return {
    callers: [await caller('MSP admin', w.actors.admin), await caller('company admin', w.actors.acmeAdmin)],
    ids: {
      FUZZ_ORGANIZATION_ID: w.acme.id,
      FUZZ_ARCHIVE_ORGANIZATION_ID: archive.id,
      FUZZ_PERSON_ID: w.actors.acmeAdmin.userId,
      FUZZ_DEACTIVATE_PERSON_ID: w.actors.acmeUser.userId,
      FUZZ_INVITATION_ID: invitation.id,
      FUZZ_NODE_ID: node!.id,
      FUZZ_REVOKE_NODE_ID: revokable!.id,
      FUZZ_ENROLLMENT_TOKEN_ID: enrollment.id,
      FUZZ_INSTANCE_ID: instance!.id,
      FUZZ_JOB_ID: waiting!.id,
      FUZZ_FAILED_JOB_ID: failed!.id,
      FUZZ_WORKFLOW_DEFINITION_ID: definition.id,
      FUZZ_SCHEDULE_ID: schedule!.id,
      FUZZ_SHARE_LINK_ID: share.link.id,
      FUZZ_SHARE_TOKEN: share.token,
    },
  };
}
