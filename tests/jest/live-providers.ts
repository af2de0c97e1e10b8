// What the live provider tests share: pointing this process's configuration at stand-ins for a while (or
// for a test file, with its database and cast: liveProviderFile), the audit event one action left on a
// connection, a connection's sealed tokens opened, and the checks that Connect names the variables of a
// missing OAuth client and that deleting a connection revokes its refresh token at the provider.
import { afterAll, beforeAll, expect } from '@jest/globals';
import { and, eq } from 'drizzle-orm';
import type { ServiceContext } from '../../api/authz.ts';
import { startConnectionOAuth } from '../../api/connections/oauth.ts';
import { oauthCredentials } from '../../api/connections/providers/fields.ts';
import { deleteConnection } from '../../api/connections/service.ts';
import { credentialBinding } from '../../api/connections/status.ts';
import type { ConflictError } from '../../api/errors.ts';
import type { Db, Executor } from '../../db/client.ts';
import { auditEvents, connections } from '../../db/schema.ts';
import { configuredKek } from '../../infra/secrets/kek.ts';
import { openSecret } from '../../infra/secrets/sealed.ts';
import type { AuthorizationServer } from '../stand-ins/oidc-server.ts';
import type { TestDatabase } from './db.ts';
import { tenantsForFile } from './tenants-for-file.ts';
import { failure, type Tenants } from './tenants.ts';

/** Sets these variables (the product reads its configuration at each call); the returned function puts back what was there. */
export function setEnv(vars: Record<string, string>): () => void {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(before))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  };
}

/** The first audit event of `action` on this target. */
export async function auditEventOf(db: Db, action: string, targetId: string) {
  const [event] = await db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, action), eq(auditEvents.targetId, targetId)));
  return event;
}

export interface StandIns {
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Where the product sends people back after consent, under the PUBLIC_URL the file sets. */
export const redirectUriOf = (publicUrl: string) => `${publicUrl}/connections/oauth/callback`;

/**
 * tenantsForFile, with the stand-ins `start` makes (sending people back to PUBLIC_URL's callback) running
 * for the file's tests and their environment (with PUBLIC_URL) set in this process; `ready` hands the
 * database, the cast and the stand-ins over.
 */
export function liveProviderFile<S extends StandIns>(
  publicUrl: string,
  start: (redirectUri: string) => Promise<S>,
  ready: (f: { t: TestDatabase; w: Tenants; standIns: S }) => void,
): void {
  let standIns: S | undefined;
  let restore = () => {};
  // Registered first, so the stand-ins run before tenantsForFile hands everything over.
  beforeAll(async () => {
    standIns = await start(redirectUriOf(publicUrl));
    restore = setEnv({ ...standIns.env, PUBLIC_URL: publicUrl });
  });
  tenantsForFile((t, w) => ready({ t, w, standIns: standIns! }));
  afterAll(async () => {
    restore();
    await standIns?.close();
  });
}

export const connectionRow = async (db: Executor, id: string) => (await db.select().from(connections).where(eq(connections.id, id)))[0]!;

/** A connection's OAuth tokens, opened from their seal (what only the runner does in the product). */
export async function openTokens(db: Executor, id: string) {
  const row = await connectionRow(db, id);
  return oauthCredentials.parse(JSON.parse(await openSecret(db, configuredKek(), credentialBinding(row), row.credentialsSealed!)));
}

/** Deletes the connection and checks that its refresh token was revoked at the provider, and that the audit trail says so. */
export async function deleteRevokesAtProvider(db: Db, ctx: ServiceContext, id: string, oauth: AuthorizationServer, providerName: string): Promise<void> {
  const { refreshToken } = await openTokens(db, id);
  await deleteConnection(ctx, id);
  expect(oauth.seen.revoked).toContain(refreshToken);
  expect((await auditEventOf(db, 'connection.delete', id))!.details).toMatchObject({ revoke: `revoked at ${providerName}` });
  expect(await oauth.provider.RefreshToken.find(refreshToken)).toBeUndefined();
}

/** Without the OAuth client (<PREFIX>_OAUTH_CLIENT_ID and _SECRET unset), Connect says which variables to set. */
export async function connectWithoutClientNamesIt(ctx: ServiceContext, id: string, prefix: string, standIns: StandIns): Promise<void> {
  const names = [`${prefix}_OAUTH_CLIENT_ID`, `${prefix}_OAUTH_CLIENT_SECRET`];
  for (const name of names) delete process.env[name];
  try {
    const err = (await failure(startConnectionOAuth(ctx, id))) as ConflictError;
    expect(err.fieldErrors).toEqual({ oauth: expect.stringContaining(names.join(' and ')) });
  } finally {
    for (const name of names) process.env[name] = standIns.env[name];
  }
}
