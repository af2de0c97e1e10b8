// Where a session stands with two-factor sign-in: done (or not needed), waiting for a code, or (when an
// MSP admin requires it of MSP staff) waiting for the person to turn it on.
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { settings, type Role } from '../../db/schema.ts';
import { MSP_ROLES } from '../authz.ts';
import type { Session } from './sessions.ts';

export const REQUIRE_MFA_FOR_MSP_STAFF = 'security.require_mfa_for_msp_staff';

export async function mfaRequiredForMspStaff(db: Db): Promise<boolean> {
  const [row] = await db.select().from(settings).where(eq(settings.key, REQUIRE_MFA_FOR_MSP_STAFF)).limit(1);
  return row?.value === true;
}

/**
 * Whether a person owes a second factor they have not set up: MSP staff without two-factor sign-in while
 * an MSP admin requires it. Such a person's session is not signed in, and their API tokens do not work.
 */
export async function owesTwoFactorEnrolment(db: Db, person: { role: Role; totpEnabled: boolean }): Promise<boolean> {
  return !person.totpEnabled && MSP_ROLES.includes(person.role) && (await mfaRequiredForMspStaff(db));
}

export async function twoFactorState(db: Db, session: Session): Promise<'complete' | 'code_needed' | 'enrolment_needed'> {
  if (session.totpEnabled) return session.twoFactorVerified ? 'complete' : 'code_needed';
  if (await owesTwoFactorEnrolment(db, { role: session.user.role, totpEnabled: false })) return 'enrolment_needed';
  return 'complete';
}
