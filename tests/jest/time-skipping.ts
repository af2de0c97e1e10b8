// Workflow unit tests in Temporal's time-skipping test server: a day of workflow time passes in moments,
// activities are mocks. Per test file: one server, one workflow bundle and one worker (starting a worker
// costs about half a second, a test a few hundred milliseconds). Each test hands the worker its own mocks;
// runs a test started and left running are terminated after it, so that no later test's time skip wakes
// them. The server's launcher comes from the Jest global setup (TEMPORAL_TEST_SERVER, fetched by
// infra/toolchain/temporal-test-server.ts).
//
//   const ts = useTimeSkipping<MyActivities>(fileURLToPath(new URL('./my-workflow.ts', import.meta.url)), ['myActivity']);
//   it('…', () => ts.run({ myActivity: async () => 42 }, async () => {
//     const handle = await ts.env.client.workflow.start(myWorkflow, { taskQueue: ts.taskQueue, workflowId: '…' });
//     await ts.env.sleep('1 day'); …
//   }));
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import type { WorkflowClientInterceptor, WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { recordRuns } from '../replay/record-histories.ts';

type AnyFunction = (...args: never[]) => Promise<unknown>;

export interface TimeSkipping<A> {
  /** The file's environment: `client` (whose `result()` skips time), `sleep()` to skip time by hand. */
  readonly env: TestWorkflowEnvironment;
  /** The queue the file's worker polls: start workflows on it. */
  readonly taskQueue: string;
  /** Runs `test` with `mocks` as the worker's activities (one that is missing fails when called). */
  run<T>(mocks: Partial<A>, test: () => Promise<T>): Promise<T>;
}

// The SDK's runtime is one per process. Its own logs at INFO (a worker starting) and the native core's
// warnings about what the test server does not advertise are not news here; workflow warnings are.
function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  } catch {
    // already installed by an earlier test file in this Jest worker process
  }
}

/**
 * Call at the top level of a test file: before its tests, starts the server, bundles `workflowsPath`
 * and starts a worker whose activities are `activityNames`, each calling the running test's mock.
 */
export function useTimeSkipping<A extends object>(workflowsPath: string, activityNames: (keyof A & string)[]): TimeSkipping<A> {
  const taskQueue = `test-${randomUUID()}`;
  let env: TestWorkflowEnvironment | undefined;
  let mocks: Partial<A> | undefined;
  let stopWorker: (() => void) | undefined;
  let worker: Promise<void> | undefined;
  const started = new Set<string>();
  const recorded = new Map<string, number>();

  const tracking: WorkflowClientInterceptor = {
    startWithDetails: (input, next) => {
      started.add(input.options.workflowId);
      return next(input);
    },
    signalWithStart: (input, next) => {
      started.add(input.options.workflowId);
      return next(input);
    },
  };
  const activities = Object.fromEntries(
    activityNames.map((name) => [
      name,
      (...args: never[]) => {
        const mock = mocks?.[name] as AnyFunction | undefined;
        if (!mock) throw new Error(`No mock for activity ${name} in this test.`);
        return mock(...args);
      },
    ]),
  );

  beforeAll(async () => {
    const path = process.env.TEMPORAL_TEST_SERVER;
    if (!path) throw new Error('TEMPORAL_TEST_SERVER is not set: run this test through Jest, whose global setup fetches the server.');
    quietRuntime();
    const [testEnv, workflowBundle] = await Promise.all([
      TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } }, client: { interceptors: { workflow: [tracking] } } }),
      bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') }),
    ]);
    env = testEnv;
    const w = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities });
    worker = w.runUntil(
      new Promise<void>((resolve) => {
        stopWorker = resolve;
      }),
    );
    worker.catch(() => undefined); // reported by the test it fails, or by afterAll
  }, 120_000);

  afterAll(async () => {
    stopWorker?.();
    await worker;
    await env?.teardown();
  });

  const up = () => {
    if (!env || !worker) throw new Error('The time-skipping environment is not up: use it inside a test (and see why beforeAll failed).');
    return { env, worker };
  };
  return {
    taskQueue,
    get env() {
      return up().env;
    },
    async run(testMocks, test) {
      const { env: testEnv, worker: running } = up();
      mocks = testMocks;
      started.clear();
      try {
        // A worker that fails fails the test, instead of leaving it waiting for a result.
        return await Promise.race([
          test(),
          running.then(() => {
            throw new Error('The worker stopped during the test.');
          }),
        ]);
      } finally {
        mocks = undefined;
        // With RECORD_HISTORIES=1, the runs are kept for the replay test (tests/replay/) before they are ended.
        await recordRuns(testEnv.client, started, `time-skipping-${path.basename(workflowsPath, '.ts')}`, recorded);
        for (const workflowId of started)
          await testEnv.client.workflow
            .getHandle(workflowId)
            .terminate('the test ended')
            .catch(() => undefined);
      }
    },
  };
}

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/**
 * Waits (in wall time: the server's clock does not move meanwhile) until the run's history has an event
 * that `match`es, e.g. the timer a workflow starts once it waits: from then on its handlers are set.
 */
export async function historyEvent(handle: WorkflowHandle, match: (e: HistoryEvent) => unknown, withinMs = 10_000): Promise<HistoryEvent> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const found = (await handle.fetchHistory()).events?.find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for an event in the history of ${handle.workflowId}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What a mocked activity was called with, in order, and a way to wait for a call. */
export function callLog<T>() {
  const calls: T[] = [];
  const waiters: { match: (call: T) => boolean; resolve: (call: T) => void }[] = [];
  return {
    calls,
    add(call: T): void {
      calls.push(call);
      for (const w of waiters.filter((w) => w.match(call))) w.resolve(call);
    },
    /** The first call that matches, made already or when it comes. */
    when(match: (call: T) => boolean): Promise<T> {
      const seen = calls.find(match);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

/**
 * For a file that runs its own workers (several task queues): a fresh server. The launcher comes from the
 * Jest global setup, like useTimeSkipping's.
 */
export function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  const path = process.env.TEMPORAL_TEST_SERVER;
  if (!path) throw new Error('TEMPORAL_TEST_SERVER is not set: run this test through Jest, whose global setup fetches the server.');
  quietRuntime();
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
}

/** The workflow code of one file (relative to the repository), bundled once for all of a file's workers. */
export function bundleWorkflows(file: string) {
  return bundleWorkflowCode({ workflowsPath: new URL(`../../${file}`, import.meta.url).pathname, logger: new DefaultLogger('WARN') });
}
