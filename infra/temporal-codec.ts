// The data converter of every Temporal client and worker of ours (web, control-plane worker, tests'
// clients): the default payload converter, then the encryption codec with per-organization keys
// (infra/secrets/, ADR 0016). Node agents hold no organization's key: the activities they run take their
// input plain (the signed envelope), and their results come encrypted under the key each agent shares
// with the control plane (protocol/node-payload-key.ts), which this codec opens too.
import type { DataConverter, SerializationContext } from '@temporalio/common';
import { organizationOfWorkflow } from '../api/jobs/workflow-organization.ts';
import type { Db } from '../db/client.ts';
import { ensureMspOrganization } from '../db/users.ts';
import type { Key } from '../protocol/envelope.ts';
import { NODE_JOB_ACTIVITY_PREFIX } from '../workflows/task-queues.ts';
import { controlPlaneSigningKey } from './control-plane-key.ts';
import { configuredKek, type KeyEncryptionKey } from './secrets/kek.ts';
import { encryptionCodec } from './secrets/payload-codec.ts';
import { organizationPayloadKeys, withAgentPayloadKeys } from './secrets/temporal-keys.ts';

/** A node step's activity input: the agent, holding no organization's key, must read it. */
export const isNodeJobActivity = (context: SerializationContext | undefined) => context?.type === 'activity' && Boolean(context.activityId?.startsWith(NODE_JOB_ACTIVITY_PREFIX));

/** The codec, its keys from `db` (read at each use, so a test file's own database is the one used). */
export function temporalPayloadCodec(deps: { db: () => Db; kek?: () => KeyEncryptionKey; controlPlaneKey?: () => Key }) {
  let mspOrganization: Promise<string> | undefined;
  const msp = (db: Db) =>
    (mspOrganization ??= ensureMspOrganization(db).then(
      (o) => o.id,
      (err: unknown) => {
        mspOrganization = undefined;
        throw err;
      },
    ));
  const keys = organizationPayloadKeys({
    db: deps.db,
    kek: deps.kek ?? (() => configuredKek()),
    organizationOf: organizationOfWorkflow,
    // What no organization owns is the MSP's own ("shared infrastructure"): a run of no job, such as a rogue client's.
    fallbackOrganization: msp,
  });
  // What node agents send back is encrypted under the key each shares with the control plane.
  return encryptionCodec(withAgentPayloadKeys(keys, deps.controlPlaneKey ?? (() => controlPlaneSigningKey())), isNodeJobActivity);
}

export const temporalDataConverter = (deps: Parameters<typeof temporalPayloadCodec>[0]): DataConverter => ({ payloadCodecs: [temporalPayloadCodec(deps)] });
