// The budget of `npm run bench` (tests/bench/run.ts): each suite's share of the 20 minutes the whole run
// may take (issue 18), its settings when it shares them, and how long each may run once the ones before
// it have taken what they took.

export interface Suite {
  script: string;
  /** Its share of a run of several suites: the most it may take, plus what the suites before it left unused. */
  minutes: number;
  what: string;
  /**
   * Its settings in a run of several suites, where its own defaults (for a run of it alone) would not fit
   * its share; a variable the caller set wins. Each stays meaningful: what the issue asks is kept.
   */
  inFullRun?: Record<string, string>;
}

// Measured alone on this 2-core machine (docs/benchmarks/*.md and their runs' logs, 2026-12-01): overhead
// N=200 ≈ 4 min, big-lists 2.2–3.4 min, deployment ≈ 1.4 min plus 1 min a pair, agents 100/300/1,000 ≈ 7 min
// (100/1,000 ≈ 5 min, estimated). A suite may run its share less the stop grace before it is asked to stop;
// the agents suite, the least predictable, goes last and so also gets whatever the others left.
export const SUITES: Record<string, Suite> = {
  overhead: {
    script: 'tests/bench/overhead/main.ts',
    minutes: 5,
    what: "approval → the node's first activity, beside a raw Temporal Update → activity on the same dev server",
    // N = 200 is the minimum: kept.
  },
  'big-lists': { script: 'tests/bench/big-lists/main.ts', minutes: 4, what: 'list pages, API lists and audit:verify over 10,000 nodes, 100,000 jobs, 1M audit events' },
  deployment: {
    script: 'tests/bench/deployment/main.ts',
    minutes: 5.5,
    what: 'approval → healthy gateway and restart downtime, beside a bare docker run / docker restart (needs Docker)',
    // Three interleaved pairs (a run of the suite alone takes five: BENCH_RUNS).
    inFullRun: { BENCH_RUNS: '3' },
  },
  agents: {
    script: 'tests/bench/agents/main.ts',
    minutes: 5.5,
    what: '100 → 1,000 simulated agents: heartbeats, node status, CPU and memory per node, inventory fan-out',
    // The two ends of the curve; the 300 step is for a run of the suite alone.
    inFullRun: { BENCH_AGENTS_STEPS: '100,1000' },
  },
};
export const TOTAL_MINUTES = 20;
/** How long a suite asked to stop may take to clean up before it is killed: inside the total. */
export const STOP_GRACE_MS = 20_000;

/**
 * How long the suite `names[index]` may run when it starts at `now`: until `deadline`, less the shares of
 * the suites after it, less the grace it is given to stop once asked. So each suite gets its own share plus
 * whatever the suites before it left unused, and the last one still ends by the deadline.
 */
export function allowedMs(names: string[], index: number, now: number, deadline: number, minutes: (name: string) => number): number {
  const later = names.slice(index + 1).reduce((sum, name) => sum + minutes(name) * 60_000, 0);
  return deadline - now - later - STOP_GRACE_MS;
}
