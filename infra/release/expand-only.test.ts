import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { MIGRATIONS_DIR } from '../../db/migrate.ts';
import { expandOnlyOffences, statementsOf } from './expand-only.ts';

const rules = (sql: string, steps = []) => expandOnlyOffences([{ name: '0099_next.sql', sql }], steps).map((o) => `${o.line}: ${o.rule.split(':')[0]}`);

describe('statementsOf', () => {
  it('splits at top-level semicolons with each statement’s line, leaving out comments, literals and function bodies', () => {
    const sql = [
      '-- a comment; DROP TABLE "jobs";',
      'CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$',
      'BEGIN',
      '  DROP TABLE jobs;',
      'END;',
      '$$;--> statement-breakpoint',
      `COMMENT ON TABLE "jobs" IS 'it''s; DROP TABLE jobs';`,
      '/* DROP TABLE x; */ ALTER TABLE "jobs"',
      '  ADD COLUMN "a" text;',
    ].join('\n');
    expect(statementsOf(sql).map((s) => [s.line, s.text])).toEqual([
      [2, "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS ''"],
      [7, "COMMENT ON TABLE jobs IS ''"],
      [8, 'ALTER TABLE jobs ADD COLUMN a text'],
    ]);
  });
});

describe('expandOnlyOffences', () => {
  it('lets expanding statements through', () => {
    expect(
      rules(
        [
          'CREATE TABLE "things" ("id" uuid PRIMARY KEY NOT NULL, "name" text NOT NULL);',
          'ALTER TABLE "jobs" ADD COLUMN "note" text;',
          'ALTER TABLE "organizations" ADD COLUMN "time_zone" text DEFAULT \'UTC\' NOT NULL;',
          'ALTER TABLE "things" ADD COLUMN "kind" text NOT NULL;', // a table of this release: no old rows, no old code
          'ALTER TABLE "things" DROP COLUMN "kind";',
          'DROP TABLE "things";',
          'CREATE INDEX "jobs_note_idx" ON "jobs" ("note");',
          'DROP INDEX "jobs_note_idx";',
          'ALTER TABLE "jobs" ADD CONSTRAINT "jobs_fk" FOREIGN KEY ("node_id") REFERENCES "nodes"("id");',
          'ALTER TABLE "jobs" ALTER COLUMN "note" SET DEFAULT \'\';',
          'ALTER TYPE "job_state" ADD VALUE \'paused\';',
        ].join('\n'),
      ),
    ).toEqual([]);
  });

  it('names each contracting statement on an existing table with its line', () => {
    expect(
      rules(
        [
          'DROP TABLE "readiness_checks" CASCADE;',
          'ALTER TABLE "jobs" DROP COLUMN "summary";',
          'alter table jobs rename column step to current_step;',
          'ALTER TABLE "jobs" RENAME TO "job_records";',
          'ALTER TABLE "jobs" ALTER COLUMN "params" SET DATA TYPE text;',
          'ALTER TABLE jobs ALTER params TYPE text USING params::text;',
          'ALTER TABLE "jobs" ALTER COLUMN "step" SET NOT NULL;',
          'ALTER TABLE "jobs" ADD COLUMN "owner" uuid NOT NULL;',
          'ALTER TABLE "jobs" ALTER COLUMN "state" DROP DEFAULT;',
          "ALTER TYPE \"job_state\" RENAME VALUE 'running' TO 'busy';",
          'ALTER TABLE "jobs" ADD COLUMN "a" text, DROP COLUMN "b";',
        ].join('\n'),
      ),
    ).toEqual([
      '1: drops table readiness_checks',
      '2: drops column jobs.summary',
      '3: renames column jobs.step to current_step',
      '4: renames table jobs to job_records',
      '5: changes the type of jobs.params',
      '6: changes the type of jobs.params',
      '7: makes jobs.step NOT NULL',
      '8: adds jobs.owner NOT NULL without a default',
      '9: drops the default of jobs.state',
      '10: renames in type job_state',
      '11: drops column jobs.b',
    ]);
  });

  it('lets a documented contract step through, that statement only', () => {
    const sql = 'ALTER TABLE "jobs" DROP COLUMN "legacy";\nALTER TABLE "jobs" DROP COLUMN "other";';
    const steps = [{ migration: '0099_next.sql', statement: 'alter table "jobs"  drop column "legacy"', why: 'unused since v0.20.0' }];
    expect(rules(sql, steps as never)).toEqual(['2: drops column jobs.other']);
    expect(rules(sql, [{ ...steps[0]!, migration: '0098_other.sql' }] as never)).toHaveLength(2);
  });

  it('finds the contract steps this repository really took (0003 changed types, 0007 dropped a table)', () => {
    const read = (name: string) => ({ name, sql: fs.readFileSync(path.join(MIGRATIONS_DIR, name), 'utf8') });
    const offences = expandOnlyOffences([read('0007_jobs_kernel.sql')]);
    expect(offences.map((o) => [o.migration, o.line, o.rule.split(':')[0]])).toContainEqual(['0007_jobs_kernel.sql', 1, 'drops table readiness_checks']);
    expect(expandOnlyOffences([read('0003_millisecond_timestamps.sql')]).map((o) => o.line)).toContain(1);
    expect(expandOnlyOffences([read('0025_job_approval_requested_at.sql'), read('0022_organization_time_zone.sql')])).toEqual([]);
  });
});
