// The QuickBooks query language as Intuit's API parses it, for the stand-in: SELECT * | fields | COUNT(*)
// FROM <Entity> [WHERE <field> <op> <value> [AND …]] [ORDERBY <field> [ASC|DESC]] [STARTPOSITION n]
// [MAXRESULTS n]; values quoted ('…') or numbers; ops =, <, >, <=, >=, !=, LIKE ('%' at either end), IN (…).
// Anything else is a QueryParserError, as there.

export type Row = Record<string, unknown>;

export interface ParsedQuery {
  entity: string;
  fields: string[] | '*' | 'count';
  where: ((row: Row) => boolean)[];
  orderBy?: { field: string; desc: boolean };
  startPosition: number;
  maxResults: number;
}

export class QueryParserError extends Error {}

/** A value to compare: a reference ({ value, name }) compares by its value, as Intuit's does. */
const valueOf = (row: Row, field: string): unknown => {
  const v = row[field];
  return v && typeof v === 'object' && 'value' in v ? (v as { value: unknown }).value : v;
};

const compare = (a: unknown, b: string): number => {
  const x = typeof a === 'number' ? a : Number.NaN;
  const y = Number(b);
  return Number.isNaN(x) || Number.isNaN(y) ? String(a ?? '').localeCompare(b) : x - y;
};

const literal = /'((?:[^'\\]|\\.)*)'|(-?\d+(?:\.\d+)?)/y;

function condition(text: string): (row: Row) => boolean {
  const m = /^([A-Za-z][A-Za-z0-9.]*)\s*(<=|>=|!=|=|<|>|\blike\b|\bin\b)\s*([\s\S]+)$/i.exec(text.trim());
  if (!m) throw new QueryParserError(`Encountered "${text.trim().slice(0, 40)}"`);
  const [, field, rawOp, rest] = m as unknown as [string, string, string, string];
  const op = rawOp.toLowerCase();
  const values: string[] = [];
  const list = op === 'in' ? /^\(([\s\S]*)\)$/.exec(rest.trim())?.[1] : rest.trim();
  if (list === undefined) throw new QueryParserError('IN takes a list: (…)');
  for (const part of op === 'in' ? list.split(',') : [list]) {
    literal.lastIndex = 0;
    const v = literal.exec(part.trim());
    if (!v || literal.lastIndex !== part.trim().length) throw new QueryParserError(`Encountered "${part.trim().slice(0, 40)}"`);
    values.push(v[1] !== undefined ? v[1].replace(/\\'/g, "'") : v[2]!);
  }
  const [value] = values as [string];
  switch (op) {
    case '=':
      return (r) => compare(valueOf(r, field), value) === 0;
    case '!=':
      return (r) => compare(valueOf(r, field), value) !== 0;
    case '<':
      return (r) => compare(valueOf(r, field), value) < 0;
    case '>':
      return (r) => compare(valueOf(r, field), value) > 0;
    case '<=':
      return (r) => compare(valueOf(r, field), value) <= 0;
    case '>=':
      return (r) => compare(valueOf(r, field), value) >= 0;
    case 'in':
      return (r) => values.some((v) => compare(valueOf(r, field), v) === 0);
    default: {
      const pattern = new RegExp(`^${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*')}$`, 'i');
      return (r) => pattern.test(String(valueOf(r, field) ?? ''));
    }
  }
}

/** Parses one SELECT; `entities` are the names the company has (Invoice, Customer), matched without regard to case. */
export function parseQuery(query: string, entities: string[]): ParsedQuery {
  const m =
    /^\s*select\s+([\s\S]+?)\s+from\s+([A-Za-z]+)(?:\s+where\s+([\s\S]+?))?(?:\s+orderby\s+([A-Za-z][A-Za-z0-9.]*)(?:\s+(asc|desc))?)?(?:\s+startposition\s+(\d+))?(?:\s+maxresults\s+(\d+))?\s*$/i.exec(
      query,
    );
  if (!m) throw new QueryParserError('Encountered an unexpected token');
  const [, select, from, where, orderField, orderDir, start, max] = m;
  const entity = entities.find((e) => e.toLowerCase() === from!.toLowerCase());
  if (!entity) throw new QueryParserError(`Invalid context declaration : ${from}`);
  const fields = select!.trim() === '*' ? '*' : /^count\s*\(\s*\*\s*\)$/i.test(select!.trim()) ? 'count' : select!.split(',').map((f) => f.trim());
  if (Array.isArray(fields) && fields.some((f) => !/^[A-Za-z][A-Za-z0-9.]*$/.test(f))) throw new QueryParserError(`Encountered "${select}"`);
  const startPosition = start === undefined ? 1 : Number(start);
  if (startPosition < 1) throw new QueryParserError('STARTPOSITION starts at 1');
  return {
    entity,
    fields,
    where: where ? where.split(/\s+and\s+/i).map(condition) : [],
    orderBy: orderField ? { field: orderField, desc: orderDir?.toLowerCase() === 'desc' } : undefined,
    startPosition,
    // Intuit answers at most 1000 rows a page, 100 when not told.
    maxResults: Math.min(max === undefined ? 100 : Number(max), 1000),
  };
}

/** What the query selects of `rows`: filtered, ordered, the page, the fields (Id always, as Intuit adds it). */
export function runQuery(q: ParsedQuery, rows: Row[]): Row[] {
  const matching = rows.filter((r) => q.where.every((test) => test(r)));
  if (q.orderBy) {
    const { field, desc } = q.orderBy;
    matching.sort((a, b) => (desc ? -1 : 1) * compare(valueOf(a, field), String(valueOf(b, field) ?? '')));
  }
  const page = matching.slice(q.startPosition - 1, q.startPosition - 1 + q.maxResults);
  if (!Array.isArray(q.fields)) return page;
  const fields = q.fields;
  return page.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k === 'Id' || fields.includes(k))));
}
