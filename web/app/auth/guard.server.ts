// What every console loader and action calls first: who is asking. It returns the service context that
// the services in api/ authorize against; two-factor sign-in is enforced here for the console.
import { redirect } from 'react-router';
import { actorFromSession } from '../../../api/auth/authenticate.ts';
import { readSessionToken, validateSessionToken, type Session } from '../../../api/auth/sessions.ts';
import { twoFactorState } from '../../../api/auth/two-factor-state.ts';
import type { ServiceContext } from '../../../api/authz.ts';
import { getDb } from '../../../db/client.ts';

export async function getSession(request: Request): Promise<Session | null> {
  const token = readSessionToken(request);
  return token ? validateSessionToken(token) : null;
}

function toLogin(request: Request): never {
  const url = new URL(request.url);
  throw redirect(`/login?redirectTo=${encodeURIComponent(url.pathname + url.search)}`);
}

/** A signed-in session whose two-factor step may still be open (for the two-factor pages themselves). */
export async function requireSession(request: Request): Promise<Session> {
  return (await getSession(request)) ?? toLogin(request);
}

/** The caller as a fully signed-in person, or a redirect to the step they still owe. */
export async function requireContext(request: Request): Promise<ServiceContext & { session: Session }> {
  const session = await requireSession(request);
  const db = getDb();
  const state = await twoFactorState(db, session);
  if (state === 'code_needed') throw redirect('/login/two-factor');
  if (state === 'enrolment_needed' && new URL(request.url).pathname !== '/account/two-factor') throw redirect('/account/two-factor');
  return { db, actor: actorFromSession(session), session };
}
