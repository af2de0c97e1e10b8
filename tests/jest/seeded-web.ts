// The real web server over a fresh database seeded with the authorization matrix's world
// (tests/authz/seed.ts), for tests that call the console or the API over HTTP as its people. The
// console alone (tests/jest/agent-stack.ts without a worker: the runs a route starts need not run).
import { buildConsole, consoleBuildIsCurrent } from '../../infra/build-console.ts';
import { seedWorld, type Seed } from '../authz/seed.ts';
import { startAgentStack } from './agent-stack.ts';
import type { TestDatabase } from './db.ts';
import type { TestProcess } from './processes.ts';

export interface SeededWeb {
  t: TestDatabase;
  seed: Seed;
  base: string;
  web: TestProcess;
  doorAddress: string;
  stop(): Promise<void>;
}

export async function startSeededWeb(name = 'seeded-web'): Promise<SeededWeb> {
  if (!consoleBuildIsCurrent()) await buildConsole();
  const stack = await startAgentStack(name, {}, { controlPlane: false, tenants: false });
  try {
    const seed = await seedWorld(stack.t.db);
    return { t: stack.t, seed, base: stack.base, web: stack.web, doorAddress: stack.doorAddress, stop: () => stack.stop() };
  } catch (err) {
    await stack.stop();
    throw err;
  }
}
