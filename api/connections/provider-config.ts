// What the configuration says about reaching providers: each provider's base URLs over its production ones
// (GOOGLE_OAUTH_*_URL, GOOGLE_DRIVE_BASE_URL, QUICKBOOKS_OAUTH_*_URL, QUICKBOOKS_API_BASE_URL, SERVICETITAN_*_URL,
// COMPOSIO_BASE_URL), and the OAuth client the MSP registered with it. Read at
// each call, like the rest of the configuration, so tests and a restarted process see the current values.
import { loadConfig, type Config } from '../../infra/config.ts';
import { ConflictError } from '../errors.ts';

/** An OAuth client registered with a provider; the secret goes to the provider's token endpoint only. */
export interface OAuthClientConfig {
  clientId: string;
  clientSecret: string;
}

const defined = (entries: Record<string, string | undefined>) => Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined)) as Record<string, string>;

/** Base URLs by provider id from the configuration (only those set). */
export function configuredBaseUrls(config: Config = loadConfig()): Record<string, Record<string, string>> {
  return {
    google_drive: defined({
      api: config.GOOGLE_DRIVE_BASE_URL,
      authorize: config.GOOGLE_OAUTH_AUTH_URL,
      token: config.GOOGLE_OAUTH_TOKEN_URL,
      revoke: config.GOOGLE_OAUTH_REVOKE_URL,
    }),
    quickbooks: defined({
      api: config.QUICKBOOKS_API_BASE_URL,
      authorize: config.QUICKBOOKS_OAUTH_AUTH_URL,
      token: config.QUICKBOOKS_OAUTH_TOKEN_URL,
      revoke: config.QUICKBOOKS_OAUTH_REVOKE_URL,
    }),
    servicetitan: defined({ auth: config.SERVICETITAN_AUTH_URL, api: config.SERVICETITAN_API_URL }),
    composio: defined({ api: config.COMPOSIO_BASE_URL }),
  };
}

/** The OAuth client for a provider, or null when it is not configured. */
export function configuredOAuthClient(providerId: string, config: Config = loadConfig()): OAuthClientConfig | null {
  if (providerId === 'google_drive' && config.GOOGLE_OAUTH_CLIENT_ID && config.GOOGLE_OAUTH_CLIENT_SECRET) {
    return { clientId: config.GOOGLE_OAUTH_CLIENT_ID, clientSecret: config.GOOGLE_OAUTH_CLIENT_SECRET };
  }
  if (providerId === 'quickbooks' && config.QUICKBOOKS_OAUTH_CLIENT_ID && config.QUICKBOOKS_OAUTH_CLIENT_SECRET) {
    return { clientId: config.QUICKBOOKS_OAUTH_CLIENT_ID, clientSecret: config.QUICKBOOKS_OAUTH_CLIENT_SECRET };
  }
  return null;
}

/** The variables that configure a provider's OAuth client, for the sentence saying they are missing. */
const CLIENT_VARIABLES: Record<string, string> = {
  google_drive: 'GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET',
  quickbooks: 'QUICKBOOKS_OAUTH_CLIENT_ID and QUICKBOOKS_OAUTH_CLIENT_SECRET',
};

/** The OAuth client, or a 409 naming the variables to set. */
export function requireOAuthClient(providerId: string, providerName: string): OAuthClientConfig {
  const client = configuredOAuthClient(providerId);
  if (!client) {
    throw new ConflictError('oauth', `${providerName}'s OAuth client is not configured: the MSP sets ${CLIENT_VARIABLES[providerId] ?? 'its OAuth client'} (README, Connections).`);
  }
  return client;
}

/** Where the provider sends the person back after consent: the console's callback, under PUBLIC_URL. */
export const oauthRedirectUri = (config: Config = loadConfig()): string => new URL('/connections/oauth/callback', config.publicUrl).toString();
