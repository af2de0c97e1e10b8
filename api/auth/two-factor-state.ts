// Where a session stands with two-factor sign-in: done (or not needed), waiting for a code, or (when an
// MSP admin requires it of MSP staff) waiting for the person to turn it on.
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { settings } from '../../db/schema.ts';
import { MSP_ROLES } from '../authz.ts';
import type { Session } from './sessions.ts';

export const REQUIRE_MFA_FOR_MSP_STAFF = 'security.require_mfa_for_msp_staff';

export async function mfaRequiredForMspStaff(db: Db): Promise<boolean> {
  const [row] = await db.select().from(settings).where(eq(settings.key, REQUIRE_MFA_FOR_MSP_STAFF)).limit(1);
  return row?.value === true;
}

export async function twoFactorState(db: Db, session: Session): Promise<'complete' | 'code_needed' | 'enrolment_needed'> {
  if (session.totpEnabled) return session.twoFactorVerified ? 'complete' : 'code_needed';
  if (MSP_ROLES.includes(session.user.role) && (await mfaRequiredForMspStaff(db))) return 'enrolment_needed';
  return 'complete';
}
