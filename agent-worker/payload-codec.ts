// The agent's Temporal payload codec (ADR 0016): what it sends back (results, progress, refusals) is
// encrypted under the key it shares with the control plane alone (protocol/node-payload-key.ts), so log
// lines and inventories are not stored in clear. It holds no organization's key: the input it receives
// (the signed envelope) comes plain, and anything encrypted for another key does not open here.
import type { PayloadCodec } from '@temporalio/common';
import { encryptionCodec, PayloadDecryptionError } from '../infra/secrets/payload-codec.ts';
import { agentPayloadKey } from '../protocol/node-payload-key.ts';

export function agentPayloadCodec(privateKey: string, controlPlanePublicKey: string): PayloadCodec {
  const own = agentPayloadKey(privateKey, controlPlanePublicKey);
  return encryptionCodec({
    forContext: async () => own,
    byId: async (id) => {
      if (id === own.id) return own.key;
      throw new PayloadDecryptionError(`a payload encrypted for key ${id.slice(0, 100)} reached this agent, which holds only the key it shares with the control plane`);
    },
  });
}
