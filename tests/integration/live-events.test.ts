// Live updates over real parts (ADR 0018): the migration's triggers on a real PostgreSQL, the web
// process's one LISTEN connection, and GET /events read as a browser's EventSource reads it. A change
// reaches exactly the people who may see the record: MSP staff, the organization's company admin, a
// company user only for their own jobs; another organization's people hear nothing, and a heartbeat
// that changes nothing shown is not announced.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq, sql } from 'drizzle-orm';
import { approverGroupMembers, approverGroups, jobs, nodes } from '../../db/schema.ts';
import { MAX_STREAMS_PER_SESSION } from '../../web/live-events.ts';
import type { Seed } from '../authz/seed.ts';
import { startSeededWeb, type SeededWeb } from '../jest/seeded-web.ts';
import { waitFor } from '../jest/wait-for.ts';

let world: SeededWeb;
let seed: Seed;
const streams: Stream[] = [];

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}
interface Stream {
  status: number;
  events: SseEvent[];
  raw: string[];
  close(): void;
}

/** Opens GET /events and collects its events, as EventSource would (event name + JSON data). */
async function openStream(headers: Record<string, string>): Promise<Stream> {
  const abort = new AbortController();
  const res = await fetch(`${world.base}/events`, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const stream: Stream = { status: res.status, events: [], raw: [], close: () => abort.abort() };
  streams.push(stream);
  if (res.status !== 200 || !res.body) {
    await res.arrayBuffer();
    return stream;
  }
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          stream.raw.push(block);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) stream.events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
        }
      }
    } catch {
      // Aborted by the test.
    }
  })();
  await waitFor('the stream to be ready', async () => (stream.events.some((e) => e.event === 'ready') ? true : undefined));
  return stream;
}

const changesOf = (s: Stream) => s.events.filter((e) => e.event === 'change').map((e) => e.data);
const heard = (s: Stream, id: string) => changesOf(s).filter((c) => c.id === id);
const waitHeard = (s: Stream, id: string, state?: string) =>
  waitFor(`a change of ${id}${state ? ` to ${state}` : ''}`, async () => (heard(s, id).some((c) => !state || c.state === state) ? true : undefined), 5_000);

async function insertJob(organizationId: string, requestedBy: string | null) {
  const [job] = await seed.db
    .insert(jobs)
    .values({ type: 'health_check', organizationId, workflowId: `live-test-${seed.unique('job')}`, state: 'running', requestedBy })
    .returning({ id: jobs.id });
  return job!.id;
}

beforeAll(async () => {
  world = await startSeededWeb('live-events');
  seed = world.seed;
}, 120_000);
afterAll(async () => {
  for (const s of streams) s.close();
  await world?.stop();
});

