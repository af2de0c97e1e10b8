// Intuit for the tests, on loopback: the authorization server and the QuickBooks Online API together, with
// the environment that points the product at them (what global-setup passes to the web process, and what
// Jest tests set in their own process), and a sandbox company with a few invoices.
import { startIntuitOAuthStandIn, TEST_REALM } from './intuit-oauth-server.ts';
import { closeAll, oauthEnv } from './oidc-server.ts';
import { sampleCompany, startQuickBooksStandIn } from './quickbooks-server.ts';

export const INTUIT_TEST_CLIENT = { clientId: 'ABtestclientid0123456789quickbooks', clientSecret: 'aw-intuit-test-secret-not-real' };

export type IntuitStandIn = Awaited<ReturnType<typeof startIntuitStandIn>>;

export async function startIntuitStandIn(opts: { redirectUri: string; refreshTokenPrefix?: string; invoices?: number }) {
  const oauth = await startIntuitOAuthStandIn({ ...INTUIT_TEST_CLIENT, redirectUri: opts.redirectUri, refreshTokenPrefix: opts.refreshTokenPrefix, realmId: TEST_REALM });
  const api = await startQuickBooksStandIn(oauth, sampleCompany(TEST_REALM, opts.invoices));
  return {
    oauth,
    api,
    /** QUICKBOOKS_OAUTH_* and QUICKBOOKS_API_BASE_URL for the product. */
    env: { ...oauthEnv('QUICKBOOKS', INTUIT_TEST_CLIENT, oauth.endpoints), QUICKBOOKS_API_BASE_URL: api.url },
    close: () => closeAll(api, oauth),
  };
}
