// Secret redaction shared by logs and audit events: a value is hidden when its key looks secret, or when
// the value itself looks like a credential (bearer strings, private keys, our session tokens).
const SECRET_KEY = /(pass(word|wd)?|secret|token|api[-_]?key|private[-_]?key|authorization|cookie|credential|session)/i;
const SECRET_VALUE: RegExp[] = [
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /\b(postgres(ql)?|mysql|https?):\/\/[^\s:@/]+:[^\s@/]+@/gi,
  // One-time tokens that travel in paths: invitation links.
  /\/invite\/[A-Za-z0-9_-]{16,}/g,
];
export const REDACTED = '[REDACTED]';

export function redactString(value: string): string {
  let out = value;
  for (const pattern of SECRET_VALUE) {
    out = out.replace(pattern, (match) => {
      if (match.startsWith('/invite/')) return `/invite/${REDACTED}`;
      return match.includes('://') ? match.replace(/:[^:@/]+@$/, `:${REDACTED}@`) : REDACTED;
    });
  }
  return out;
}

export function redact<T>(value: T, depth = 0): T {
  if (depth > 20) return REDACTED as T;
  if (typeof value === 'string') return redactString(value) as T;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1)) as T;
  // Errors are left whole for the logger's error serializer (infra/logger.ts), which redacts them.
  if (value && typeof value === 'object' && !(value instanceof Date) && !(value instanceof Error)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined && typeof v !== 'boolean' ? REDACTED : redact(v, depth + 1);
    }
    return out as T;
  }
  return value;
}
