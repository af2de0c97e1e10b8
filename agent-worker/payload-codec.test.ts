// The key an agent shares with the control plane without sending it, and the two codecs that use it: the
// agent's (it encrypts what it sends back) and the control plane's (it opens those by the key id alone).
import { describe, expect, it } from '@jest/globals';
import { defaultPayloadConverter } from '@temporalio/common';
import { agentPayloadCodec } from './payload-codec.ts';
import { encryptionCodec, KEY_ID_METADATA, PayloadDecryptionError } from '../infra/secrets/payload-codec.ts';
import { withAgentPayloadKeys } from '../infra/secrets/temporal-keys.ts';
import { generateKeyPair, keyFingerprint } from '../protocol/envelope.ts';
import { agentPayloadKey, controlPlanePayloadKey, parseNodePayloadKeyId } from '../protocol/node-payload-key.ts';

const controlPlane = generateKeyPair();
const agent = generateKeyPair();
const noOrganizationKeys = {
  forContext: () => Promise.reject(new Error('not used')),
  byId: (id: string) => Promise.reject(new PayloadDecryptionError(`no organization key ${id}`)),
};
const controlPlaneCodec = (privateKey: string) => encryptionCodec(withAgentPayloadKeys(noOrganizationKeys, () => privateKey));

describe("an agent's payload key", () => {
  it('is the same on both sides, named by the agent’s public key and the control plane key’s fingerprint', () => {
    const mine = agentPayloadKey(agent.privateKey, controlPlane.publicKey);
    const named = parseNodePayloadKeyId(mine.id)!;
    expect(named.controlPlaneKey).toBe(keyFingerprint(controlPlane.publicKey));
    expect(keyFingerprint(named.agentPublicKey)).toBe(keyFingerprint(agent.publicKey));
    const theirs = controlPlanePayloadKey(controlPlane.privateKey, named.agentPublicKey);
    expect(theirs.id).toBe(mine.id);
    expect(Buffer.from(theirs.key).equals(Buffer.from(mine.key))).toBe(true);
  });

  it('differs for another agent and for another control-plane key', () => {
    const mine = agentPayloadKey(agent.privateKey, controlPlane.publicKey).key;
    expect(Buffer.from(agentPayloadKey(generateKeyPair().privateKey, controlPlane.publicKey).key).equals(Buffer.from(mine))).toBe(false);
    expect(Buffer.from(agentPayloadKey(agent.privateKey, generateKeyPair().publicKey).key).equals(Buffer.from(mine))).toBe(false);
    expect(parseNodePayloadKeyId('agent.short.0123456789abcdef')).toBeUndefined();
    expect(parseNodePayloadKeyId('4b1e0c1e-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it("is what the agent's codec encrypts with and the control plane's codec opens; another control plane's does not", async () => {
    const [sealed] = await agentPayloadCodec(agent.privateKey, controlPlane.publicKey).encode([defaultPayloadConverter.toPayload({ lines: ['customer log line'] })]);
    expect(Buffer.from(sealed!.data!).includes('customer log line')).toBe(false);
    const [opened] = await controlPlaneCodec(controlPlane.privateKey).decode([sealed!]);
    expect(defaultPayloadConverter.fromPayload(opened!)).toEqual({ lines: ['customer log line'] });

    const other = generateKeyPair();
    const err = (await controlPlaneCodec(other.privateKey)
      .decode([sealed!])
      .catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(PayloadDecryptionError);
    expect(err.message).toBe(
      `an agent encrypted the Temporal payload for the control-plane key ${keyFingerprint(controlPlane.publicKey)}, not this one (${keyFingerprint(other.publicKey)})`,
    );
    // The agent opens only its own key's payloads.
    const foreign = { ...sealed!, metadata: { ...sealed!.metadata, [KEY_ID_METADATA]: new TextEncoder().encode('4b1e0c1e-0000-4000-8000-000000000000') } };
    await expect(agentPayloadCodec(agent.privateKey, controlPlane.publicKey).decode([foreign])).rejects.toThrow(/reached this agent, which holds only the key it shares/);
  });
});
