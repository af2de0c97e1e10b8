// The Temporal cluster of the production shape (tests/jest/temporal-cluster.ts: the runbook's commands,
// infra/temporal-cluster/config/production.yaml and its dynamic config) admits more concurrent long polls
// per namespace than Temporal's default of 1,200, as `npm start`'s dev server does (NAMESPACE_LONG_POLLS):
// a thousand agents keep AGENT_ACTIVITY_POLLS polls open each through the door, and the control plane's
// worker polls beside them (docs/decisions/0029-a-thousand-agents.md). More polls than the default are
// opened at once with the product's client certificate; not one is refused with ResourceExhausted.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { Connection } from '@temporalio/client';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../infra/config.ts';
import { NAMESPACE_LONG_POLLS } from '../../infra/services/temporal-server.ts';
import { temporalConnectionOptions } from '../../infra/temporal-connection.ts';
import { startDebianPostgres, type DebianPostgres } from '../jest/debian-postgres.ts';
import { startTemporalCluster, type TemporalCluster } from '../jest/temporal-cluster.ts';

const NAMESPACE = 'anthropy-works';
/** Temporal's own default of frontend.namespaceCount, which this many polls exceed. */
const TEMPORAL_DEFAULT = 1_200;
const POLLS = TEMPORAL_DEFAULT + 150;

let dir: string;
let pg: DebianPostgres | undefined;
let cluster: TemporalCluster | undefined;
let connection: Connection | undefined;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-cluster-polls-'));
  pg = await startDebianPostgres();
  cluster = await startTemporalCluster({ pg, dir, namespace: NAMESPACE });
  // The product's client certificate; no interceptors, so none of the SDK's retries hides a refusal.
  connection = await Connection.connect({ ...temporalConnectionOptions({ temporalAddress: cluster.address, ...cluster.clientTls }), interceptors: [] });
}, 180_000);

afterAll(async () => {
  await connection?.close();
  await cluster?.stop();
  await pg?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the Temporal cluster on PostgreSQL', () => {
  it(`admits ${POLLS} concurrent activity polls on one namespace (Temporal's default refuses more than ${TEMPORAL_DEFAULT})`, async () => {
    // The same limit as the dev server's.
    const file = fs.readFileSync(path.join(REPO_ROOT, 'infra/temporal-cluster/config/dynamicconfig/production.yaml'), 'utf8');
    expect(Number(/^frontend\.namespaceCount:\n {2}- value: (\d+)$/m.exec(file)?.[1])).toBe(NAMESPACE_LONG_POLLS);
    expect(NAMESPACE_LONG_POLLS).toBeGreaterThan(POLLS);
    const refused: string[] = [];
    const others: string[] = [];
    // Held open by the server until their deadline (nothing is scheduled on the queue); a refusal comes at once.
    const polls = Array.from({ length: POLLS }, (_, i) =>
      connection!
        .withDeadline(Date.now() + 15_000, () =>
          connection!.workflowService.pollActivityTaskQueue({ namespace: NAMESPACE, taskQueue: { name: 'long-poll-probe' }, identity: `probe-${i}` }),
        )
        .catch((err: { code?: number; details?: string; message?: string }) => {
          if (err.code === status.RESOURCE_EXHAUSTED) refused.push(err.details ?? err.message ?? '');
          else if (err.code !== status.DEADLINE_EXCEEDED) others.push(`${err.code}: ${err.details ?? err.message}`);
        }),
    );
    await Promise.all(polls);
    expect(refused.slice(0, 3)).toEqual([]);
    expect(others.slice(0, 3)).toEqual([]);
  }, 60_000);
});
