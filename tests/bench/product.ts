// The product as `npm start` runs it, for a benchmark: its configuration on a data folder and free ports of
// its own (embedded PostgreSQL, the Temporal dev server, web, worker, agent door), and its REST API as a
// signed-in person calls it.
import { freePort } from '../../infra/ports.ts';
import { loadConfig, type Config } from '../../infra/config.ts';

export async function benchProductConfig(dataDir: string, admin: { email: string; password: string }): Promise<Config> {
  // The stack starts its own database and Temporal: none from the caller's environment.
  delete process.env.DATABASE_URL;
  delete process.env.TEMPORAL_ADDRESS;
  return loadConfig({
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(await freePort()),
    EMBEDDED_POSTGRES_PORT: String(await freePort()),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    AGENT_DOOR_PORT: String(await freePort()),
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
  });
}

/** A JSON call to the REST API with the session `cookie`; throws with the answer when it is not 2xx. */
export const apiCaller =
  (base: string, cookie: string) =>
  async <T>(method: string, p: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}/api/v1${p}`, {
      method,
      headers: { cookie, Origin: base, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<T>;
  };
