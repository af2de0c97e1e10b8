// The node page's agent enrollment: the outstanding one-time tokens, a new enrollment command, and
// withdrawing a token (MSP staff only).
import { createEnrollmentToken, listEnrollmentTokens, revokeEnrollmentToken } from '../../../../api/agents/service.ts';
import { can, type ServiceContext } from '../../../../api/authz.ts';
import type { NodeOutput } from '../../../../api/nodes/service.ts';
import { attempt, load } from '../../service-errors.server.ts';
import type { NodeIntentArgs } from './intent.server.ts';

export async function loadEnrollment(ctx: ServiceContext, node: NodeOutput) {
  const canEnroll = can(ctx.actor, 'node.enroll', { organizationId: node.organizationId });
  // Only the tokens that still work are listed.
  const tokens = canEnroll ? (await load(() => listEnrollmentTokens(ctx, node.id))).filter((t) => t.state === 'outstanding') : [];
  return { canEnroll, tokens };
}

export const enrollmentIntents = {
  'create-enrollment': async ({ ctx, nodeId, form }: NodeIntentArgs) => {
    const minutes = String(form.get('expiresInMinutes') ?? '').trim();
    const input = minutes ? { expiresInMinutes: Number(minutes) } : {};
    return { intent: 'create-enrollment' as const, result: await attempt(() => createEnrollmentToken(ctx, nodeId, input)) };
  },
  'revoke-token': async ({ ctx, form }: NodeIntentArgs) => {
    const id = String(form.get('id') ?? '');
    return { intent: 'revoke-token' as const, result: await attempt(() => revokeEnrollmentToken(ctx, id)) };
  },
};
