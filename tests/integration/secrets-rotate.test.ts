// The key-encryption key as processes meet it: `npm run secrets:rotate` on a populated database (counts
// only, never a key), web and worker refusing to start with a SECRETS_KEY that wrapped nothing, and
// starting again once SECRETS_KEY is the rotated-to key.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import os from 'node:os';
import path from 'node:path';
import { createConnection, setConnectionCredentials } from '../../api/connections/service.ts';
import { REPO_ROOT } from '../../infra/config.ts';
import { generateSecretsKey } from '../../infra/secret-box.ts';
import { localKek } from '../../infra/secrets/kek.ts';
import { openSecret } from '../../infra/secrets/sealed.ts';
import { connections } from '../../db/schema.ts';
import { eq } from 'drizzle-orm';
import { freshDatabase, type TestDatabase } from '../jest/db.ts';
import { runCommand, type CommandResult } from '../jest/run-command.ts';
import { seedTenants, type Tenants } from '../jest/tenants.ts';

let t: TestDatabase;
let w: Tenants;
const oldKey = process.env.SECRETS_KEY!;
const newKey = generateSecretsKey();

function runScript(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<CommandResult> {
  const base: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: path.join(os.tmpdir(), 'aw-rotate-no-data'), LOG_LEVEL: 'info' };
  for (const key of ['SECRETS_KEY', 'SECRETS_KEY_NEW']) delete base[key];
  return runCommand(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, script), ...args], {
    cwd: REPO_ROOT,
    env: { ...base, DATABASE_URL: t.url, ...env },
  });
}

beforeAll(async () => {
  t = await freshDatabase();
  w = await seedTenants(t.db);
  for (const org of [w.acme, w.globex]) {
    const c = await createConnection(w.ctx(w.actors.admin), { organizationId: org.id, provider: 'composio', name: 'Composio' });
    await setConnectionCredentials(w.ctx(w.actors.admin), c.id, { credentials: { apiKey: `key-of-${org.id}` } });
  }
});
afterAll(() => t.close());

describe('secrets:rotate and the startup check', () => {
  it('re-wraps every data key, reporting counts and what to do next, printing no key; a second run changes nothing', async () => {
    const run = await runScript('infra/secrets-rotate.ts', [], { SECRETS_KEY: oldKey, SECRETS_KEY_NEW: newKey });
    expect(run.code).toBe(0);
    expect(run.output).toContain('Re-wrapped 2 data key(s) under SECRETS_KEY_NEW (0 already were; 2 in all).');
    expect(run.output).toContain('set SECRETS_KEY to the value of SECRETS_KEY_NEW');
    expect(run.output).not.toContain(oldKey);
    expect(run.output).not.toContain(newKey);
    const again = await runScript('infra/secrets-rotate.ts', [], { SECRETS_KEY: oldKey, SECRETS_KEY_NEW: newKey });
    expect(again.output).toContain('Re-wrapped 0 data key(s) under SECRETS_KEY_NEW (2 already were; 2 in all).');
    // Without SECRETS_KEY_NEW it says what it needs, and exits 2.
    const missing = await runScript('infra/secrets-rotate.ts', [], { SECRETS_KEY: oldKey });
    expect([missing.code, missing.output]).toEqual([2, expect.stringContaining('SECRETS_KEY_NEW is not set')]);
  });

  it('keeps secrets readable by the old and the new key until --finish, then by the new key only', async () => {
    const [row] = await t.db.select().from(connections).where(eq(connections.organizationId, w.acme.id));
    const binding = { organizationId: w.acme.id, record: `connection:${row!.id}` };
    expect(await openSecret(t.db, localKek(oldKey), binding, row!.credentialsSealed!)).toContain(w.acme.id);
    const finish = await runScript('infra/secrets-rotate.ts', ['--finish'], { SECRETS_KEY: newKey });
    expect([finish.code, finish.output]).toEqual([0, expect.stringContaining('Dropped the old wrapping of 2 data key(s)')]);
    expect(await openSecret(t.db, localKek(newKey), binding, row!.credentialsSealed!)).toContain(w.acme.id);
    await expect(openSecret(t.db, localKek(oldKey), binding, row!.credentialsSealed!)).rejects.toThrow('wrapped under another key-encryption key');
  });

  it('has web and worker refuse to start with a SECRETS_KEY that wrapped nothing, and say so', async () => {
    const wrong = generateSecretsKey();
    for (const script of ['web/server.ts', 'infra/control-plane-worker.ts']) {
      const run = await runScript(script, [], { SECRETS_KEY: wrong, PORT: '1' });
      expect([script, run.code]).toEqual([script, 1]);
      expect(run.output).toContain('SECRETS_KEY does not match the key-encryption key that wrapped 2 organization data key(s)');
      expect(run.output).toContain(`SECRETS_KEY has ${localKek(wrong).fingerprint}`);
      expect(run.output).not.toContain(wrong);
    }
  });
});
