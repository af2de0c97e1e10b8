// Google Drive: OAuth 2.0 (authorization code with PKCE, google-oauth.ts), file metadata only (scope
// drive.metadata.readonly), through Google's own client (@googleapis/drive) pointed at the base URL:
// Google in production, a loopback server speaking Drive v3 in the tests.
import { drive, type drive_v3 } from '@googleapis/drive';
import { z } from 'zod';
import { defineProvider, type ProviderContext } from './provider.ts';
import { demoName, oauthCredentials } from './fields.ts';
import { googleOAuthFlow, revokeGoogle, withGoogleAuth, type OAuthTokens } from './google-oauth.ts';

const File = z.object({ id: z.string(), name: z.string(), mimeType: z.string(), size: z.string().optional(), modifiedTime: z.string() });
/** The fields asked of Drive: what the output schema has, so answers stay small. */
const FILE_FIELDS = 'id,name,mimeType,size,modifiedTime';

const demoFiles = [
  { id: 'demo-file-1', name: demoName('Quarterly report.pdf'), mimeType: 'application/pdf', size: '182044', modifiedTime: '2026-01-05T09:00:00.000Z' },
  { id: 'demo-file-2', name: demoName('Customer list.xlsx'), mimeType: 'application/vnd.ms-excel', size: '40960', modifiedTime: '2026-01-04T16:30:00.000Z' },
];

const ListInput = z.object({
  q: z.string().max(2000, 'q is at most 2000 characters').optional().describe("A Drive search query, e.g. name contains 'report'"),
  folderId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,200}$/, 'folderId is a Drive id (letters, digits, - and _)')
    .optional(),
  pageSize: z.number('pageSize must be a number').int().min(1, 'pageSize is at least 1').max(1000, 'pageSize is at most 1000').default(100),
  /** How many files at most, over as many pages as that takes. */
  limit: z.number('limit must be a number').int().min(1, 'limit is at least 1').max(5000, 'limit is at most 5000').default(1000),
  pageToken: z.string().max(2000).optional(),
});
const ListOutput = z.object({ files: z.array(File), nextPageToken: z.string().optional(), incompleteSearch: z.boolean() });

type Ctx = ProviderContext<OAuthTokens, unknown>;
const client = (ctx: Ctx, auth: drive_v3.Options['auth']) => drive({ version: 'v3', auth, rootUrl: ctx.baseUrls.api });
const toFile = (f: drive_v3.Schema$File) => File.parse({ id: f.id, name: f.name, mimeType: f.mimeType, size: f.size ?? undefined, modifiedTime: f.modifiedTime });

/** files.list, following nextPageToken until `limit` files; the token to go on is returned when there are more. */
async function listFiles(ctx: Ctx, input: z.infer<typeof ListInput>): Promise<z.infer<typeof ListOutput>> {
  const q = [input.q, input.folderId && `'${input.folderId}' in parents`].filter(Boolean).join(' and ') || undefined;
  return withGoogleAuth(ctx, async (auth) => {
    const api = client(ctx, auth);
    const files: z.infer<typeof File>[] = [];
    let pageToken = input.pageToken;
    let incompleteSearch = false;
    let pages = 0;
    do {
      const pageSize = Math.min(input.pageSize, input.limit - files.length);
      const { data } = await api.files.list({ q, pageSize, pageToken, fields: `nextPageToken,incompleteSearch,files(${FILE_FIELDS})` }, { signal: ctx.signal });
      files.push(...(data.files ?? []).map(toFile));
      incompleteSearch ||= data.incompleteSearch ?? false;
      pageToken = data.nextPageToken ?? undefined;
      // Drive does not say how many there are: the files so far, with no total (an indeterminate bar).
      pages += 1;
      ctx.progress?.({
        step: 'listing Drive files',
        message: `page ${pages}: ${files.length} files so far${pageToken ? '' : ', the last page'}`,
        done: files.length,
        unit: 'files',
      });
    } while (pageToken && files.length < input.limit);
    return { files, incompleteSearch, ...(pageToken ? { nextPageToken: pageToken } : {}) };
  });
}

export const googleDrive = defineProvider<OAuthTokens, { accountEmail?: string }>({
  id: 'google_drive',
  name: 'Google Drive',
  auth: 'oauth2',
  credentialSchema: oauthCredentials,
  metadataSchema: z.object({ accountEmail: z.email('accountEmail must be an email address').optional() }),
  hintField: 'refreshToken',
  baseUrls: {
    api: 'https://www.googleapis.com/',
    authorize: 'https://accounts.google.com/o/oauth2/v2/auth',
    token: 'https://oauth2.googleapis.com/token',
    revoke: 'https://oauth2.googleapis.com/revoke',
  },
  actions: {
    'files.list': {
      description: 'List files (name, type, size, dates).',
      input: ListInput,
      output: ListOutput,
      run: ({ input, ...ctx }) => listFiles(ctx, input as z.infer<typeof ListInput>),
    },
    'files.get': {
      description: 'Read one file’s metadata.',
      input: z.object({ fileId: z.string('fileId is required').min(1, 'fileId is required').max(200) }),
      output: File,
      run: ({ input, ...ctx }) =>
        withGoogleAuth(ctx, async (auth) =>
          toFile((await client(ctx, auth).files.get({ fileId: (input as { fileId: string }).fileId, fields: FILE_FIELDS }, { signal: ctx.signal })).data),
        ),
    },
  },
  // The cheapest authenticated call: one file's id.
  test: (ctx) =>
    withGoogleAuth(ctx, async (auth) => {
      const { data } = await client(ctx, auth).files.list({ pageSize: 1, fields: 'files(id)' }, { signal: ctx.signal });
      return { message: `Google Drive answered (${data.files?.length ? 'files are visible' : 'no files visible yet'}).` };
    }),
  oauth: googleOAuthFlow,
  revoke: revokeGoogle,
  demo: { 'files.list': { files: demoFiles, incompleteSearch: false }, 'files.get': demoFiles[0] },
});
