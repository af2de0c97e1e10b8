// Who may do what, by role. Shared by the server (which enforces it) and the UI (which only mirrors it).
import type { Role } from '../../../db/schema.ts';

export const ROLE_LABELS: Record<Role, string> = {
  msp_admin: 'MSP admin',
  msp_operator: 'MSP operator',
  company_admin: 'Company admin',
  company_user: 'Company user',
};

const MSP_STAFF: Role[] = ['msp_admin', 'msp_operator'];
const EVERYONE: Role[] = ['msp_admin', 'msp_operator', 'company_admin', 'company_user'];

const RULES = {
  'system.view': MSP_STAFF,
  'system.readiness_check.start': MSP_STAFF,
  'audit.view': ['msp_admin', 'msp_operator', 'company_admin'],
  'console.view': EVERYONE,
} satisfies Record<string, Role[]>;

export type Permission = keyof typeof RULES;

export const can = (role: Role, permission: Permission): boolean => (RULES[permission] as Role[]).includes(role);
