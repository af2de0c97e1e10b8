// The usual cast of a service test: the MSP with an admin and an operator, and two customers (Acme and
// Globex) with their company people. Each person is an Actor the services accept directly. No Jest here:
// the Schemathesis stage seeds its records with it too (tests/fuzz/seed-records.ts).
import type { Actor, ServiceContext } from '../../api/authz.ts';
import { createOrganization } from '../../api/organizations/service.ts';
import type { Db } from '../../db/client.ts';
import type { Role } from '../../db/schema.ts';
import { createUser, ensureMspOrganization } from '../../db/users.ts';

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

/** The error a call was refused with (and a test failure if it was not refused). */
export const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => {
      throw new Error('expected the call to be refused');
    },
    (e: unknown) => e,
  );
