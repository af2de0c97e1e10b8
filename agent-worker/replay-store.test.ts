// The agent's replay store: executed envelopes are remembered durably, so a replay is refused after a restart.
import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPair, signJob, verifyJob } from '../protocol/envelope.ts';
import { ReplayStore, ReplayStoreError, REPLAY_FILE } from './replay-store.ts';

const controlPlane = generateKeyPair();
const NODE_A = '0b8a6f0e-7a55-4b3e-9d5e-2f1c3e4a5b6c';
const NOW = new Date('2026-05-01T12:00:00.000Z');
const inMinutes = (m: number) => new Date(NOW.getTime() + m * 60_000);
const job = () =>
  signJob(controlPlane.privateKey, {
    envelopeId: 'job-1',
    jobId: 'console-job-1',
    nodeId: NODE_A,
    agentKey: '0123456789abcdef',
    action: 'inventory.list',
    params: {},
    issuedAt: NOW,
    notAfter: inMinutes(5),
  });

describe('replay store', () => {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'aw-replay-'));

  it('remembers executed jobs across restarts (fsync’d JSON lines, mode 0600), and marks each only once', () => {
    const dir = tmp();
    const store = ReplayStore.open(dir, { now: () => NOW });
    expect(store.hasExecuted('job-1')).toBe(false);
    expect(store.markExecuted('job-1', inMinutes(5))).toBe(true);
    expect(store.markExecuted('job-1', inMinutes(5))).toBe(false);
    expect(store.hasExecuted('job-1')).toBe(true);
    store.close();
    expect(fs.statSync(path.join(dir, REPLAY_FILE)).mode & 0o777).toBe(0o600);

    const reopened = ReplayStore.open(dir, { now: () => NOW });
    expect(reopened.hasExecuted('job-1')).toBe(true);
    // Plugged into verifyJob, the replay is refused.
    expect(
      verifyJob(job(), {
        nodeId: NODE_A,
        agentKey: '0123456789abcdef',
        controlPlanePublicKey: controlPlane.publicKey,
        now: NOW,
        alreadyExecuted: (id) => reopened.hasExecuted(id),
      }),
    ).toMatchObject({ ok: false, refusal: 'replayed' });
    reopened.close();
  });

  it('forgets a job one day after its notAfter (it is refused as expired by then)', () => {
    const dir = tmp();
    const store = ReplayStore.open(dir, { now: () => NOW });
    store.markExecuted('old', inMinutes(5));
    store.markExecuted('recent', inMinutes(60 * 24));
    store.close();
    const dayLater = new Date(inMinutes(5).getTime() + 24 * 3_600_000 + 1);
    const later = ReplayStore.open(dir, { now: () => dayLater });
    expect([later.hasExecuted('old'), later.hasExecuted('recent'), later.size]).toEqual([false, true, 1]);
    later.close();
    expect(fs.readFileSync(path.join(dir, REPLAY_FILE), 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('drops a torn last line (a crash mid-append) but refuses a corrupt file', () => {
    const dir = tmp();
    const file = path.join(dir, REPLAY_FILE);
    const line = JSON.stringify({ envelopeId: 'job-1', notAfter: inMinutes(5).toISOString(), at: NOW.toISOString() });
    fs.writeFileSync(file, `${line}\n{"envelopeId":"job-2","notAf`);
    const store = ReplayStore.open(dir, { now: () => NOW });
    expect([store.hasExecuted('job-1'), store.hasExecuted('job-2')]).toEqual([true, false]);
    store.close();
    fs.writeFileSync(file, `garbage\n${line}\n`);
    expect(() => ReplayStore.open(dir, { now: () => NOW })).toThrow(ReplayStoreError);
    expect(() => ReplayStore.open(dir, { now: () => NOW })).toThrow(/corrupt at line 1/);
  });

  it('reads entries an agent wrote before the envelope id was renamed (`jobId`)', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, REPLAY_FILE), `${JSON.stringify({ jobId: 'job-0', notAfter: inMinutes(5).toISOString(), at: NOW.toISOString() })}\n`);
    const store = ReplayStore.open(dir, { now: () => NOW });
    expect(store.hasExecuted('job-0')).toBe(true);
    store.close();
  });
});
