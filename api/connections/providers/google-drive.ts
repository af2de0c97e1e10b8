// Google Drive: OAuth 2.0 (authorization code with PKCE; the consent flow arrives with the live client,
// googleapis). Lists files' metadata only (scope drive.metadata.readonly).
import { z } from 'zod';
import { defineProvider } from './provider.ts';
import { demoName, oauthCredentials } from './fields.ts';

const File = z.object({ id: z.string(), name: z.string(), mimeType: z.string(), size: z.string().optional(), modifiedTime: z.string() });

const demoFiles = [
  { id: 'demo-file-1', name: demoName('Quarterly report.pdf'), mimeType: 'application/pdf', size: '182044', modifiedTime: '2026-01-05T09:00:00.000Z' },
  { id: 'demo-file-2', name: demoName('Customer list.xlsx'), mimeType: 'application/vnd.ms-excel', size: '40960', modifiedTime: '2026-01-04T16:30:00.000Z' },
];

export const googleDrive = defineProvider({
  id: 'google_drive',
  name: 'Google Drive',
  auth: 'oauth2',
  credentialSchema: oauthCredentials,
  metadataSchema: z.object({ accountEmail: z.email('accountEmail must be an email address').optional() }),
  hintField: 'refreshToken',
  baseUrls: { api: 'https://www.googleapis.com', oauth: 'https://oauth2.googleapis.com' },
  actions: {
    'files.list': {
      description: 'List files (name, type, size, dates).',
      input: z.object({ q: z.string().max(2000).optional(), pageSize: z.number().int().min(1).max(1000).default(100), pageToken: z.string().max(2000).optional() }),
      output: z.object({ files: z.array(File), nextPageToken: z.string().optional(), incompleteSearch: z.boolean() }),
    },
    'files.get': {
      description: 'Read one file’s metadata.',
      input: z.object({ fileId: z.string('fileId is required').min(1, 'fileId is required').max(200) }),
      output: File,
    },
  },
  demo: { 'files.list': { files: demoFiles, incompleteSearch: false }, 'files.get': demoFiles[0] },
});
