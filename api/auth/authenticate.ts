// Who is calling: a personal API token (Authorization: Bearer awpat_…) or a console session cookie.
import type { Db } from '../../db/client.ts';
import type { Actor } from '../authz.ts';
import { actorFromApiToken } from '../tokens/service.ts';
import { validateSessionToken, type Session } from './sessions.ts';
import { twoFactorState } from './two-factor-state.ts';

export function actorFromSession(session: Session): Actor {
  const { id, email, name, role, organizationId } = session.user;
  return { kind: 'person', userId: id, email, name, role, organizationId };
}

export async function authenticate(db: Db, headers: { authorization?: string; sessionToken?: string | null }): Promise<Actor | null> {
  const bearer = headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (bearer) return actorFromApiToken(db, bearer);
  if (headers.sessionToken) {
    const session = await validateSessionToken(headers.sessionToken);
    // A session that still owes its second factor (or a required enrolment) is not signed in yet.
    if (session && (await twoFactorState(db, session)) === 'complete') return actorFromSession(session);
  }
  return null;
}
