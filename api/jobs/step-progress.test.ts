// Reading a step's progress from a run's pending activities as the console does: the agent's heartbeat
// details, sealed by the agent's own codec, opened by the control plane's codec from the key id alone,
// then kept only as far as the untrusted-text rules allow; the newest report wins.
import { describe, expect, it } from '@jest/globals';
import proto from '@temporalio/proto';
import { defaultFailureConverter, defaultPayloadConverter, type LoadedDataConverter } from '@temporalio/common';
import { agentPayloadCodec } from '../../agent-worker/payload-codec.ts';
import { encryptionCodec, PayloadDecryptionError } from '../../infra/secrets/payload-codec.ts';
import { withAgentPayloadKeys } from '../../infra/secrets/temporal-keys.ts';
import { generateKeyPair } from '../../protocol/envelope.ts';
import { progressOfPending } from './step-progress.ts';

const controlPlane = generateKeyPair();
const agent = generateKeyPair();
const noOrganizationKeys = {
  forContext: () => Promise.reject(new Error('not used')),
  byId: (id: string) => Promise.reject(new PayloadDecryptionError(`no organization key ${id}`)),
};
const consoleConverter = (privateKey: string): LoadedDataConverter => ({
  payloadConverter: defaultPayloadConverter,
  failureConverter: defaultFailureConverter,
  payloadCodecs: [encryptionCodec(withAgentPayloadKeys(noOrganizationKeys, () => privateKey))],
});
const sealed = async (details: unknown) => ({
  payloads: await agentPayloadCodec(agent.privateKey, controlPlane.publicKey).encode([defaultPayloadConverter.toPayload(details)]),
});
// A timestamp as the description carries it (protobuf's Long seconds).
const at = (seconds: number) => proto.google.protobuf.Timestamp.fromObject({ seconds, nanos: 0 });

describe('progressOfPending', () => {
  it('opens an agent’s sealed heartbeat details and shows the newest report, clamped', async () => {
    const pending = [
      { activityType: { name: 'runNodeJob' }, lastHeartbeatTime: at(1_800_000_000), heartbeatDetails: await sealed({ step: 'older', done: 1, total: 2 }) },
      {
        activityType: { name: 'runNodeJob' },
        lastHeartbeatTime: at(1_800_000_010),
        heartbeatDetails: await sealed({ step: 'waiting for health', message: 'attempt 3: /healthz answered', done: 400, total: 120, unit: 'seconds' }),
      },
    ];
    expect(await progressOfPending(consoleConverter(controlPlane.privateKey), pending)).toEqual({
      step: 'waiting for health',
      message: 'attempt 3: /healthz answered',
      done: 120,
      total: 120,
      unit: 'seconds',
      fraction: 1,
      where: 'node',
      reportedAt: new Date(1_800_000_010_000).toISOString(),
    });
  });

  it('passes over details that are no progress, or that this process cannot open', async () => {
    const plain = { payloads: [defaultPayloadConverter.toPayload({ step: 'listing Drive files', done: 20, unit: 'files' })] };
    const pending = [
      // A workflow run's wait for its instance step heartbeats the step's state: not progress.
      { activityType: { name: 'awaitJobEnd' }, lastHeartbeatTime: at(30), heartbeatDetails: { payloads: [defaultPayloadConverter.toPayload({ state: 'running' })] } },
      { activityType: { name: 'runNodeJob' }, lastHeartbeatTime: at(20), heartbeatDetails: await sealed({ step: 'sealed for another control plane' }) },
      { activityType: { name: 'runConnectionStep' }, lastHeartbeatTime: at(10), heartbeatDetails: plain },
      { activityType: { name: 'runNodeJob' } },
    ];
    // Another control plane's key opens nothing of this agent's.
    const progress = await progressOfPending(consoleConverter(generateKeyPair().privateKey), pending);
    expect(progress).toEqual({ step: 'listing Drive files', done: 20, unit: 'files', fraction: null, where: 'control plane', reportedAt: new Date(10_000).toISOString() });
    expect(await progressOfPending(consoleConverter(controlPlane.privateKey), [])).toBeNull();
  });
});
