// People and the MSP's own organization. Passwords are hashed with Argon2id (OWASP's parameters).
import { hash, verify } from '@node-rs/argon2';
import { eq } from 'drizzle-orm';
import type { Db, Executor } from './client.ts';
import { organizations, users, type Role } from './schema.ts';

const ARGON2 = { memoryCost: 19456, timeCost: 2, parallelism: 1, outputLen: 32 } as const;
export const MSP_ORGANIZATION_NAME = 'Shared infrastructure';

export const hashPassword = (password: string) => hash(password, ARGON2);
export const verifyPassword = (passwordHash: string, password: string) => verify(passwordHash, password).catch(() => false);

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** The MSP's own organization ("shared infrastructure"), created on first use. */
export async function ensureMspOrganization(db: Db): Promise<{ id: string; name: string }> {
  const [existing] = await db.select().from(organizations).where(eq(organizations.kind, 'msp')).limit(1);
  if (existing) return existing;
  const [created] = await db.insert(organizations).values({ name: MSP_ORGANIZATION_NAME, kind: 'msp' }).returning();
  return created!;
}

export async function findUserByEmail(db: Executor, email: string) {
  const [user] = await db
    .select()
    .from(users)
    .where(eq(users.email, normalizeEmail(email)))
    .limit(1);
  return user;
}

export async function createUser(db: Db, input: { email: string; name: string; password: string; role: Role; organizationId: string }) {
  const [user] = await db
    .insert(users)
    .values({
      email: normalizeEmail(input.email),
      name: input.name,
      passwordHash: await hashPassword(input.password),
      role: input.role,
      organizationId: input.organizationId,
    })
    .returning({ id: users.id, email: users.email, role: users.role });
  return user!;
}

export async function countUsers(db: Db): Promise<number> {
  const rows = await db.select({ id: users.id }).from(users).limit(1);
  return rows.length;
}
