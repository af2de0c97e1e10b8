// Approval grants as the web process issues them (ADR 0010): one signed-in person, one decision, one
// job's run, for a few minutes, single-use. The console and the API put one in every approve, reject
// and cancel they send; an engineer asks for one (POST /jobs/{id}/approval-grant) to paste into the
// `temporal workflow signal` of the same name. The workflow and then an activity check it; nothing
// else that reaches Temporal can stand for a person.
import { GRANT_TTL_MS, signGrant, type ApprovalGrant, type GrantDecision } from '../../protocol/approval-grant.ts';
import { approvalGrantSeed } from '../../infra/approval-grant-key.ts';
import type { ServiceContext } from '../authz.ts';
import type { JobOutput } from './job-output.ts';

export function issueGrant(
  ctx: ServiceContext,
  job: Pick<JobOutput, 'id' | 'workflowId'>,
  decision: GrantDecision,
  opts: { phrase?: string; reason?: string } = {},
): ApprovalGrant {
  const now = Date.now();
  return signGrant(approvalGrantSeed(), {
    v: 1,
    decision,
    workflowId: job.workflowId,
    jobId: job.id,
    phrase: decision === 'approve' ? (opts.phrase ?? '') : null,
    userId: ctx.actor.userId,
    email: ctx.actor.email,
    role: ctx.actor.role,
    organizationId: ctx.actor.organizationId,
    reason: opts.reason ?? null,
    issuedAt: new Date(now).toISOString(),
    notAfter: new Date(now + GRANT_TTL_MS).toISOString(),
    nonce: crypto.randomUUID(),
  });
}
