// The usual cast of a service test: the MSP with an admin and an operator, and two customers (Acme and
// Globex) with their company people. Each person is an Actor the services accept directly.
import { afterAll, beforeAll } from '@jest/globals';
import type { Actor, ServiceContext } from '../../api/authz.ts';
import { createOrganization } from '../../api/organizations/service.ts';
import { closeDb, type Db } from '../../db/client.ts';
import type { Role } from '../../db/schema.ts';
import { createUser, ensureMspOrganization } from '../../db/users.ts';
import { freshDatabase, type TestDatabase } from './db.ts';

type Cast = 'admin' | 'operator' | 'acmeAdmin' | 'acmeUser' | 'globexAdmin';

const DEFAULT_EMAILS: Record<Cast, string> = {
  admin: 'admin@msp.test',
  operator: 'operator@msp.test',
  acmeAdmin: 'admin@acme.test',
  acmeUser: 'user@acme.test',
  globexAdmin: 'admin@globex.test',
};

export interface Tenants {
  msp: { id: string };
  acme: { id: string };
  globex: { id: string };
  actors: Record<Cast, Actor>;
  ctx(actor: Actor): ServiceContext;
  person(role: Role, organizationId: string, email: string): Promise<Actor>;
}

export async function seedTenants(db: Db, emails: Partial<Record<Cast, string>> = {}): Promise<Tenants> {
  const email = { ...DEFAULT_EMAILS, ...emails };
  const ctx = (actor: Actor): ServiceContext => ({ db, actor });
  const person = async (role: Role, organizationId: string, address: string): Promise<Actor> => {
    const u = await createUser(db, { email: address, name: address, password: 'password-for-tests', role, organizationId });
    return { kind: 'person', userId: u.id, email: address, name: address, role, organizationId };
  };
  const msp = await ensureMspOrganization(db);
  const admin = await person('msp_admin', msp.id, email.admin);
  const operator = await person('msp_operator', msp.id, email.operator);
  const acme = await createOrganization(ctx(admin), { name: 'Acme' });
  const globex = await createOrganization(ctx(admin), { name: 'Globex' });
  const actors = {
    admin,
    operator,
    acmeAdmin: await person('company_admin', acme.id, email.acmeAdmin),
    acmeUser: await person('company_user', acme.id, email.acmeUser),
    globexAdmin: await person('company_admin', globex.id, email.globexAdmin),
  };
  return { msp, acme, globex, actors, ctx, person };
}

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

/** The error a call was refused with (and a test failure if it was not refused). */
export const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => {
      throw new Error('expected the call to be refused');
    },
    (e: unknown) => e,
  );
