// Cursor pagination for list endpoints: the cursor is opaque to clients (base64url of the last row's
// sort key), stable under inserts, and a tampered cursor is a clear 400 on the `cursor` field.
import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { InvalidInputError } from './errors.ts';

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1, 'limit must be between 1 and 200').max(200, 'limit must be between 1 and 200').default(50),
  cursor: z.string().max(200).optional(),
});
export type PageQuery = z.infer<typeof PageQuery>;

export interface Cursor {
  at: string;
  id: string;
}

export const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify([c.at, c.id])).toString('base64url');

export function decodeCursor(cursor: string | undefined): Cursor | undefined {
  if (!cursor) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    if (typeof at === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(at))) return { at, id };
  } catch {
    /* fall through */
  }
  throw new InvalidInputError({ cursor: 'cursor is not one this API returned' });
}

/**
 * The rows after `cursor` in a list sorted by (createdAt, id), ascending or descending (newest first):
 * the keyset condition every list endpoint uses; undefined on the first page. A row comparison, not
 * `createdAt < at or (createdAt = at and id < id)`: PostgreSQL starts an index range scan at a row
 * comparison, where the OR form reads the index from its start and filters, so a deep page read every row
 * before it (docs/benchmarks/big-lists.md).
 */
export function afterCursor(cursor: string | undefined, createdAt: AnyColumn, id: AnyColumn, order: 'asc' | 'desc' = 'asc'): SQL | undefined {
  const after = decodeCursor(cursor);
  if (!after) return undefined;
  return sql`(${createdAt}, ${id}) ${order === 'asc' ? sql`>` : sql`<`} (${new Date(after.at).toISOString()}, ${after.id})`;
}

export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/** Rows were fetched with limit + 1: the extra one says whether there is a next page. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => Cursor) {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? encodeCursor(keyOf(items[items.length - 1]!)) : null };
}
