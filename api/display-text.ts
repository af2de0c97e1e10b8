// Names and labels that people read: in the console, in lists, in the audit trail. A control character,
// a text-direction override ("invoice\u202Efdp.exe" shows as "invoiceexe.pdf") or an invisible character
// lets a name display as something it is not, or look the same as another one; such names are refused,
// naming the field and the character.
import { z } from 'zod';

// C0 and C1 controls (DEL included). Free text may keep line breaks and tabs; a name may not.
/* eslint-disable no-control-regex -- finding control characters is the point */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
const CONTROL_EXCEPT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/u;
/* eslint-enable no-control-regex */
// Embeddings, overrides and isolates, and the invisible direction marks.
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/u;
// Characters that show as nothing: zero-width space, word joiner and invisible operators, the BOM, the
// soft hyphen, the Mongolian vowel separator, line and paragraph separators, and tag characters (which
// can smuggle text past a reader).
const INVISIBLE = /[\u200b\u2060-\u2064\ufeff\u00ad\u180e\u2028\u2029\u{e0000}-\u{e007f}]/u;
// Zero-width (non-)joiners shape Indic and Persian script and emoji between two visible characters;
// at an edge, beside a space or doubled they only hide a difference.
const STRAY_JOINER = /(?:^|[\s\u200c\u200d])[\u200c\u200d]|[\u200c\u200d](?:$|\s)/u;

const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** Why `value` must not be shown as a name or label, or null when it may. */
export function displayTextProblem(value: string, opts: { lineBreaks?: boolean } = {}): string | null {
  if (!value.isWellFormed()) return 'contains invalid characters';
  const control = value.match(opts.lineBreaks ? CONTROL_EXCEPT_LINES : CONTROL);
  if (control) return `contains a control character (${codePoint(control[0])})`;
  const bidi = value.match(BIDI);
  if (bidi) return `contains a character that changes the text direction (${codePoint(bidi[0])})`;
  const invisible = value.match(INVISIBLE);
  if (invisible) return `contains an invisible character (${codePoint(invisible[0])})`;
  if (STRAY_JOINER.test(value)) return 'contains a zero-width joiner that is not between two letters';
  return null;
}

function refuseSpoofing(field: string, opts: { lineBreaks?: boolean }) {
  return (value: string, ctx: z.RefinementCtx) => {
    const problem = displayTextProblem(value, opts);
    if (problem) ctx.addIssue({ code: 'custom', message: `${field} ${problem}` });
  };
}

/** A required one-line name or label, trimmed, 1 to `max` characters. */
export function displayName(field: string, max: number) {
  return z
    .string(`${field} is required`)
    .trim()
    .min(1, `${field} is required`)
    .max(max, `${field} must be at most ${max} characters`)
    .superRefine(refuseSpoofing(field, {}))
    .describe('no control, text-direction or invisible characters');
}

/** Free text people read (notes, a reason): line breaks and tabs allowed, up to `max` characters. */
export function displayText(field: string, max: number, opts: { trim?: boolean } = {}) {
  const text = z.string(`${field} must be text`);
  return (opts.trim ? text.trim() : text)
    .max(max, `${field} must be at most ${max} characters`)
    .superRefine(refuseSpoofing(field, { lineBreaks: true }))
    .describe('no control characters other than line breaks and tabs, no text-direction or invisible characters');
}
