// Signing in to the console as a person does (the login form's POST): the session cookie, for benchmarks
// that drive the console or the API over HTTP.
import { apiCaller } from './product.ts';

export async function signIn(base: string, credentials: { email: string; password: string }): Promise<string> {
  const login = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Origin: base, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(credentials),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  if (!cookie.startsWith('aw_session=')) throw new Error(`could not sign in (${login.status})`);
  return cookie;
}

/** The REST API as the signed-in person calls it: JSON in and out, any status but 2xx thrown with its body. */
export async function signedInApi(base: string, credentials: { email: string; password: string }) {
  return apiCaller(base, await signIn(base, credentials));
}
