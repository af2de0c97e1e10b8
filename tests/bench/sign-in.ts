// Signing in to the console as a person does (the login form's POST): the session cookie, for benchmarks
// that drive the console or the API over HTTP.
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
