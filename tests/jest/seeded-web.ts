// The real web server over a fresh database seeded with the authorization matrix's world
// (tests/authz/seed.ts), for tests that call the console or the API over HTTP as its people.
import { buildConsole, consoleBuildIsCurrent } from '../../infra/build-console.ts';
import { freePort } from '../../infra/ports.ts';
import { seedWorld, type Seed } from '../authz/seed.ts';
import { freshDatabase, type TestDatabase } from './db.ts';
import { startProcess, type TestProcess } from './processes.ts';

export interface SeededWeb { t: TestDatabase; seed: Seed; base: string; web: TestProcess; stop(): Promise<void> }

export async function startSeededWeb(): Promise<SeededWeb> {
  if (!consoleBuildIsCurrent()) await buildConsole();
  const t = await freshDatabase();
  try {
    process.env.DATABASE_URL = t.url; // sessions are created through the process-wide handle
    const seed = await seedWorld(t.db);
    const port = await freePort();
    const base = `http://localhost:${port}`;
    const web = await startProcess('web/server.ts', { DATABASE_URL: t.url, PORT: String(port), PUBLIC_URL: base }, /web console listening/);
    return { t, seed, base, web, stop: async () => { await web.stop(); await t.close(); } };
  } catch (err) {
    await t.close();
    throw err;
  }
}
