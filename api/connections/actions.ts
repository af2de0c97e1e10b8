// A person runs one of a connection's actions (the connection page's "Run an action" form). Like every run
// of a capability's action, the policy engine decides first and the run counts towards the organization's
// usage limits (api/policy/service.ts); the result says where it came from (Live or Demo). The audit trail
// records the run, never the result: file names are customer data.
import { and, asc, eq, isNull } from 'drizzle-orm';
import { capabilities } from '../../db/schema.ts';
import { auditTarget, recordSuccess } from '../audit/record.ts';
import type { ServiceContext } from '../authz.ts';
import { ConflictError } from '../errors.ts';
import { enforcePolicy } from '../policy/service.ts';
import { providerOf } from './providers/registry.ts';
import { runConnectionAction, type ActionResult, type RunnerOptions } from './runner.ts';
import { findConnection } from './service.ts';

/** The catalogue's tool for this provider, whose permission governs its actions. */
async function capabilityKeyOf(ctx: ServiceContext, provider: string): Promise<string> {
  const [row] = await ctx.db
    .select({ key: capabilities.key })
    .from(capabilities)
    .where(and(eq(capabilities.provider, provider), eq(capabilities.kind, 'tool'), isNull(capabilities.disabledAt)))
    .orderBy(asc(capabilities.key))
    .limit(1);
  if (!row) throw new ConflictError('capability', `No enabled capability in the catalogue uses ${providerOf(provider).name}: an MSP admin enables it first.`);
  return row.key;
}

export async function runActionFor(ctx: ServiceContext, id: string, action: string, input: unknown, opts: RunnerOptions = {}): Promise<ActionResult> {
  const { c } = await findConnection(ctx, id, 'connection.manage');
  const provider = providerOf(c.provider);
  if (!provider.actions[action]) throw new ConflictError('action', `${provider.name} has no action "${action}".`);
  const verdict = await enforcePolicy(ctx, {
    organizationId: c.organizationId,
    capabilityKey: await capabilityKeyOf(ctx, c.provider),
    action,
    on: { type: 'connection', id: c.id },
  });
  if (verdict.outcome === 'needs_confirmation') {
    throw new ConflictError('action', `${verdict.sentence} A run from the connection page cannot wait for an approval: run it from a workflow.`);
  }
  const result = await runConnectionAction(ctx.db, c, action, input, opts);
  await recordSuccess(ctx.db, ctx.actor, 'connection.action', auditTarget('connection', c), { provider: c.provider, name: c.name, action, source: result.source });
  return result;
}
