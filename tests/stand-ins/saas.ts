// ServiceTitan and Composio on loopback for the processes a test run starts (the browser tests' and the
// API fuzzer's web console): whatever credentials a test or the fuzzer sets, a live call reaches these
// stand-ins, never the providers on the internet. The credentials they accept are the ones below.
import { startComposioStandIn } from './composio-server.ts';
import { startServiceTitanStandIn } from './servicetitan-server.ts';

export const SAAS_TEST_CREDENTIALS = {
  servicetitan: { clientId: 'cid.aw-test-client', clientSecret: 'cs1.aw-test-client-secret-not-real', appKey: 'ak1.aw-test-app-key', tenantId: '1234567890' },
  composio: { apiKey: 'ak_aw-test-project-key-not-real', connectedAccountId: 'ca_aw_test', userId: 'aw-test-user' },
};

/** Both stand-ins; `env` (SERVICETITAN_*_URL, COMPOSIO_BASE_URL) points the product at them. */
export async function startSaasStandIns(): Promise<{ env: Record<string, string>; close(): Promise<void> }> {
  const { composio: c } = SAAS_TEST_CREDENTIALS;
  const servicetitan = await startServiceTitanStandIn(SAAS_TEST_CREDENTIALS.servicetitan);
  const composio = await startComposioStandIn({ apiKeys: [c.apiKey], accounts: [{ id: c.connectedAccountId, userId: c.userId, toolkit: 'github', status: 'ACTIVE' }] });
  return {
    env: { ...servicetitan.env, COMPOSIO_BASE_URL: composio.url },
    close: async () => {
      await servicetitan.close();
      await composio.close();
    },
  };
}
