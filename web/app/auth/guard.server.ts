// What every protected loader and action calls first: who is asking, and may they do this?
import { redirect } from 'react-router';
import { readSessionToken, validateSessionToken, type Session } from './session.server.ts';
import { can, type Permission } from './permissions.ts';

export async function getSession(request: Request): Promise<Session | null> {
  const token = readSessionToken(request);
  return token ? validateSessionToken(token) : null;
}

export async function requireSession(request: Request): Promise<Session> {
  const session = await getSession(request);
  if (!session) {
    const url = new URL(request.url);
    throw redirect(`/login?redirectTo=${encodeURIComponent(url.pathname + url.search)}`);
  }
  return session;
}

export async function requirePermission(request: Request, permission: Permission): Promise<Session> {
  const session = await requireSession(request);
  if (!can(session.user.role, permission)) throw new Response('Not found', { status: 404 });
  return session;
}
