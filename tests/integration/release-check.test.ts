// Roll back, tested: `npm run release:check` exactly as the runbook gives it (its own PostgreSQL and
// Temporal dev server) runs the previous tagged release's worker and web console on this release's schema,
// after this release started a run that waits for an approval: the previous release lists it, approves it
// and completes it, runs its own, and this release reads the result. Then the same drill on a schema that a
// contract step changed under the previous release fails, naming the tag and the step.
import { afterAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { loadConfig, REPO_ROOT } from '../../infra/config.ts';
import { previousRelease } from '../../infra/release/previous-release.ts';
import { prepareReleaseTree } from '../../infra/release/release-tree.ts';
import { DrillFailure, rollbackDrill } from '../../infra/release/rollback-drill.ts';
import { freshDatabase } from '../jest/db.ts';
import { runCommand } from '../jest/run-command.ts';

const savedEnv = { ...process.env };
afterAll(() => {
  // The drill sets this process's settings for the services it calls (as release:check's own process).
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

const previous = previousRelease();

describe('npm run release:check', () => {
  it('runs the previous release on this release’s schema: it serves the run this release started, and its own', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    // As an operator runs it on a machine of its own: no database or Temporal given.
    for (const key of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SECRETS_KEY', 'CONTROL_PLANE_SIGNING_KEY', 'APPROVAL_GRANT_KEY', 'CONTROL_PLANE_TASK_QUEUE']) delete env[key];
    const res = await runCommand('npm', ['run', '--silent', 'release:check'], { cwd: REPO_ROOT, env });
    expect({ code: res.code, output: res.output.split('\n').slice(-40).join('\n') }).toMatchObject({ code: 0 });
    const tag = previous.tag.replace(/\./g, '\\.');
    for (const line of [
      `Previous release: ${tag} \\(${previous.commit.slice(0, 12)}\\)`,
      `Migrations since ${tag}: .*; all expand-only`,
      'this release starts a run that waits for an approval',
      `${tag}’s worker starts on this schema`,
      `${tag}’s web console starts and is ready \\(GET /readyz\\)`,
      `${tag} lists and reads the run this release started`,
      `${tag} approves that run and its worker completes it`,
      `${tag} starts a new run from its API and completes it after approval`,
      `${tag}’s worker runs a readiness check`,
      `${tag} lists the audit trail \\(API\\) and the chain both releases wrote verifies`,
      'this release’s web console reads the runs the previous release completed',
      `release:check passed: ${tag} runs on this release's schema`,
    ]) {
      expect(res.stdout).toMatch(new RegExp(`✓\\s+${line}`));
    }
  }, 300_000);
});

describe('the rollback drill', () => {
  it('fails on a schema the previous release cannot run on, naming the tag and the step', async () => {
    const tree = await prepareReleaseTree(previous, loadConfig().cacheDir, { console: true });
    const t = await freshDatabase();
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-release-drill-'));
    const said: string[] = [];
    try {
      const failure = await rollbackDrill({
        previous: tree,
        databaseUrl: t.url,
        temporalAddress: process.env.TEMPORAL_ADDRESS!,
        namespace: 'default',
        workDir,
        say: (line) => said.push(line),
        // A contract step shipped with the upgrade: a column every release reads (a job's state) is renamed.
        afterThisRelease: async (db) => {
          await db.execute(sql`alter table jobs rename column state to job_state`);
        },
      }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(DrillFailure);
      expect(failure).toMatchObject({ tag: previous.tag, step: `${previous.tag} lists and reads the run this release started` });
      expect((failure as Error).message).toContain(
        `release:check failed for ${previous.tag} at step "${previous.tag} lists and reads the run this release started": GET /api/v1/jobs`,
      );
      // The steps before it passed: the previous release's processes started, and only reading failed.
      expect(said.some((l) => l.startsWith(`${previous.tag}’s web console starts and is ready`))).toBe(true);
    } finally {
      await t.close();
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  }, 180_000);
});
