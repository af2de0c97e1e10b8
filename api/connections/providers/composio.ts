// Composio: an API key and the connected account whose tools run (through @composio/core when live).
import { z } from 'zod';
import { defineProvider } from './provider.ts';
import { idField, secretField } from './fields.ts';

export const composio = defineProvider({
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
      input: z.object({
        tool: z
          .string('tool is required')
          .regex(/^[A-Z][A-Z0-9_]*$/, 'tool is a Composio tool slug (GITHUB_LIST_REPOS)')
          .max(200),
        arguments: z.record(z.string(), z.unknown()).default({}),
      }),
      output: z.object({ successful: z.boolean(), data: z.record(z.string(), z.unknown()), error: z.string().nullable() }),
    },
  },
  demo: { 'tools.execute': { successful: true, data: { note: 'Demo – no tool ran; this is built-in sample output.' }, error: null } },
});
