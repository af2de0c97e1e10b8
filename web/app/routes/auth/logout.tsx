import { redirect } from 'react-router';
import { recordAudit } from '../../../../db/audit.ts';
import { getDb } from '../../../../db/client.ts';
import { getSession } from '../../auth/guard.server.ts';
import { clearedSessionCookie, invalidateSession } from '../../../../api/auth/sessions.ts';
import type { Route } from './+types/logout.ts';

// Sign-out is a POST (a GET could be triggered by any page that links here).
export async function action({ request }: Route.ActionArgs) {
  const session = await getSession(request);
  if (session) {
    await invalidateSession(session.id);
    await recordAudit(getDb(), {
      actorType: 'person',
      actorId: session.user.id,
      actorLabel: session.user.email,
      organizationId: session.user.organizationId,
      action: 'auth.sign_out',
      targetType: 'session',
      targetId: session.id,
      outcome: 'success',
    });
  }
  return redirect('/login', { headers: { 'Set-Cookie': clearedSessionCookie() } });
}

export const loader = () => redirect('/');
