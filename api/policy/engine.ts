// The policy engine: the only place that decides whether an action of a capability may run now, for an
// organization (and an instance, a connection), and whether it needs a confirmation first. Pure: the
// facts are loaded by facts.ts, so every rule is tested without a database (engine.test.ts). ADR 0012.
import type { ApprovalPolicy, CapabilityAction, CapabilityKind, Confirmation, Risk } from '../../db/schema.ts';
import { ROLE_LABELS } from '../authz.ts';
import type { PolicyRule } from './rules.ts';

export interface CapabilityFacts {
  key: string;
  name: string;
  kind: CapabilityKind;
  disabled: boolean;
  actions: CapabilityAction[];
  /** The connection provider it needs, if any. */
  provider: string | null;
}

export interface PermissionFacts {
  enabled: boolean;
  allowedActions: string[];
  confirmation: Confirmation;
  approval: Required<ApprovalPolicy>;
  runsPerHour: number | null;
  runsPerDay: number | null;
  enforced: boolean;
  /** `default`: the catalogue's built-in default (the organization has no permission row of its own). */
  source: 'organization' | 'default';
}

export interface PolicyFacts {
  capabilityKey: string;
  action: string;
  organization: { id: string; name: string };
  capability: CapabilityFacts | null;
  permission: PermissionFacts | null;
  /** When the action is on an instance: what its attachments allow (capability key → actions), or null when it has none. */
  instance?: { name: string; attached: Record<string, string[]> | null };
  /** For a capability that needs a provider: the organization's connection to it, if any. */
  connection?: { name: string; status: string } | null;
  /** Allowed runs of this capability by this organization in the last hour and day. */
  usage: { lastHour: number; lastDay: number };
}

export type Verdict =
  | { outcome: 'allowed'; risk: Risk; sentence: string }
  | { outcome: 'needs_confirmation'; risk: Risk; approval: Required<ApprovalPolicy>; sentence: string }
  | { outcome: 'blocked'; rule: PolicyRule; sentence: string };

const CONFIRMED_RISKS: readonly Risk[] = ['high', 'critical'];

const blocked = (rule: PolicyRule, sentence: string): Verdict => ({ outcome: 'blocked', rule, sentence });

/** The verdict on one action; the rules run in the order of POLICY_RULES and the first that fails decides. */
/**
 * Who may approve, in words: the roles, then the groups, by name when `groupName` knows them (an empty
 * policy is nobody, never everybody). The engine's sentences and the Approvals inbox say it the same way.
 */
export function approversOf(a: Pick<ApprovalPolicy, 'approverRoles' | 'approverGroupIds'>, groupName?: (id: string) => string | undefined): string {
  const groups = a.approverGroupIds ?? [];
  const named = groupName
    ? groups.map((id) => `members of ${groupName(id) ?? 'a deleted group'}`)
    : groups.length
      ? [groups.length === 1 ? 'a member of its approver group' : `a member of one of its ${groups.length} approver groups`]
      : [];
  return [...a.approverRoles.map((r) => ROLE_LABELS[r]), ...named].join(' or ') || 'nobody';
}

/** What a workflow step may ask beyond its permission (protocol/workflow-definition.ts StepConfirmation). */
export interface StricterConfirmation {
  approvalsNeeded?: number;
  approverRoles?: readonly string[];
  approverGroupIds?: readonly string[];
  expiresInHours?: number;
}

/**
 * The permission's approval policy made stricter by a step's confirmation, never wider: more approvals,
 * fewer approvers (a step naming roles or groups keeps only those the permission also names), less time.
 * Naming neither keeps the permission's approvers.
 */
export function stricterApproval(perm: Required<ApprovalPolicy>, step: StricterConfirmation | undefined): Required<ApprovalPolicy> {
  if (!step) return perm;
  const narrowsWho = step.approverRoles !== undefined || step.approverGroupIds !== undefined;
  return {
    approvalsNeeded: Math.max(perm.approvalsNeeded, step.approvalsNeeded ?? 1),
    approverRoles: narrowsWho ? perm.approverRoles.filter((r) => (step.approverRoles ?? []).includes(r)) : perm.approverRoles,
    approverGroupIds: narrowsWho ? perm.approverGroupIds.filter((g) => (step.approverGroupIds ?? []).includes(g)) : perm.approverGroupIds,
    forbidSelfApproval: perm.forbidSelfApproval,
    expiresInHours: Math.min(perm.expiresInHours, step.expiresInHours ?? perm.expiresInHours),
  };
}

export function decide(f: PolicyFacts): Verdict {
  const { capability: cap, permission: perm, action } = f;
  const org = f.organization.name;
  if (!cap) return blocked('capability.unknown', `No capability "${f.capabilityKey}" is in the catalogue.`);
  if (cap.disabled) return blocked('capability.disabled', `${cap.name} is disabled in the catalogue.`);
  const offered = cap.actions.find((a) => a.key === action);
  if (!offered) return blocked('action.unknown', `${cap.name} has no action "${action}".`);
  if (!perm) return blocked('permission.missing', `${org} has no permission for ${cap.name}.`);
  if (!perm.enabled) return blocked('permission.disabled', `${org}’s permission for ${cap.name} is turned off.`);
  if (!perm.allowedActions.includes(action)) return blocked('action.not_allowed', `${org}’s permission for ${cap.name} does not allow ${action}.`);
  if (f.instance?.attached && !f.instance.attached[cap.key]?.includes(action)) {
    return blocked('instance.not_attached', `The capabilities attached to ${f.instance.name} do not include ${cap.name}: ${action}.`);
  }
  if (cap.provider) {
    if (!f.connection) return blocked('connection.missing', `${org} has no ${cap.provider} connection for ${cap.name}.`);
    if (f.connection.status !== 'connected') {
      return blocked('connection.not_connected', `The connection ${f.connection.name} is ${f.connection.status.replaceAll('_', ' ')}, not connected.`);
    }
  }
  if (perm.runsPerHour !== null && f.usage.lastHour >= perm.runsPerHour) {
    return blocked('usage.limit_reached', `${org} has used all ${perm.runsPerHour} runs per hour of ${cap.name}.`);
  }
  if (perm.runsPerDay !== null && f.usage.lastDay >= perm.runsPerDay) {
    return blocked('usage.limit_reached', `${org} has used all ${perm.runsPerDay} runs per day of ${cap.name}.`);
  }
  const confirm = perm.confirmation === 'always' || (perm.confirmation === 'by_risk' && CONFIRMED_RISKS.includes(offered.risk));
  if (!confirm) return { outcome: 'allowed', risk: offered.risk, sentence: `${org} may run ${cap.name}: ${action} now.` };
  const { approvalsNeeded: n } = perm.approval;
  return {
    outcome: 'needs_confirmation',
    risk: offered.risk,
    approval: perm.approval,
    sentence: `${cap.name}: ${action} (${offered.risk} risk) runs after ${n === 1 ? 'one approval' : `${n} approvals by different people`} by ${approversOf(perm.approval)}.`,
  };
}
