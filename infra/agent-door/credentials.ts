// Who is calling the agent door: the bearer credential an agent got at enrollment, found by its SHA-256
// on the node row. A verdict is reused for at most a second, and dropped as soon as the door hears of a
// revocation or a re-enrollment (closing.ts); the door re-checks the callers of its calls in flight as often.
import { eq, inArray } from 'drizzle-orm';
import { hashToken } from '../../api/auth/token-hash.ts';
import type { Db } from '../../db/client.ts';
import { nodes } from '../../db/schema.ts';

export const CREDENTIAL_CACHE_MS = 1000;
/** Verdicts kept at most; beyond it the expired ones go (a flood of made-up credentials cannot grow it). */
const CACHE_LIMIT = 10_000;
/** Credentials looked up in one query by verifyAll. */
const LOOKUP_BATCH = 1000;

export interface DoorAgent {
  nodeId: string;
  nodeName: string;
  organizationId: string;
}

export type CredentialVerdict = { ok: true; agent: DoorAgent } | { ok: false; refusal: 'missing' | 'unknown' | 'revoked'; agent?: DoorAgent };

export const REFUSALS: Record<Exclude<CredentialVerdict, { ok: true }>['refusal'], string> = {
  missing: "the agent door needs the agent's credential (authorization: Bearer …, from enrollment)",
  unknown: 'the agent door does not know this credential: enroll the agent again with a new token',
  revoked: 'this node was revoked: its agent may not reach Temporal; enroll it again with a new token',
};

/** The bearer token of an `authorization` metadata value, if it is one. */
export function bearerOf(authorization: unknown): string | undefined {
  if (typeof authorization !== 'string') return undefined;
  const match = /^Bearer\s+(\S{1,200})$/i.exec(authorization.trim());
  return match?.[1];
}

function verdictOf(row: { id: string; name: string; organizationId: string; revokedAt: Date | null }): CredentialVerdict {
  const agent = { nodeId: row.id, nodeName: row.name, organizationId: row.organizationId };
  return row.revokedAt ? { ok: false, refusal: 'revoked', agent } : { ok: true, agent };
}

export class CredentialCheck {
  private readonly cache = new Map<string, { at: number; verdict: Promise<CredentialVerdict> }>();

  private readonly db: Db;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(db: Db, ttlMs = CREDENTIAL_CACHE_MS, now = Date.now) {
    this.db = db;
    this.ttlMs = ttlMs;
    this.now = now;
  }

  /** Drops every verdict it would reuse (a node's credential changed or was revoked). */
  forgetAll(): void {
    this.cache.clear();
  }

  verify(credential: string | undefined): Promise<CredentialVerdict> {
    if (!credential) return Promise.resolve({ ok: false, refusal: 'missing' });
    const hash = hashToken(credential);
    const cached = this.cache.get(hash);
    if (cached && this.now() - cached.at < this.ttlMs) return cached.verdict;
    const verdict = this.lookUp(hash);
    this.remember(hash, verdict);
    return verdict;
  }

  /**
   * The verdicts of many credentials, those it would not reuse looked up together: the door's sweep of its
   * long polls holds one per polling agent, and one query a sweep keeps a thousand agents from costing a
   * thousand queries a second (docs/benchmarks/agents.md).
   */
  verifyAll(credentials: string[]): Map<string, Promise<CredentialVerdict>> {
    const out = new Map<string, Promise<CredentialVerdict>>();
    const toLookUp = new Map<string, string[]>();
    for (const credential of new Set(credentials)) {
      const hash = hashToken(credential);
      const cached = this.cache.get(hash);
      if (cached && this.now() - cached.at < this.ttlMs) out.set(credential, cached.verdict);
      else toLookUp.set(hash, [...(toLookUp.get(hash) ?? []), credential]);
    }
    const hashes = [...toLookUp.keys()];
    for (let i = 0; i < hashes.length; i += LOOKUP_BATCH) {
      const batch = hashes.slice(i, i + LOOKUP_BATCH);
      const found = this.lookUpMany(batch);
      for (const hash of batch) {
        const verdict = found.then((rows) => rows.get(hash) ?? { ok: false as const, refusal: 'unknown' as const });
        this.remember(hash, verdict);
        for (const credential of toLookUp.get(hash)!) out.set(credential, verdict);
      }
    }
    return out;
  }

  private async lookUpMany(hashes: string[]): Promise<Map<string, CredentialVerdict>> {
    const rows = await this.db
      .select({ hash: nodes.agentCredentialHash, id: nodes.id, name: nodes.name, organizationId: nodes.organizationId, revokedAt: nodes.revokedAt })
      .from(nodes)
      .where(inArray(nodes.agentCredentialHash, hashes));
    return new Map(rows.map((row) => [row.hash!, verdictOf(row)]));
  }

  private async lookUp(hash: string): Promise<CredentialVerdict> {
    const [row] = await this.db
      .select({ id: nodes.id, name: nodes.name, organizationId: nodes.organizationId, revokedAt: nodes.revokedAt })
      .from(nodes)
      .where(eq(nodes.agentCredentialHash, hash))
      .limit(1);
    return row ? verdictOf(row) : { ok: false, refusal: 'unknown' };
  }

  private remember(hash: string, verdict: Promise<CredentialVerdict>): void {
    const at = this.now();
    if (this.cache.size >= CACHE_LIMIT) {
      for (const [key, entry] of this.cache) if (at - entry.at >= this.ttlMs) this.cache.delete(key);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    }
    this.cache.set(hash, { at, verdict });
    // A failed lookup (the database away) is not remembered: the next call asks again.
    verdict.catch(() => {
      if (this.cache.get(hash)?.verdict === verdict) this.cache.delete(hash);
    });
  }
}
