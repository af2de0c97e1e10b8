// Whether the migrations added since the previous release only expand the schema (ADR 0028): the previous
// release must keep running on it, so no statement may remove or reshape what it reads and writes. Drizzle's
// files and hand-written ones alike are split into statements (comments, string literals and dollar-quoted
// bodies such as a trigger function's are not searched), and each is checked against the rules below. A
// deliberate contract step is let through by an entry of db/contract-steps.ts.
import { CONTRACT_STEPS, type ContractStep } from '../../db/contract-steps.ts';

export interface Statement {
  /** Comments removed, literals and dollar-quoted bodies emptied, identifiers unquoted, spacing collapsed. */
  text: string;
  /** The statement as written, trimmed (for the allow-list and the report). */
  raw: string;
  /** 1-based line of the statement's first character. */
  line: number;
}

export interface Offence {
  migration: string;
  line: number;
  rule: string;
  statement: string;
}

/** Splits SQL into statements at top-level semicolons, with each one's line. */
export function statementsOf(sql: string): Statement[] {
  const statements: Statement[] = [];
  let text = '';
  let raw = '';
  let line = 1;
  let startLine: number | undefined;
  const push = () => {
    const clean = text.replace(/\s+/g, ' ').trim();
    if (clean) statements.push({ text: clean, raw: raw.trim(), line: startLine! });
    text = '';
    raw = '';
    startLine = undefined;
  };
  for (let i = 0; i < sql.length;) {
    const rest = sql.slice(i);
    const take = (n: number, kept: string) => {
      const piece = sql.slice(i, i + n);
      if (startLine === undefined && /\S/.test(kept)) startLine = line;
      raw += piece;
      text += kept;
      line += (piece.match(/\n/g) ?? []).length;
      i += n;
    };
    if (rest.startsWith('--')) {
      const end = rest.indexOf('\n');
      const n = end === -1 ? rest.length : end;
      // Comments are neither searched nor kept in the statement as written.
      i += n;
      continue;
    }
    if (rest.startsWith('/*')) {
      const end = rest.indexOf('*/', 2);
      const piece = end === -1 ? rest : rest.slice(0, end + 2);
      line += (piece.match(/\n/g) ?? []).length;
      i += piece.length;
      text += ' ';
      continue;
    }
    const dollar = /^\$([A-Za-z_]\w*)?\$/.exec(rest);
    if (dollar) {
      const end = rest.indexOf(dollar[0], dollar[0].length);
      const n = end === -1 ? rest.length : end + dollar[0].length;
      take(n, " '' ");
      continue;
    }
    if (rest[0] === "'") {
      let n = 1;
      while (n < rest.length && !(rest[n] === "'" && rest[n + 1] !== "'")) n += rest[n] === "'" ? 2 : 1;
      take(n + 1, " '' ");
      continue;
    }
    if (rest[0] === '"') {
      const end = rest.indexOf('"', 1);
      const n = end === -1 ? rest.length : end + 1;
      take(n, sql.slice(i + 1, i + n - 1));
      continue;
    }
    if (rest[0] === ';') {
      i += 1;
      push();
      continue;
    }
    take(1, rest[0]!);
  }
  push();
  return statements;
}

/** Splits an ALTER TABLE's actions at top-level commas. */
function actionsOf(body: string): string[] {
  const actions: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of body) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      actions.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) actions.push(current.trim());
  return actions;
}

const NAME = String.raw`([\w.]+)`;

/** The tables a statement creates (so that later statements on them do not touch an existing table). */
export function createdTable(s: Statement): string | undefined {
  return new RegExp(String.raw`^create (?:unlogged )?table (?:if not exists )?${NAME}`, 'i').exec(s.text)?.[1]?.toLowerCase();
}

