// Composio: an API key and the connected account whose tools run, through Composio's own client
// (@composio/core) pointed at the base URL: Composio in production, a loopback server speaking its v3.1
// API in the tests. The client is told to send nothing anywhere else: no usage analytics
// (`allowTracking`, which would post to telemetry.composio.dev), no version check (a request to the npm
// registry at each construction), no automatic file upload or download (a tool argument naming a local
// path would otherwise be read from this machine and sent), and the toolkit version fixed here rather than
// read from COMPOSIO_TOOLKIT_VERSION_* variables. tests/integration/composio-live.test.ts proves that every
// request it makes goes to the base URL.
import { Composio } from '@composio/core';
import { z } from 'zod';
import { AppError, ConflictError } from '../../errors.ts';
import { defineProvider, ProviderAuthError, ProviderRequestError, type ProviderContext } from './provider.ts';
import { idField, secretField } from './fields.ts';

interface ComposioCredentials {
  apiKey: string;
}
interface ComposioMetadata {
  connectedAccountId?: string;
  userId?: string;
}
type Ctx = ProviderContext<ComposioCredentials, ComposioMetadata>;

const client = (ctx: Ctx) =>
  new Composio({
    apiKey: ctx.credentials.apiKey,
    baseURL: ctx.baseUrls.api,
    allowTracking: false,
    disableVersionCheck: true,
    dangerouslyAllowAutoUploadDownloadFiles: false,
    toolkitVersions: 'latest',
  });

const accountOf = (ctx: Ctx): string => {
  if (!ctx.metadata.connectedAccountId) {
    throw new ConflictError(
      'metadata.connectedAccountId',
      `${ctx.connection.name} has no Composio connected account: set metadata.connectedAccountId (ca_…, from Composio's Connected Accounts page).`,
    );
  }
  return ctx.metadata.connectedAccountId;
};

/** An API error of Composio's client (status, and the answer's body), found along an SDK error's causes. */
function apiErrorIn(err: unknown): { status: number; body: unknown } | null {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { status, error } = e as { status?: unknown; error?: unknown };
    if (typeof status === 'number') return { status, body: error };
  }
  return null;
}

/** A network failure's code along the causes (ECONNREFUSED, …): the messages can carry the URL. */
function networkCodeIn(err: unknown): string | null {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
  }
  return null;
}

/** The sentence of a Composio error answer (`{ error: { message, code, slug, status } }`). */
export function composioMessage(body: unknown, status: number): string {
  const error = (body as { error?: unknown } | null)?.error;
  const message = error && typeof error === 'object' ? (error as { message?: unknown }).message : typeof error === 'string' ? error : undefined;
  return typeof message === 'string' && message ? message.slice(0, 300) : `HTTP ${status}`;
}

/**
 * What Composio said, as the provider's errors: a refused API key (401) or a connected account Composio
 * does not have (code 1803) is a ProviderAuthError (the connection needs a person); other refusals are Composio's
 * sentence (ProviderRequestError). Never the client's own error, whose request carries the API key.
 */
export function composioError(err: unknown): Error {
  const api = apiErrorIn(err);
  const name = (err as { name?: unknown }).name;
  if (api?.status === 401) return new ProviderAuthError(`Composio refused the API key (${composioMessage(api.body, 401)})`);
  // Composio's code 1803: the connected account does not exist (deleted, or another project's); the core
  // client turns it into its own error when executing a tool.
  const code1803 = (api?.body as { error?: { code?: unknown } } | undefined)?.error?.code === 1803;
  if (code1803 || name === 'ComposioConnectedAccountNotFoundError') {
    return new ProviderAuthError(`Composio has no such connected account (${api ? composioMessage(api.body, api.status) : (err as Error).message.slice(0, 200)})`);
  }
  if (api) return new ProviderRequestError('Composio', composioMessage(api.body, api.status));
  const code = networkCodeIn(err);
  if (code || !(typeof name === 'string' && name.startsWith('Composio'))) return new ProviderRequestError('Composio', code ? `no answer (${code})` : 'no answer');
  // The SDK's own refusals (a tool version it requires, arguments it cannot send) are fixed sentences.
  return new ProviderRequestError('Composio', (err as Error).message.slice(0, 300));
}

async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    // Ours (a missing field, a status the test refuses) as they are; the client's, as what Composio said.
    throw err instanceof AppError || err instanceof ProviderAuthError ? err : composioError(err);
  }
}

const ExecuteInput = z.object({
  tool: z
    .string('tool is required')
    .regex(/^[A-Z][A-Z0-9_]*$/, 'tool is a Composio tool slug (GITHUB_LIST_REPOS)')
    .max(200),
  arguments: z.record(z.string(), z.unknown()).default({}),
  // Composio asks callers to pin a toolkit version; without one the tool's latest version runs.
  version: z
    .string()
    .regex(/^(latest|\d{8}_\d{2})$/, 'version is a toolkit version (20250909_00) or latest')
    .optional(),
});
type ExecuteInput = z.infer<typeof ExecuteInput>;

export const composio = defineProvider<ComposioCredentials, ComposioMetadata>({
  id: 'composio',
  name: 'Composio',
  auth: 'api_key',
  credentialSchema: z.object({ apiKey: secretField('apiKey') }),
  metadataSchema: z.object({
    connectedAccountId: idField('connectedAccountId', /^[A-Za-z0-9_-]{1,100}$/, 'ca_1a2b3c').optional(),
    userId: idField('userId', /^[A-Za-z0-9_.@-]{1,100}$/, 'user-42').optional(),
  }),
  hintField: 'apiKey',
  baseUrls: { api: 'https://backend.composio.dev' },
  actions: {
    'tools.execute': {
      description: 'Execute a Composio tool.',
      input: ExecuteInput,
      output: z.object({ successful: z.boolean(), data: z.record(z.string(), z.unknown()), error: z.string().nullable() }),
      run: ({ input, ...ctx }) => {
        const { tool, arguments: args, version } = input as ExecuteInput;
        const connectedAccountId = accountOf(ctx);
        return call(async () => {
          const result = await client(ctx).tools.execute(
            tool,
            { connectedAccountId, userId: ctx.metadata.userId, arguments: args, ...(version ? { version } : {}), dangerouslySkipVersionCheck: !version || version === 'latest' },
            { signal: ctx.signal },
          );
          return { successful: result.successful, data: result.data, error: result.error };
        });
      },
    },
  },
  // The connected account, read back: the key is good and the account can run tools. Only its status and
  // toolkit are read; the answer also holds the account's own credentials, which go no further.
  test: (ctx) => {
    const id = accountOf(ctx);
    return call(async () => {
      const account = await client(ctx).connectedAccounts.get(id, ctx.signal ? { signal: ctx.signal } : undefined);
      const why = account.statusReason ? ` (${account.statusReason.slice(0, 200)})` : '';
      if (account.status !== 'ACTIVE') throw new ProviderAuthError(`connected account ${id} is ${account.status} at Composio${why}: reconnect it there`);
      return { message: `Connected account ${id} (${account.toolkit.slug}) is ACTIVE.` };
    });
  },
  // The API key is the Composio project's and the connected account may serve others: both stay at Composio.
  revoke: () => Promise.reject(new Error('the API key and the connected account stay at Composio: revoke them in its dashboard if no longer needed')),
  demo: { 'tools.execute': { successful: true, data: { note: 'Demo – no tool ran; this is built-in sample output.' }, error: null } },
});
