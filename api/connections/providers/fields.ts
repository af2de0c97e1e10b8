// Credential and metadata fields the providers share, each message naming its field.
import { z } from 'zod';

/** A secret string: trimmed, non-empty, bounded (a real token is far below the bound). */
export const secretField = (field: string) => z.string(`${field} is required`).trim().min(1, `${field} is required`).max(4096, `${field} is at most 4096 characters`);

/** An identifier the provider gave (an account, tenant or realm id): not secret, shown on the page. */
export const idField = (field: string, pattern: RegExp, example: string) =>
  z.string(`${field} is required`).trim().regex(pattern, `${field} looks like ${example}`).max(200, `${field} is at most 200 characters`);

/** OAuth 2.0 tokens as a consent flow leaves them: the refresh token is what lasts. */
export const oauthCredentials = z.object({
  refreshToken: secretField('refreshToken'),
  accessToken: secretField('accessToken').optional(),
  /** When the access token expires (ms since the epoch). */
  expiresAt: z.number('expiresAt must be a time in milliseconds').int().positive().optional(),
});

/** Demo records say so in their names, so nobody mistakes them for a customer's data. */
export const demoName = (name: string) => `Demo – ${name}`;

const isText = (field: z.ZodType): boolean => field instanceof z.ZodString || (field instanceof z.ZodOptional && isText(field.unwrap() as z.ZodType));

/** The text fields of a provider's credential or metadata schema, for the console's forms (an expiry time is the consent flow's to set). */
export const fieldNames = (schema: z.ZodType): string[] =>
  schema instanceof z.ZodObject ? Object.entries(schema.shape as Record<string, z.ZodType>).flatMap(([name, field]) => (isText(field) ? [name] : [])) : [];
