// The Temporal payload codec with its real keys (per-organization data keys in a real database): what it
// stores, that only the right key opens it, that each organization's payloads have their own key, that a
// KEK rotation leaves them readable, and which payloads stay plain on purpose.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import type { Payload, SerializationContext } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { nodeMonitorId } from '../../api/agents/heartbeat.ts';
import { nodes, organizationDataKeys } from '../../db/schema.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { failure, seedTenants, type Tenants } from '../../tests/jest/tenants.ts';
import { nodeJobActivityId } from '../../workflows/task-queues.ts';
import { generateSecretsKey } from '../secret-box.ts';
import { temporalPayloadCodec } from '../temporal-codec.ts';
import { anyDataKeyById } from './data-keys.ts';
import { localKek } from './kek.ts';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA, PayloadDecryptionError } from './payload-codec.ts';
import { rewrapDataKeys } from './rotate.ts';
import { derivePayloadKey } from './temporal-keys.ts';

let t: TestDatabase;
let w: Tenants;
let acmeNode: string;
let globexNode: string;
const kek = localKek(generateSecretsKey());
const CANARY = `canary-${crypto.randomUUID()}`;

const codec = () => temporalPayloadCodec({ db: () => t.db, kek: () => kek });
const payload = (value: unknown) => defaultPayloadConverter.toPayload(value);
const valueOf = (p: Payload | undefined) => defaultPayloadConverter.fromPayload(p!);
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');
const ofWorkflow = (workflowId: string): SerializationContext => ({ type: 'workflow', namespace: 'default', workflowId });
const keyIdOf = (p: Payload) => text(p.metadata?.[KEY_ID_METADATA]);
const dataKeyIdOf = async (organizationId: string) => (await t.db.select().from(organizationDataKeys).where(eq(organizationDataKeys.organizationId, organizationId)))[0]?.id;
const refusal = async (p: Promise<unknown>) => (await failure(p)) as Error;

beforeAll(async () => {
  t = await freshDatabase();
  w = await seedTenants(t.db);
  const made = await t.db
    .insert(nodes)
    .values([
      { organizationId: w.acme.id, name: 'acme-box' },
      { organizationId: w.globex.id, name: 'globex-box' },
    ])
    .returning();
  acmeNode = made[0]!.id;
  globexNode = made[1]!.id;
});
afterAll(() => t.close());