describe('GET /events', () => {
  it('tells a change to the people who may see the record, and to no one else', async () => {
    const p = seed.people;
    const admin = await openStream({ cookie: p.msp_admin.cookie });
    const adminA = await openStream({ cookie: p.company_admin.cookie });
    const userA = await openStream({ cookie: p.company_user.cookie });
    const adminB = await openStream({ cookie: p.adminB.cookie });

    // A job of customer A that the company user neither asked for nor may approve.
    const jobA = await insertJob(seed.orgA, null);
    await seed.db.update(jobs).set({ state: 'waiting_for_approval', step: 'approval' }).where(eq(jobs.id, jobA));
    await waitHeard(admin, jobA, 'waiting_for_approval');
    await waitHeard(adminA, jobA, 'waiting_for_approval');
    // The transition names the state it left (the Approvals count reloads on it); nothing else is said.
    expect(heard(adminA, jobA)).toContainEqual({ kind: 'job', id: jobA, state: 'waiting_for_approval', previous: 'running' });
    for (const c of changesOf(admin)) expect(Object.keys(c).every((k) => ['kind', 'id', 'state', 'previous'].includes(k))).toBe(true);

    // The company user's own request: they hear of it.
    const ownJob = await insertJob(seed.orgA, p.company_user.actor.userId);
    await waitHeard(userA, ownJob);

    // Customer A's node: its status is announced, and its heartbeats once a minute: a heartbeat within the
    // minute of the one before it (and its report) is not.
    const heartbeat = (at: string) =>
      seed.db
        .update(nodes)
        .set({ lastSeenAt: new Date(at), lastReport: { agentVersion: at } })
        .where(eq(nodes.id, seed.nodeA));
    const nodeHeard = (n: number) => waitFor(`${n} changes of node A`, async () => (heard(adminA, seed.nodeA).length === n ? true : undefined), 5_000);
    await heartbeat('2026-11-30T20:00:10Z');
    await nodeHeard(1);
    await heartbeat('2026-11-30T20:00:40Z');
    await seed.db.update(nodes).set({ status: 'online' }).where(eq(nodes.id, seed.nodeA));
    await nodeHeard(2);
    await heartbeat('2026-11-30T20:01:05Z');
    await nodeHeard(3);

    // Someone joins one of customer A's approver groups: whose inbox a waiting job is in may change.
    const [group] = await seed.db.insert(approverGroups).values({ organizationId: seed.orgA, name: 'Live approvers' }).returning({ id: approverGroups.id });
    await seed.db.insert(approverGroupMembers).values({ groupId: group!.id, userId: p.company_user.actor.userId });
    await waitHeard(userA, group!.id);

    // A marker in customer B: once its admin heard it, everything before it was delivered (in commit order).
    await seed.db.update(nodes).set({ status: 'stale' }).where(eq(nodes.id, seed.nodeB));
    await waitHeard(adminB, seed.nodeB);
    await waitHeard(admin, seed.nodeB);

    expect(changesOf(adminB).map((c) => c.id)).toEqual([seed.nodeB]);
    expect(heard(userA, jobA)).toEqual([]);
    expect(heard(userA, seed.nodeA)).toEqual([]); // a company user does not see nodes
    expect(heard(adminA, seed.nodeB)).toEqual([]);
    // Three announcements for the node (the first heartbeat, the status, the next minute's heartbeat),
    // none for the heartbeat within the minute.
    expect(heard(admin, seed.nodeA)).toHaveLength(3);
  });

  it('after the LISTEN connection is cut, reconnects by itself and tells the pages to reload', async () => {
    const admin = await openStream({ cookie: seed.people.msp_admin.cookie });
    const cut = await seed.db.execute<{ cut: boolean }>(
      sql`select pg_terminate_backend(pid) as cut from pg_stat_activity where datname = current_database() and query ilike 'listen%live_changes%'`,
    );
    expect(cut.map((r) => r.cut)).toEqual([true]);
    await waitFor('a resync', async () => (admin.events.some((e) => e.event === 'resync') ? true : undefined), 15_000);
    const job = await insertJob(seed.orgA, null);
    await waitHeard(admin, job);
  });

  it('refuses a caller who is not signed in, takes a personal API token, and limits the streams of one session', async () => {
    expect((await openStream({})).status).toBe(401);
    const byToken = await openStream({ authorization: `Bearer ${seed.people.msp_operator.token}` });
    expect(byToken.status).toBe(200);
    const jobB = await insertJob(seed.orgB, null);
    await waitHeard(byToken, jobB);

    const cookie = seed.people.userB.cookie;
    const open: Stream[] = [];
    for (let i = 0; i < MAX_STREAMS_PER_SESSION; i++) open.push(await openStream({ cookie }));
    expect(open.map((s) => s.status)).toEqual(Array(MAX_STREAMS_PER_SESSION).fill(200));
    expect((await openStream({ cookie })).status).toBe(429);
    // Closing a tab gives its place back.
    open[0]!.close();
    await waitFor('a place after a stream closed', async () => ((await openStream({ cookie })).status === 200 ? true : undefined));
  });
});
