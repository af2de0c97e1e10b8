// Calls a connection's provider: opens the sealed credentials just for the call, builds the provider's
// context, and calls its live `test`, action or `revoke`, or answers from its demo data in demo mode
// (labelled Demo; the credentials are not even opened). Workflows and activities pass connection ids and
// come through here, so no secret travels through Temporal (ADR 0013). A credential that no longer opens
// turns the connection `needs_reconnect` with one sentence; nothing crashes.
import { eq, sql } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.ts';
import type { Executor } from '../../db/client.ts';
import { connections } from '../../db/schema.ts';
import type { Progress } from '../../protocol/step-progress.ts';
import { SecretUnavailableError } from '../../infra/secrets/data-keys.ts';
import { configuredKek, type KeyEncryptionKey } from '../../infra/secrets/kek.ts';
import { openSecret, sealSecret } from '../../infra/secrets/sealed.ts';
import { ConflictError, parseInput } from '../errors.ts';
import { configuredBaseUrls, configuredOAuthClient } from './provider-config.ts';
import { LiveNotAvailableError, ProviderAuthError, type ProviderContext, type ProviderDefinition, type ProviderId, type ResultSource } from './providers/provider.ts';
import { providerOf } from './providers/registry.ts';
import { credentialBinding, setConnectionStatus, type ConnectionRow } from './status.ts';

export interface RunnerOptions {
  kek?: KeyEncryptionKey;
  /** Base URLs per provider id, over the production ones (tests: loopback servers speaking the provider's protocol). */
  baseUrls?: Record<string, Record<string, string>>;
  /** Where a long action reports how far it has come (ADR 0021). */
  progress?: Progress;
}

/** The credentials could not be opened; the connection now says so (needs_reconnect). */
export class CredentialsUnavailableError extends Error {}

export async function sealCredentials(db: Executor, row: Pick<ConnectionRow, 'id' | 'organizationId'>, credentials: unknown, kek = configuredKek()): Promise<string> {
  return sealSecret(db, kek, credentialBinding(row), JSON.stringify(credentials));
}

async function openCredentials(db: Executor, row: ConnectionRow, provider: ProviderDefinition, kek: KeyEncryptionKey): Promise<unknown> {
  if (!row.credentialsSealed) throw new ConflictError('credentials', `${row.name} has no credentials yet: set them first.`);
  try {
    return provider.credentialSchema.parse(JSON.parse(await openSecret(db, kek, credentialBinding(row), row.credentialsSealed)));
  } catch (err) {
    const why = err instanceof SecretUnavailableError ? err.message : 'they no longer match what the provider needs';
    const reason = `Its credentials cannot be opened (${why}): set them again.`;
    await markNeedsReconnect(db, row, reason);
    throw new CredentialsUnavailableError(reason);
  }
}

/** The connection needs a person again (its credentials do not open, or the provider refused them): said and audited as a system event. */
async function markNeedsReconnect(db: Executor, row: ConnectionRow, reason: string): Promise<void> {
  await setConnectionStatus(db, row, 'needs_reconnect', reason);
  await recordAudit(db, {
    actorType: 'system',
    actorLabel: 'connections',
    organizationId: row.organizationId,
    action: 'connection.status',
    targetType: 'connection',
    targetId: row.id,
    outcome: 'failure',
    reason,
    details: { provider: row.provider, name: row.name, status: 'needs_reconnect' },
  });
}

/** A provider's base URLs: production, then the configuration's, then the caller's (tests). */
export const providerBaseUrls = (provider: ProviderDefinition, opts: RunnerOptions = {}): Record<string, string> => ({
  ...provider.baseUrls,
  ...configuredBaseUrls()[provider.id],
  ...opts.baseUrls?.[provider.id],
});

