// The QuickBooks query language as far as the provider needs it: which entity a SELECT reads, whether it
// counts or pages itself (STARTPOSITION, MAXRESULTS), the next page's query, and the rows of an answer
// ({ QueryResponse: { <Entity>: [...], startPosition, maxResults, totalCount? }, time }).

export interface QueryPlan {
  /** The entity after FROM, as written (Intuit answers under its own spelling: Invoice). */
  entity: string;
  /** SELECT COUNT(*): one answer, totalCount only. */
  count: boolean;
  /** The query says its own STARTPOSITION or MAXRESULTS: asked once, as written. */
  ownPaging: boolean;
}

/** Reads a SELECT's shape; null when it is not one. */
export function planQuery(query: string): QueryPlan | null {
  const m = /^\s*select\s+([\s\S]+?)\s+from\s+([A-Za-z]+)\b/i.exec(query);
  if (!m) return null;
  // Paging words inside a quoted value are the value's.
  const unquoted = query.replace(/'(?:[^'\\]|\\.)*'/g, "''");
  return { entity: m[2]!, count: /^count\s*\(\s*\*\s*\)$/i.test(m[1]!.trim()), ownPaging: /\b(startposition|maxresults)\s+\d+/i.test(unquoted) };
}

/** The query for one page: Intuit counts positions from 1 and answers at most 1000 rows a page. */
export const pageQuery = (query: string, startPosition: number, maxResults: number) => `${query.trim()} STARTPOSITION ${startPosition} MAXRESULTS ${maxResults}`;

export interface QueryPage {
  rows: Record<string, unknown>[];
  totalCount?: number;
}

/** The rows of a QueryResponse (under the entity's name; none at all when nothing matched) and a COUNT's totalCount; null without one. */
export function pageOf(body: unknown): QueryPage | null {
  const response = (body as { QueryResponse?: Record<string, unknown> } | null)?.QueryResponse;
  if (!response || typeof response !== 'object') return null;
  const rows = (Object.values(response).find(Array.isArray) ?? []) as Record<string, unknown>[];
  return { rows, ...(typeof response.totalCount === 'number' ? { totalCount: response.totalCount } : {}) };
}

/** Intuit's sentence from a Fault ({ Fault: { Error: [{ Message, Detail, code }], type } }; its 401s spell it in lower case). */
export function faultSentence(body: unknown): string | null {
  const b = body as Record<string, Record<string, unknown> | undefined> | null;
  const fault = b?.Fault ?? b?.fault;
  const errors = (fault?.Error ?? fault?.error) as Record<string, unknown>[] | undefined;
  const first = Array.isArray(errors) ? errors[0] : undefined;
  if (!first) return null;
  const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);
  const message = text(first.Message ?? first.message) ?? 'an error';
  const detail = text(first.Detail ?? first.detail);
  const code = text(first.code);
  return `${message}${detail && detail !== message ? `: ${detail}` : ''}${code ? ` (code ${code})` : ''}`.slice(0, 400);
}
