// Product-wide security settings, changed by MSP admins only: for now, whether every MSP staff member
// must use two-factor sign-in (enforced per request by api/auth/two-factor-state.ts).
import { and, count, eq, inArray, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { settings, users } from '../../db/schema.ts';
import { REQUIRE_MFA_FOR_MSP_STAFF } from '../auth/two-factor-state.ts';
import { filedUnderActor, recordSuccess } from '../audit/record.ts';
import { authorize, MSP_ROLES, type ServiceContext } from '../authz.ts';
import { parseInput } from '../errors.ts';

export interface SecuritySettings {
  requireMfaForMspStaff: boolean;
  updatedAt: string | null;
  updatedBy: { id: string; name: string; email: string } | null;
  /** Active MSP staff who have not turned two-factor sign-in on (they are sent to enrol when it is required). */
  mspStaffWithoutTwoFactor: number;
}

export async function getSecuritySettings(ctx: ServiceContext): Promise<SecuritySettings> {
  await authorize(ctx, 'settings.security.update');
  const [row] = await ctx.db
    .select({ value: settings.value, updatedAt: settings.updatedAt, byId: users.id, byName: users.name, byEmail: users.email })
    .from(settings)
    .leftJoin(users, eq(users.id, settings.updatedBy))
    .where(eq(settings.key, REQUIRE_MFA_FOR_MSP_STAFF))
    .limit(1);
  const [without] = await ctx.db
    .select({ n: count() })
    .from(users)
    .where(and(inArray(users.role, [...MSP_ROLES]), eq(users.active, true), isNull(users.totpEnabledAt)));
  return {
    requireMfaForMspStaff: row?.value === true,
    updatedAt: row?.updatedAt.toISOString() ?? null,
    updatedBy: row?.byId ? { id: row.byId, name: row.byName ?? '', email: row.byEmail ?? '' } : null,
    mspStaffWithoutTwoFactor: without!.n,
  };
}

export async function setRequireMfaForMspStaff(ctx: ServiceContext, value: boolean): Promise<SecuritySettings> {
  await authorize(ctx, 'settings.security.update');
  const to = parseInput(z.object({ requireMfaForMspStaff: z.boolean() }), { requireMfaForMspStaff: value }).requireMfaForMspStaff;
  // The change and its audit event commit together; the row is locked so the recorded "from" is exact.
  await ctx.db.transaction(async (tx) => {
    const [before] = await tx.select({ value: settings.value }).from(settings).where(eq(settings.key, REQUIRE_MFA_FOR_MSP_STAFF)).for('update');
    const from = before?.value === true;
    const now = new Date();
    await tx
      .insert(settings)
      .values({ key: REQUIRE_MFA_FOR_MSP_STAFF, value: to, updatedBy: ctx.actor.userId, updatedAt: now })
      .onConflictDoUpdate({ target: settings.key, set: { value: to, updatedBy: ctx.actor.userId, updatedAt: now } });
    await recordSuccess(tx, ctx.actor, 'settings.security.update', filedUnderActor(ctx.actor, 'setting', REQUIRE_MFA_FOR_MSP_STAFF), { from, to });
  });
  return getSecuritySettings(ctx);
}
