// A long step's progress, end to end (ADR 0021): a real agent runs a bundle check (the bundle image
// built where the engine lacks it, then a throw-away gateway waited for), reporting its progress as
// heartbeat details sealed under the key it shares with the control plane; the job through the REST API
// (GET /api/v1/jobs/{id}, a personal API token, the web process reading Temporal) shows the current
// step's progress while it runs, and none once it ended. What Temporal stores of the heartbeat is
// ciphertext: a raw client sees no step name.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@temporalio/client';
import type { JobOutput } from '../../api/jobs/job-output.ts';
import { requestBundleCheck } from '../../api/system/bundle-check.ts';
import { createToken } from '../../api/tokens/service.ts';
import { KEY_ID_METADATA } from '../../infra/secrets/payload-codec.ts';
import { NODE_PAYLOAD_KEY_PREFIX } from '../../protocol/node-payload-key.ts';
import { startAgentStack, type AgentStack } from '../jest/agent-stack.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';

ownControlPlaneQueue(import.meta.url);

let stack: AgentStack;
let token: string;
let rawClient: Client;
let nodeId: string;

beforeAll(async () => {
  stack = await startAgentStack('step-progress');
  rawClient = stack.controlPlane.rawClient;
  ({ nodeId } = await stack.addNode({ name: 'progress-edge', organizationId: stack.w.acme.id, engine: 'step-progress' }));
  ({ token } = await createToken(stack.w.ctx(stack.w.actors.operator), { name: 'progress', scopes: ['read'] }));
}, 120_000);

afterAll(() => stack?.stop());

const readJob = async (id: string): Promise<JobOutput> => {
  const res = await fetch(`${stack.base}/api/v1/jobs/${id}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as JobOutput;
};

describe("a long step's progress", () => {
  it('shows through the API while the step runs, decoded by the web process from the agent’s sealed heartbeats, and is gone once the job ends', async () => {
    const job = await requestBundleCheck(stack.w.ctx(stack.w.actors.admin), nodeId);
    const seen: NonNullable<JobOutput['progress']>[] = [];
    const raw: { encoding: string; keyId: string; data: Buffer }[] = [];
    let last: JobOutput = job;
    // The image build (first run on this engine) takes about a minute; the gateway's wait a few seconds.
    const deadline = Date.now() + 600_000;
    while (Date.now() < deadline) {
      last = await readJob(job.id);
      if (last.state !== 'preflight' && last.state !== 'running') break;
      expect(last).toHaveProperty('progress'); // present (maybe null) while it runs
      if (last.progress) {
        seen.push(last.progress);
        const described = await rawClient.workflow.getHandle(job.workflowId).describe();
        for (const p of described.raw.pendingActivities ?? []) {
          const payload = p.heartbeatDetails?.payloads?.[0];
          if (!payload) continue;
          const meta = (k: string) => Buffer.from(payload.metadata?.[k] ?? []).toString('utf8');
          raw.push({ encoding: meta('encoding'), keyId: meta(KEY_ID_METADATA), data: Buffer.from(payload.data ?? []) });
        }
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(last.state).toBe('completed');
    expect(last.progress).toBeUndefined(); // an ended job asks Temporal nothing

    // What the agent reported, as the API shows it: typed, from the node, numbers within their total.
    expect(seen.length).toBeGreaterThan(0);
    for (const p of seen) {
      expect(p.where).toBe('node');
      expect(p.step).toMatch(/^(installing openclaw@|building the bundle image$|waiting for health$)/);
      if (p.total !== undefined) {
        expect(p.done ?? 0).toBeLessThanOrEqual(p.total);
        expect(p.fraction).toBeCloseTo((p.done ?? 0) / p.total, 5);
      } else expect(p.fraction).toBeNull();
    }
    // The gateway's wait: seconds gone of its 120 s, the check it waits for at each attempt.
    const waiting = seen.filter((p) => p.step === 'waiting for health');
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting[0]).toMatchObject({ unit: 'seconds', total: 120, message: expect.stringMatching(/^attempt \d+: the throw-away gateway to answer \/healthz$/) });
    expect(waiting.at(-1)!.reportedAt).toEqual(expect.any(String));

    // Temporal holds the heartbeat sealed under the agent's key: no step name in what it stores.
    expect(raw.length).toBeGreaterThan(0);
    for (const r of raw) {
      expect(r.encoding).toBe('binary/encrypted');
      expect(r.keyId.startsWith(NODE_PAYLOAD_KEY_PREFIX)).toBe(true);
      expect(r.data.includes('waiting for health')).toBe(false);
      expect(r.data.includes('bundle image')).toBe(false);
    }
  }, 660_000);
});
