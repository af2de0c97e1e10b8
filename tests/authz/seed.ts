// The world the authorization matrix runs in: the MSP with an admin and an operator, and two customers
// (A and B), each with a company admin and a company user, a node and a pending invitation. Every
// person has a session cookie and a personal API token with every scope (so the role alone decides).
import crypto from 'node:crypto';
import type { Actor } from '../../api/authz.ts';
import { createSession, SESSION_COOKIE } from '../../api/auth/sessions.ts';
import { createToken } from '../../api/tokens/service.ts';
import type { Db } from '../../db/client.ts';
import { invitations, nodes, organizations, TOKEN_SCOPES, type Role } from '../../db/schema.ts';
import { createUser, ensureMspOrganization } from '../../db/users.ts';

export const ROLES_UNDER_TEST = ['anonymous', 'msp_admin', 'msp_operator', 'company_admin', 'company_user'] as const;
export type RoleUnderTest = (typeof ROLES_UNDER_TEST)[number];

export interface Credentials {
  actor: Actor;
  cookie: string;
  token: string;
}

export interface Seed {
  db: Db;
  msp: string;
  orgA: string;
  orgB: string;
  people: Record<Exclude<RoleUnderTest, 'anonymous'>, Credentials> & { adminB: Credentials; userB: Credentials };
  nodeA: string;
  nodeB: string;
  invitationA: string;
  invitationB: string;
  /** A fresh customer organization, for cases that change or archive one. */
  freshOrganization(): Promise<string>;
  /** A fresh person of a role in an organization, for cases that deactivate one. */
  freshPerson(organizationId: string, role: Role): Promise<string>;
  freshNode(organizationId: string): Promise<string>;
  freshInvitation(organizationId: string): Promise<string>;
  freshToken(of: Credentials): Promise<string>;
  unique(prefix: string): string;
}

export async function seedWorld(db: Db): Promise<Seed> {
  let n = 0;
  const unique = (prefix: string) => `${prefix}-${++n}-${crypto.randomBytes(3).toString('hex')}`;
  const org = async (name: string) => (await db.insert(organizations).values({ name, kind: 'customer' }).returning())[0]!.id;
  const msp = (await ensureMspOrganization(db)).id;
  const orgA = await org('Customer A');
  const orgB = await org('Customer B');

  async function person(role: Role, organizationId: string): Promise<Credentials> {
    const email = `${unique(role)}@matrix.test`;
    const user = await createUser(db, { email, name: email, password: 'matrix-password-123', role, organizationId });
    const actor: Actor = { kind: 'person', userId: user.id, email, name: email, role, organizationId };
    const { token: sessionToken } = await createSession(user.id);
    const { token } = await createToken({ db, actor }, { name: 'matrix', scopes: TOKEN_SCOPES });
    return { actor, cookie: `${SESSION_COOKIE}=${sessionToken}`, token };
  }

  const node = async (organizationId: string) =>
    (
      await db
        .insert(nodes)
        .values({ organizationId, name: unique('node') })
        .returning()
    )[0]!.id;
  const invitation = async (organizationId: string) =>
    (
      await db
        .insert(invitations)
        .values({
          organizationId,
          email: `${unique('invitee')}@matrix.test`,
          role: 'company_user',
          tokenHash: crypto.randomBytes(32).toString('hex'),
          expiresAt: new Date(Date.now() + 86_400_000),
        })
        .returning()
    )[0]!.id;

  const people = {
    msp_admin: await person('msp_admin', msp),
    msp_operator: await person('msp_operator', msp),
    company_admin: await person('company_admin', orgA),
    company_user: await person('company_user', orgA),
    adminB: await person('company_admin', orgB),
    userB: await person('company_user', orgB),
  };
  return {
    db,
    msp,
    orgA,
    orgB,
    people,
    nodeA: await node(orgA),
    nodeB: await node(orgB),
    invitationA: await invitation(orgA),
    invitationB: await invitation(orgB),
    freshOrganization: () => org(unique('Fresh org')),
    freshPerson: async (organizationId, role) => (await person(role, organizationId)).actor.userId,
    freshNode: node,
    freshInvitation: invitation,
    freshToken: async (of) => (await createToken({ db, actor: of.actor }, { name: unique('token') })).record.id,
    unique,
  };
}