/** What is wrong with one statement for the previous release, or nothing. `newTables`: created since the tag. */
export function contractRules(s: Statement, newTables: ReadonlySet<string>): string[] {
  const t = s.text;
  const dropped = /^drop (table|view|materialized view|type|schema|sequence|domain) (?:if exists )?([\w., ]+?)(?: cascade| restrict)?$/i.exec(t);
  if (dropped) {
    const kind = dropped[1]!.toLowerCase();
    const names = dropped[2]!.split(',').map((n) => n.trim().toLowerCase());
    if (kind === 'table' && names.every((n) => newTables.has(n))) return [];
    return [`drops ${kind} ${names.join(', ')}: the previous release still uses it`];
  }
  const alterType = /^alter type ([\w.]+) (rename .*)$/i.exec(t);
  if (alterType) return [`renames in type ${alterType[1]}: the previous release uses the old name`];
  const alter = /^alter table (?:if exists )?(?:only )?([\w.]+) (.*)$/i.exec(t);
  if (!alter) return [];
  const table = alter[1]!.toLowerCase();
  if (newTables.has(table)) return [];
  const problems: string[] = [];
  for (const action of actionsOf(alter[2]!)) {
    const a = action.replace(/\s+/g, ' ');
    let m: RegExpExecArray | null;
    if ((m = /^drop (?:column )?(?:if exists )?(\w+)(?: cascade| restrict)?$/i.exec(a)) && !/^drop (constraint|default)/i.test(a)) {
      problems.push(`drops column ${table}.${m[1]}: the previous release still reads or writes it`);
    } else if ((m = /^rename (?:column )?(\w+) to (\w+)$/i.exec(a)) && !/^rename constraint/i.test(a)) {
      problems.push(`renames column ${table}.${m[1]} to ${m[2]}: the previous release uses the old name`);
    } else if ((m = /^rename to (\w+)$/i.exec(a))) {
      problems.push(`renames table ${table} to ${m[1]}: the previous release uses the old name`);
    } else if ((m = /^alter (?:column )?(\w+) (?:set data )?type /i.exec(a))) {
      problems.push(`changes the type of ${table}.${m[1]}: the previous release reads and writes the old type`);
    } else if ((m = /^alter (?:column )?(\w+) set not null$/i.exec(a))) {
      problems.push(`makes ${table}.${m[1]} NOT NULL: the previous release inserts rows without it`);
    } else if ((m = /^alter (?:column )?(\w+) drop default$/i.exec(a))) {
      problems.push(`drops the default of ${table}.${m[1]}: the previous release inserts rows relying on it`);
    } else if ((m = /^add (?:column )?(?:if not exists )?(\w+) (.*)$/i.exec(a)) && !/^add (constraint|primary key|unique|check|foreign key)/i.test(a)) {
      const definition = m[2]!;
      if (/\bnot null\b/i.test(definition) && !/\b(default|generated)\b/i.test(definition) && !/^(big|small)?serial\b/i.test(definition)) {
        problems.push(`adds ${table}.${m[1]} NOT NULL without a default: the previous release inserts rows without it`);
      }
    }
  }
  return problems;
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();

function allowed(migration: string, s: Statement, steps: readonly ContractStep[]): boolean {
  return steps.some((step) => step.migration === migration && squash(s.raw).includes(squash(step.statement)));
}

/**
 * The offences of `migrations` (file name and SQL, oldest first: those added since the previous release),
 * each with its file and line; entries of `steps` (db/contract-steps.ts) let a deliberate contract through.
 */
export function expandOnlyOffences(migrations: { name: string; sql: string }[], steps: readonly ContractStep[] = CONTRACT_STEPS): Offence[] {
  const newTables = new Set<string>();
  const offences: Offence[] = [];
  for (const { name, sql } of migrations) {
    for (const s of statementsOf(sql)) {
      const created = createdTable(s);
      if (created) newTables.add(created);
      if (allowed(name, s, steps)) continue;
      for (const rule of contractRules(s, newTables)) offences.push({ migration: name, line: s.line, rule, statement: s.raw.split('\n')[0]!.slice(0, 160) });
    }
  }
  return offences;
}
