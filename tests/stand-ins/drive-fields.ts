// Drive's partial responses: `fields=nextPageToken,files(id,name)` keeps only those members, as Google
// does; without `fields` a list answers its default members. A malformed selection is a 400, as there.

export type Selection = Map<string, Selection | null>;

/** Parses `a,b(c,d),e` into a tree; throws on unbalanced parentheses or empty names. */
export function parseFields(text: string): Selection {
  let i = 0;
  const parse = (): Selection => {
    const out: Selection = new Map();
    for (;;) {
      const start = i;
      while (i < text.length && /[A-Za-z0-9_/]/.test(text[i]!)) i += 1;
      const name = text.slice(start, i).trim();
      if (!name) throw new Error('empty field name');
      let sub: Selection | null = null;
      if (text[i] === '(') {
        i += 1;
        sub = parse();
        if (text[i] !== ')') throw new Error('unbalanced parentheses');
        i += 1;
      }
      out.set(name, sub);
      if (text[i] !== ',') return out;
      i += 1;
    }
  };
  const tree = parse();
  if (i !== text.length) throw new Error(`unexpected "${text[i]}"`);
  return tree;
}

/** Keeps the selected members of `value` (arrays item by item). */
export function select(value: unknown, fields: Selection | null): unknown {
  if (!fields || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => select(v, fields));
  const out: Record<string, unknown> = {};
  for (const [name, sub] of fields) if ((value as Record<string, unknown>)[name] !== undefined) out[name] = select((value as Record<string, unknown>)[name], sub);
  return out;
}