async function liveContext(db: Executor, row: ConnectionRow, provider: ProviderDefinition, opts: RunnerOptions): Promise<ProviderContext<unknown, unknown>> {
  const kek = opts.kek ?? configuredKek();
  const save = (on: Executor) => async (next: unknown) => {
    const sealed = await sealCredentials(on, row, provider.credentialSchema.parse(next), kek);
    await on.update(connections).set({ credentialsSealed: sealed, updatedAt: new Date() }).where(eq(connections.id, row.id));
  };
  return {
    connection: { id: row.id, organizationId: row.organizationId, name: row.name },
    credentials: await openCredentials(db, row, provider, kek),
    metadata: provider.metadataSchema.parse(row.metadata),
    baseUrls: providerBaseUrls(provider, opts),
    oauthClient: provider.auth === 'oauth2' ? configuredOAuthClient(provider.id) : null,
    saveCredentials: save(db),
    // A transaction-scoped advisory lock per connection; the work reads and writes on the lock's own connection.
    exclusively: (work) =>
      db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`connection_credentials:${row.id}`}))`);
        const [stored] = await tx.select().from(connections).where(eq(connections.id, row.id));
        if (!stored) throw new ConflictError('connection', `${row.name} was deleted meanwhile.`);
        return work(await openCredentials(tx, stored, provider, kek), save(tx));
      }),
  };
}

export interface TestResult {
  source: ResultSource;
  message: string;
}

/** The provider's test call (live), or the demo answer. Throws LiveNotAvailableError, ProviderAuthError, CredentialsUnavailableError. */
export async function testConnectionCall(db: Executor, row: ConnectionRow, opts: RunnerOptions = {}): Promise<TestResult> {
  const provider = providerOf(row.provider);
  if (row.mode === 'demo') return { source: 'Demo', message: `Demo mode: ${provider.name} is not called; actions answer with built-in sample data, labelled Demo.` };
  // Opened first even without a live test: a damaged credential is found and said now.
  const ctx = await liveContext(db, row, provider, opts);
  if (!provider.test) throw new LiveNotAvailableError(provider.name, 'testing');
  return { source: 'Live', ...(await provider.test(ctx)) };
}

export interface ActionResult {
  source: ResultSource;
  provider: ProviderId;
  action: string;
  data: unknown;
}

/** Runs one of the provider's actions for the connection: input and output checked by the action's schemas. */
export async function runConnectionAction(db: Executor, row: ConnectionRow, action: string, input: unknown, opts: RunnerOptions = {}): Promise<ActionResult> {
  const provider = providerOf(row.provider);
  const def = provider.actions[action];
  if (!def) throw new ConflictError('action', `${provider.name} has no action "${action}".`);
  if (row.status === 'disabled') throw new ConflictError('connection', `${row.name} is disabled.`);
  const parsed = parseInput(def.input, input ?? {});
  if (row.mode === 'demo') return { source: 'Demo', provider: provider.id, action, data: def.output.parse(provider.demo[action]) };
  const ctx = await liveContext(db, row, provider, opts);
  if (!def.run) throw new LiveNotAvailableError(provider.name, `"${action}"`);
  try {
    return { source: 'Live', provider: provider.id, action, data: def.output.parse(await def.run({ ...ctx, progress: opts.progress, input: parsed })) };
  } catch (err) {
    if (!(err instanceof ProviderAuthError)) throw err;
    // Refused credentials will not work for the next call either: a person reconnects.
    const reason = `${provider.name} refused the credentials: ${err.message}. Reconnect it.`;
    await markNeedsReconnect(db, row, reason);
    throw new ConflictError('connection', reason);
  }
}

/** Revokes the credentials at the provider before the connection goes; a sentence for the audit trail saying what happened. */
export async function revokeAtProvider(db: Executor, row: ConnectionRow, opts: RunnerOptions = {}): Promise<string> {
  const provider = providerOf(row.provider);
  if (row.mode === 'demo' || !row.credentialsSealed) return 'nothing to revoke';
  if (!provider.revoke) return `not revoked at ${provider.name}: live calls to it are not available yet`;
  try {
    await provider.revoke(await liveContext(db, row, provider, opts));
    return `revoked at ${provider.name}`;
  } catch (err) {
    return `not revoked at ${provider.name}: ${(err as Error).message}`;
  }
}
