// A test file's own database with the usual cast (tenants.ts), for Jest files: kept apart from tenants.ts,
// which scripts outside Jest import too.
import { afterAll, beforeAll } from '@jest/globals';
import { closeDb } from '../../db/client.ts';
import { freshDatabase, type TestDatabase } from './db.ts';
import { seedTenants, type Tenants } from './tenants.ts';

/**
 * A test file's own database with the cast seeded, made before its tests and closed after them. The
 * process-wide handle points at it too (sessions and token revocation use that one). `ready` hands the
 * database and the cast to the file's variables.
 */
export function tenantsForFile(ready: (t: TestDatabase, tenants: Tenants) => void): void {
  let t: TestDatabase | undefined;
  beforeAll(async () => {
    t = await freshDatabase();
    process.env.DATABASE_URL = t.url;
    ready(t, await seedTenants(t.db));
  });
  afterAll(async () => {
    await closeDb();
    await t?.close();
  });
}
