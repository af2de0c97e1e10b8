// `npm run audit:verify` as an operator runs it: the real script as a child process against a fresh
// database (DATABASE_URL). A clean chain verifies; an event altered or removed behind the append-only
// trigger (as a database superuser could) is named exactly.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { asc, sql } from 'drizzle-orm';
import path from 'node:path';
import { recordAudit } from '../../db/audit.ts';
import { auditEvents } from '../../db/schema.ts';
import { REPO_ROOT } from '../../infra/config.ts';
import { freePort } from '../../infra/ports.ts';
import { freshDatabase, type TestDatabase } from '../jest/db.ts';
import { runCommand } from '../jest/run-command.ts';

const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

function auditVerify(env: NodeJS.ProcessEnv, args: string[] = []) {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['DATABASE_URL', 'DATA_DIR', 'EMBEDDED_POSTGRES_PORT']) delete base[key];
  return runCommand(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, 'infra/audit-verify.ts'), ...args], {
    cwd: REPO_ROOT,
    env: { ...base, ...env },
  });
}

describe('npm run audit:verify', () => {
  let test: TestDatabase;
  let rows: (typeof auditEvents.$inferSelect)[];

  /** What a superuser could do: switch the append-only trigger off for one transaction. */
  const behindTheTrigger = (change: ReturnType<typeof sql>) =>
    test.db.transaction(async (tx) => {
      await tx.execute(sql`alter table audit_events disable trigger audit_events_no_update_delete`);
      await tx.execute(change);
      await tx.execute(sql`alter table audit_events enable trigger audit_events_no_update_delete`);
    });

  beforeAll(async () => {
    test = await freshDatabase();
    for (let i = 0; i < 20; i++) {
      await recordAudit(test.db, {
        actorType: i % 4 === 0 ? 'api_token' : 'person',
        actorLabel: `person${i % 3}@example.com`,
        action: `test.event_${i}`,
        outcome: i % 5 === 0 ? 'denied' : 'success',
        reason: i % 5 === 0 ? 'not allowed' : null,
        details: { index: i, token: 'tok-should-be-redacted' },
      });
    }
    rows = await test.db.select().from(auditEvents).orderBy(asc(auditEvents.id));
  });
  afterAll(() => test.close());

  it('reports a clean chain with the number of events checked, exit code 0', async () => {
    expect(rows).toHaveLength(20);
    const res = await auditVerify({ DATABASE_URL: test.url });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Audit chain intact: 20 events checked.');
  });

  it('names the exact event whose row was altered by hand, exit code 1', async () => {
    const victim = rows[6]!;
    await behindTheTrigger(sql`update audit_events set outcome = 'failure' where id = ${victim.id}`);
    const res = await auditVerify({ DATABASE_URL: test.url });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      `Audit chain broken at event #${victim.id} (${victim.at.toISOString()}, ${victim.action}): its content does not match its hash (the event was changed). 6 events before it are intact.`,
    );
    expect(res.output).not.toMatch(STACK_FRAME);
    expect(res.stdout).not.toContain('intact:');
  });

  it('names the event after a row removed by hand, exit code 1', async () => {
    // Undo the alteration, then delete a later event: the one after the gap no longer links.
    await behindTheTrigger(sql`update audit_events set outcome = ${rows[6]!.outcome} where id = ${rows[6]!.id}`);
    expect((await auditVerify({ DATABASE_URL: test.url })).code).toBe(0);
    const removed = rows[12]!;
    const next = rows[13]!;
    await behindTheTrigger(sql`delete from audit_events where id = ${removed.id}`);
    const res = await auditVerify({ DATABASE_URL: test.url });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      `Audit chain broken at event #${next.id} (${next.at.toISOString()}, ${next.action}): it does not link to the event before it (an event was removed or inserted). 12 events before it are intact.`,
    );
    expect(res.output).not.toContain(`#${removed.id} `);
  });

  it('prints its usage for --help, and says in one sentence, exit code 2, when it cannot check', async () => {
    const help = await auditVerify({ DATABASE_URL: test.url }, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run audit:verify/);
    const unknown = await auditVerify({ DATABASE_URL: test.url }, ['--fix']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--fix/);
    const port = await freePort();
    const unreachable = await auditVerify({ DATABASE_URL: `postgres://anthropy:topsecret@127.0.0.1:${port}/anthropy` });
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/Could not read the audit trail .*DATABASE_URL/);
    expect(unreachable.output).not.toContain('topsecret');
    expect(unreachable.output).not.toMatch(STACK_FRAME);
  });
});
