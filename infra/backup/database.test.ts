// copyTablesIn on the run's PostgreSQL: rows the server accepts land; rows it refuses after the last one
// was sent (a duplicate key) end the copy with the server's error and roll the transaction back, instead
// of leaving the restore waiting forever on postgres.js's writable (porsager/postgres#1173).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type postgres from 'postgres';
import { emptyDatabase } from '../../tests/jest/db.ts';
import { connect, copyTablesIn, type DumpedTable } from './database.ts';

let sql: postgres.Sql;
let dir: string;
const table = (file: string, rows: number): DumpedTable => ({ schema: 'public', name: 'shard', columns: ['id', 'owner'], file, rows });

beforeAll(async () => {
  sql = connect((await emptyDatabase()).toString());
  await sql`create table shard (id integer primary key, owner text not null)`;
  await sql`create sequence shard_seq`;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-copy-in-'));
  fs.writeFileSync(path.join(dir, 'good.copy'), '1\tone\n2\ttwo\n');
  fs.writeFileSync(path.join(dir, 'twice.copy'), '3\tthree\n3\tthree again\n');
});

afterAll(async () => {
  await sql?.end({ timeout: 5 });
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('copyTablesIn', () => {
  it('loads the rows and sets the sequences', async () => {
    await sql.begin((tx) => copyTablesIn(tx, dir, [table('good.copy', 2)], [{ schema: 'public', name: 'shard_seq', lastValue: '41', isCalled: true }]));
    expect(await sql`select id, owner from shard order by id`).toEqual([
      { id: 1, owner: 'one' },
      { id: 2, owner: 'two' },
    ]);
    expect(await sql`select nextval('shard_seq')::int as next`).toEqual([{ next: 42 }]);
  });

  it("ends with the server's error when it refuses the rows, and the transaction rolls back", async () => {
    const load = sql.begin(async (tx) => {
      await tx`insert into shard values (10, 'ten')`;
      await copyTablesIn(tx, dir, [table('twice.copy', 2)], []);
    });
    await expect(load).rejects.toThrow(/duplicate key value violates unique constraint "shard_pkey"/);
    // Rolled back, and the connection serves the next statement.
    expect(await sql`select id from shard order by id`).toEqual([{ id: 1 }, { id: 2 }]);
  }, 15_000);
});
