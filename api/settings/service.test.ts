import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from 'drizzle-orm';
import { closeDb } from '../../db/client.ts';
import { auditEvents, organizations, settings } from '../../db/schema.ts';
import { createUser, ensureMspOrganization } from '../../db/users.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { authenticate } from '../auth/authenticate.ts';
import { createSession, validateSessionToken } from '../auth/sessions.ts';
import { REQUIRE_MFA_FOR_MSP_STAFF, twoFactorState } from '../auth/two-factor-state.ts';
import type { Actor, ServiceContext } from '../authz.ts';
import { AppError, ForbiddenError } from '../errors.ts';
import { getSecuritySettings, setRequireMfaForMspStaff } from './service.ts';

let t: TestDatabase;
const people: Record<'admin' | 'operator' | 'companyAdmin' | 'companyUser', Actor> = {} as never;
const ctx = (actor: Actor): ServiceContext => ({ db: t.db, actor });

beforeAll(async () => {
  t = await freshDatabase();
  process.env.DATABASE_URL = t.url;
  const msp = await ensureMspOrganization(t.db);
  const [acme] = await t.db.insert(organizations).values({ name: 'Acme', kind: 'customer' }).returning();
  const make = async (email: string, role: Actor['role'], organizationId: string): Promise<Actor> => {
    const { id } = await createUser(t.db, { email, name: email.split('@')[0]!, password: 'correct horse battery staple', role, organizationId });
    return { kind: 'person', userId: id, email, name: email.split('@')[0]!, role, organizationId };
  };
  people.admin = await make('admin@example.com', 'msp_admin', msp.id);
  people.operator = await make('operator@example.com', 'msp_operator', msp.id);
  people.companyAdmin = await make('boss@acme.example', 'company_admin', acme!.id);
  people.companyUser = await make('user@acme.example', 'company_user', acme!.id);
});
afterAll(async () => {
  await closeDb();
  await t.close();
});

const settingRow = async () => (await t.db.select().from(settings).where(eq(settings.key, REQUIRE_MFA_FOR_MSP_STAFF)))[0];

async function sessionOf(actor: Actor) {
  const { token } = await createSession(actor.userId);
  return { token, session: (await validateSessionToken(token))! };
}

describe('security settings', () => {
  it('is off until an MSP admin turns it on; the change is recorded with who and from/to', async () => {
    expect(await getSecuritySettings(ctx(people.admin))).toMatchObject({ requireMfaForMspStaff: false, updatedBy: null, mspStaffWithoutTwoFactor: 2 });
    const after = await setRequireMfaForMspStaff(ctx(people.admin), true);
    expect(after).toMatchObject({ requireMfaForMspStaff: true, updatedBy: { id: people.admin.userId, email: 'admin@example.com' } });
    expect(await settingRow()).toMatchObject({ value: true, updatedBy: people.admin.userId });
    const events = await t.db.select().from(auditEvents).where(eq(auditEvents.action, 'settings.security.update'));
    expect(events.map((e) => [e.outcome, e.actorId, e.details])).toEqual([['success', people.admin.userId, { from: false, to: true }]]);
  });

  it('only an MSP admin may change it or read it; a refusal changes nothing and is audited', async () => {
    const before = await settingRow();
    await expect(setRequireMfaForMspStaff(ctx(people.operator), false)).rejects.toBeInstanceOf(ForbiddenError);
    for (const actor of [people.companyAdmin, people.companyUser]) {
      const err = await setRequireMfaForMspStaff(ctx(actor), false).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect([403, 404]).toContain((err as AppError).status);
    }
    await expect(getSecuritySettings(ctx(people.operator))).rejects.toBeInstanceOf(ForbiddenError);
    expect(await settingRow()).toEqual(before);
    const denied = await t.db.select().from(auditEvents).where(eq(auditEvents.outcome, 'denied'));
    expect(denied.filter((e) => e.action === 'settings.security.update').map((e) => e.actorId)).toEqual([
      people.operator.userId,
      people.companyAdmin.userId,
      people.companyUser.userId,
      people.operator.userId,
    ]);
  });

  it('when on, MSP staff without two-factor must enrol first and are not signed in; company people are unaffected', async () => {
    expect((await settingRow())?.value).toBe(true);
    const operator = await sessionOf(people.operator);
    expect(await twoFactorState(t.db, operator.session)).toBe('enrolment_needed');
    expect(await authenticate(t.db, { sessionToken: operator.token })).toBeNull();
    const admin = await sessionOf(people.admin);
    expect(await twoFactorState(t.db, admin.session)).toBe('enrolment_needed');

    for (const actor of [people.companyAdmin, people.companyUser]) {
      const company = await sessionOf(actor);
      expect(await twoFactorState(t.db, company.session)).toBe('complete');
      expect(await authenticate(t.db, { sessionToken: company.token })).toMatchObject({ userId: actor.userId, role: actor.role });
    }

    // Turned off again: the same operator session is complete at once.
    await setRequireMfaForMspStaff(ctx(people.admin), false);
    expect(await twoFactorState(t.db, operator.session)).toBe('complete');
    expect(await authenticate(t.db, { sessionToken: operator.token })).toMatchObject({ userId: people.operator.userId });
    const events = await t.db.select().from(auditEvents).where(eq(auditEvents.action, 'settings.security.update'));
    expect(events.filter((e) => e.outcome === 'success').map((e) => e.details)).toEqual([
      { from: false, to: true },
      { from: true, to: false },
    ]);
  });

  it('refuses a value that is not a boolean', async () => {
    await expect(setRequireMfaForMspStaff(ctx(people.admin), 'yes' as unknown as boolean)).rejects.toMatchObject({ fieldErrors: { requireMfaForMspStaff: expect.any(String) } });
  });
});
