// The first MSP admin: from ADMIN_EMAIL/ADMIN_PASSWORD, or with a generated password printed once.
import crypto from 'node:crypto';
import { recordAudit } from '../db/audit.ts';
import type { Db } from '../db/client.ts';
import { countUsers, createUser, ensureMspOrganization, findUserByEmail } from '../db/users.ts';

export interface CreatedAdmin {
  email: string;
  generatedPassword?: string;
}

export async function createMspAdmin(db: Db, email: string, password?: string): Promise<CreatedAdmin> {
  if (await findUserByEmail(db, email)) throw new Error(`a person with the email ${email} already exists`);
  const org = await ensureMspOrganization(db);
  const generatedPassword = password ? undefined : crypto.randomBytes(18).toString('base64url');
  const user = await createUser(db, { email, name: 'MSP admin', password: password ?? generatedPassword!, role: 'msp_admin', organizationId: org.id });
  await recordAudit(db, {
    actorType: 'system',
    actorLabel: 'setup',
    organizationId: org.id,
    action: 'user.create',
    targetType: 'user',
    targetId: user.id,
    outcome: 'success',
    details: { email: user.email, role: user.role },
  });
  return { email: user.email, generatedPassword };
}

/** Creates the first admin when nobody exists yet; returns undefined when people already exist. */
export async function ensureFirstAdmin(db: Db, email: string, password?: string): Promise<CreatedAdmin | undefined> {
  await ensureMspOrganization(db);
  if ((await countUsers(db)) > 0) return undefined;
  return createMspAdmin(db, email, password);
}

export function printGeneratedPassword(admin: CreatedAdmin, label = 'First MSP admin'): void {
  if (!admin.generatedPassword) return;
  // The one place a secret is printed, on purpose and once: nobody could sign in otherwise.
  console.log(`\n  ${`${label}:`.padEnd(16)} ${admin.email}\n  ${'Password:'.padEnd(16)} ${admin.generatedPassword}\n  (shown only now; keep it somewhere safe)\n`);
}
