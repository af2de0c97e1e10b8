// Goes through a consent flow over HTTP as a browser would: follows the authorization server's redirects
// (keeping its cookies) from the authorization URL until it sends the person to `redirectUri`, and
// returns that URL (with `code` and `state`, or `error`). Not a browser: Playwright covers that.
export async function followConsent(authorizationUrl: string, redirectUri: string): Promise<URL> {
  const cookies = new Map<string, string>();
  let url = new URL(authorizationUrl);
  for (let hop = 0; hop < 20; hop += 1) {
    if (url.href.startsWith(redirectUri)) return url;
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    const location = res.headers.get('location');
    if (!location) throw new Error(`the consent flow stopped at ${url.pathname} with ${res.status}: ${(await res.text()).slice(0, 300)}`);
    await res.body?.cancel();
    url = new URL(location, url);
  }
  throw new Error('the consent flow redirected more than 20 times');
}
