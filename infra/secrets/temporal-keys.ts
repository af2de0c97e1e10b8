// Each organization's Temporal-data key: derived (HKDF-SHA256) from the organization's data key, which the
// KEK wraps (infra/secrets/data-keys.ts), with a label of its own, so it seals nothing but Temporal
// payloads and opens no connection's secrets. Its id in a payload is the data key's id: a KEK rotation
// re-wraps the data key and leaves the id and the derived key as they were, so every stored payload still
// opens; a later re-key of an organization (a second data key) names a new id, and the old row opens the
// payloads written before it (ADR 0016).
import crypto from 'node:crypto';
import type { SerializationContext } from '@temporalio/common';
import { controlPlanePayloadKey, NODE_PAYLOAD_KEY_PREFIX, parseNodePayloadKeyId } from '../../protocol/node-payload-key.ts';
import { keyFingerprint, publicKeyOf, type Key } from '../../protocol/envelope.ts';
import { isUuid } from '../../api/ids.ts';
import type { Db } from '../../db/client.ts';
import { anyDataKeyById, dataKeyFor, type DataKey } from './data-keys.ts';
import type { KeyEncryptionKey } from './kek.ts';
import { PayloadDecryptionError, type PayloadKey, type PayloadKeySource } from './payload-codec.ts';

/** The label of the derivation: bound to the organization and the data key it comes from. */
const info = (dataKey: Pick<DataKey, 'id' | 'organizationId'>) => `aw-temporal-payloads|${dataKey.organizationId}|${dataKey.id}`;

export const derivePayloadKey = (dataKey: DataKey): Uint8Array => new Uint8Array(crypto.hkdfSync('sha256', dataKey.key, new Uint8Array(0), info(dataKey), 32));

export interface OrganizationKeyDeps {
  db: () => Db;
  kek: () => KeyEncryptionKey;
  /** The organization whose data a run carries (api/jobs/workflow-organization.ts). */
  organizationOf: (db: Db, workflowId: string) => Promise<string | undefined>;
  /** Whose key encrypts what no organization owns (a run of no job, a payload without a context). */
  fallbackOrganization: (db: Db) => Promise<string>;
}

/** Payload keys per organization, from Postgres; the derived keys are cached by data key id. */
export function organizationPayloadKeys(deps: OrganizationKeyDeps): PayloadKeySource {
  const derived = new Map<string, Uint8Array>();
  const byOrganization = new Map<string, PayloadKey>();
  const remember = (dataKey: DataKey) => {
    const key = derivePayloadKey(dataKey);
    derived.set(dataKey.id, key);
    return key;
  };
  return {
    async forContext(context: SerializationContext | undefined) {
      const db = deps.db();
      const organizationId = (context?.workflowId && (await deps.organizationOf(db, context.workflowId))) || (await deps.fallbackOrganization(db));
      const hit = byOrganization.get(organizationId);
      if (hit) return hit;
      const dataKey = await dataKeyFor(db, deps.kek(), organizationId);
      const made = { id: dataKey.id, key: derived.get(dataKey.id) ?? remember(dataKey) };
      byOrganization.set(organizationId, made);
      return made;
    },
    async byId(id: string) {
      const hit = derived.get(id);
      if (hit) return hit;
      if (!isUuid(id)) throw new PayloadDecryptionError(`the key id ${JSON.stringify(String(id).slice(0, 64))} of an encrypted Temporal payload is not one of ours`);
      let dataKey: DataKey | undefined;
      try {
        dataKey = await anyDataKeyById(deps.db(), deps.kek(), id);
      } catch (err) {
        throw new PayloadDecryptionError(`the key ${id} of an encrypted Temporal payload cannot be opened: ${(err as Error).message}`);
      }
      if (!dataKey) throw new PayloadDecryptionError(`no key ${id} is stored here: the Temporal payload was encrypted by another installation, or its key was deleted`);
      return remember(dataKey);
    },
  };
}

/**
 * The same keys, plus those node agents encrypt their payloads with (protocol/node-payload-key.ts): an
 * `agent.…` key id is opened with the control plane's own private key and the agent's public key it names.
 */
export function withAgentPayloadKeys(keys: PayloadKeySource, controlPlaneKey: () => Key): PayloadKeySource {
  const cache = new Map<string, Uint8Array>();
  return {
    forContext: (context) => keys.forContext(context),
    async byId(id) {
      if (!id.startsWith(NODE_PAYLOAD_KEY_PREFIX)) return keys.byId(id);
      const hit = cache.get(id);
      if (hit) return hit;
      const named = parseNodePayloadKeyId(id);
      if (!named) throw new PayloadDecryptionError(`the key id ${JSON.stringify(id.slice(0, 100))} of an encrypted Temporal payload is not an agent's`);
      const own = controlPlaneKey();
      const ours = keyFingerprint(publicKeyOf(own));
      if (named.controlPlaneKey !== ours)
        throw new PayloadDecryptionError(`an agent encrypted the Temporal payload for the control-plane key ${named.controlPlaneKey}, not this one (${ours})`);
      const { key } = controlPlanePayloadKey(own, named.agentPublicKey);
      cache.set(id, key);
      return key;
    },
  };
}