describe('the Temporal payload codec', () => {
  it('stores a payload as AES-256-GCM under its organization’s key, the key id in the metadata, and decodes it back', async () => {
    const [sealed] = await codec().encode([payload({ note: CANARY })], ofWorkflow(nodeMonitorId(acmeNode)));
    expect(text(sealed!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(keyIdOf(sealed!)).toBe(await dataKeyIdOf(w.acme.id));
    // Neither the value nor its encoding shows.
    expect(Buffer.from(sealed!.data!).includes(CANARY)).toBe(false);
    expect(Buffer.from(sealed!.data!).includes('json/plain')).toBe(false);
    // Decoding needs no context: the key id says which key (Temporal Web's codec server has none).
    const [opened] = await codec().decode([sealed!]);
    expect(text(opened!.metadata!.encoding)).toBe('json/plain');
    expect(valueOf(opened)).toEqual({ note: CANARY });
  });

  it('gives each organization its own key, derived apart from the data key that seals its secrets', async () => {
    const [acme] = await codec().encode([payload(CANARY)], ofWorkflow(nodeMonitorId(acmeNode)));
    const [globex] = await codec().encode([payload(CANARY)], ofWorkflow(nodeMonitorId(globexNode)));
    expect(keyIdOf(globex!)).toBe(await dataKeyIdOf(w.globex.id));
    expect(keyIdOf(globex!)).not.toBe(keyIdOf(acme!));
    const dataKey = (await anyDataKeyById(t.db, kek, keyIdOf(acme!)))!;
    expect(Buffer.from(derivePayloadKey(dataKey)).equals(Buffer.from(dataKey.key))).toBe(false);
    // Globex's ciphertext labelled with Acme's key id does not open.
    const swapped = { ...globex!, metadata: { ...globex!.metadata, [KEY_ID_METADATA]: acme!.metadata![KEY_ID_METADATA]! } };
    const err = await refusal(codec().decode([swapped]));
    expect(err).toBeInstanceOf(PayloadDecryptionError);
    expect(err.message).toBe(`an encrypted Temporal payload does not open with key ${keyIdOf(acme!)} (it was altered, or its key id was changed)`);
  });

  it('uses the MSP’s own key for a run no job or node owns, and for a payload without a context', async () => {
    const [rogue] = await codec().encode([payload(1)], ofWorkflow(`rogue-${crypto.randomUUID()}`));
    const [none] = await codec().encode([payload(1)]);
    const msp = await dataKeyIdOf(w.msp.id);
    expect(msp).toBeDefined();
    expect(keyIdOf(rogue!)).toBe(msp);
    expect(keyIdOf(none!)).toBe(msp);
  });

  it('refuses a tampered ciphertext, an unknown key id and a key id that is not ours, each saying so', async () => {
    const [sealed] = await codec().encode([payload(CANARY)], ofWorkflow(nodeMonitorId(acmeNode)));
    const data = Buffer.from(sealed!.data!);
    data[20] = data[20]! ^ 1;
    const tampered = await refusal(codec().decode([{ ...sealed!, data: new Uint8Array(data) }]));
    expect(tampered).toBeInstanceOf(PayloadDecryptionError);
    expect(tampered.message).toMatch(/does not open with key .* \(it was altered/);
    const unknownId = crypto.randomUUID();
    const unknown = await refusal(codec().decode([{ ...sealed!, metadata: { ...sealed!.metadata, [KEY_ID_METADATA]: new TextEncoder().encode(unknownId) } }]));
    expect(unknown.message).toBe(`no key ${unknownId} is stored here: the Temporal payload was encrypted by another installation, or its key was deleted`);
    const foreign = await refusal(codec().decode([{ ...sealed!, metadata: { ...sealed!.metadata, [KEY_ID_METADATA]: new TextEncoder().encode('kms:other') } }]));
    expect(foreign.message).toBe('the key id "kms:other" of an encrypted Temporal payload is not one of ours');
    const short = await refusal(codec().decode([{ ...sealed!, data: new Uint8Array(8) }]));
    expect(short.message).toMatch(/is too short to be one$/);
  });

  it('keeps payloads readable across a KEK rotation (the key id and the derived key stay)', async () => {
    const [sealed] = await codec().encode([payload(CANARY)], ofWorkflow(nodeMonitorId(globexNode)));
    const newKek = localKek(generateSecretsKey());
    await rewrapDataKeys(t.db, kek, newKek);
    const afterRotation = temporalPayloadCodec({ db: () => t.db, kek: () => newKek });
    expect(valueOf((await afterRotation.decode([sealed!]))[0])).toBe(CANARY);
    // A process of the new KEK writes under the same key id.
    expect(keyIdOf((await afterRotation.encode([payload(1)], ofWorkflow(nodeMonitorId(globexNode))))[0]!)).toBe(keyIdOf(sealed!));
  });

  it("leaves a node agent's activity input plain (the agent has no key) and passes plain payloads through decoding", async () => {
    const envelope = payload({ action: 'inventory.list' });
    const context: SerializationContext = {
      type: 'activity',
      namespace: 'default',
      workflowId: nodeMonitorId(acmeNode),
      activityId: nodeJobActivityId(crypto.randomUUID()),
      isLocal: false,
    };
    expect(await codec().encode([envelope], context)).toEqual([envelope]);
    // Any other activity of the run is encrypted.
    const [other] = await codec().encode([envelope], { ...context, activityId: '3' });
    expect(text(other!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(await codec().decode([envelope])).toEqual([envelope]);
  });
});
