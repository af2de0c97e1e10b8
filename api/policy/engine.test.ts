import { describe, expect, it } from '@jest/globals';
import { approversOf, decide, stricterApproval, type PolicyFacts } from './engine.ts';
import { POLICY_RULES } from './rules.ts';

const approval = { approvalsNeeded: 1, approverRoles: ['msp_admin' as const], approverGroupIds: [], forbidSelfApproval: true, expiresInHours: 24 };

/** Facts under which everything passes: each test breaks one (or several, for precedence). */
const passing = (): PolicyFacts => ({
  capabilityKey: 'google_drive',
  action: 'files.list',
  organization: { id: 'o1', name: 'Acme' },
  capability: {
    key: 'google_drive',
    name: 'Google Drive',
    kind: 'tool',
    disabled: false,
    provider: 'google_drive',
    actions: [
      { key: 'files.list', risk: 'low', description: 'List files' },
      { key: 'files.delete', risk: 'critical', description: 'Delete a file' },
    ],
  },
  permission: {
    enabled: true,
    allowedActions: ['files.list', 'files.delete'],
    confirmation: 'by_risk',
    approval,
    runsPerHour: 10,
    runsPerDay: 100,
    enforced: false,
    source: 'organization',
  },
  instance: { name: 'acme-gw', attached: { google_drive: ['files.list', 'files.delete'] } },
  connection: { name: 'Acme Drive', status: 'connected' },
  usage: { lastHour: 0, lastDay: 0 },
});

/** One way to break each rule, in POLICY_RULES order. */
const BREAKS: Record<(typeof POLICY_RULES)[number]['rule'], (f: PolicyFacts) => void> = {
  'capability.unknown': (f) => {
    f.capability = null;
  },
  'capability.disabled': (f) => {
    f.capability!.disabled = true;
  },
  'action.unknown': (f) => {
    f.action = 'files.rename';
  },
  'permission.missing': (f) => {
    f.permission = null;
  },
  'permission.disabled': (f) => {
    f.permission!.enabled = false;
  },
  'action.not_allowed': (f) => {
    f.permission!.allowedActions = ['files.delete'];
  },
  'instance.not_attached': (f) => {
    f.instance = { name: 'acme-gw', attached: { google_drive: ['files.delete'] } };
  },
  'connection.missing': (f) => {
    f.connection = null;
  },
  'connection.not_connected': (f) => {
    f.connection = { name: 'Acme Drive', status: 'needs_reconnect' };
  },
  'usage.limit_reached': (f) => {
    f.usage = { lastHour: 10, lastDay: 10 };
  },
};

describe('policy engine', () => {
  it('allows a low-risk action that every rule lets through', () => {
    expect(decide(passing())).toEqual({ outcome: 'allowed', risk: 'low', sentence: 'Acme may run Google Drive: files.list now.' });
  });

  it.each(POLICY_RULES.map((r) => r.rule))('blocks with %s, and names it', (rule) => {
    const f = passing();
    BREAKS[rule](f);
    const verdict = decide(f);
    expect(verdict).toMatchObject({ outcome: 'blocked', rule });
    expect(verdict.sentence.length).toBeGreaterThan(10);
  });

  it('checks the rules in their listed order: with every rule broken from the n-th on, the n-th names the verdict', () => {
    const rules = POLICY_RULES.map((r) => r.rule);
    rules.forEach((rule, n) => {
      const f = passing();
      // Break the later rules first: breaking an earlier rule can remove what a later one needs.
      for (const later of rules.slice(n).reverse()) BREAKS[later](f);
      expect(decide(f)).toMatchObject({ outcome: 'blocked', rule });
    });
  });

  it('blocks at the daily limit even with hourly runs to spare', () => {
    const f = passing();
    f.usage = { lastHour: 0, lastDay: 100 };
    expect(decide(f)).toMatchObject({ rule: 'usage.limit_reached', sentence: 'Acme has used all 100 runs per day of Google Drive.' });
  });

  it('counts no limit where the permission sets none', () => {
    const f = passing();
    f.permission!.runsPerHour = null;
    f.permission!.runsPerDay = null;
    f.usage = { lastHour: 10_000, lastDay: 10_000 };
    expect(decide(f).outcome).toBe('allowed');
  });

  it('asks for a confirmation of high and critical actions by default, with the permission’s approval policy', () => {
    const f = passing();
    f.action = 'files.delete';
    expect(decide(f)).toEqual({
      outcome: 'needs_confirmation',
      risk: 'critical',
      approval,
      sentence: 'Google Drive: files.delete (critical risk) runs after one approval by MSP admin.',
    });
  });

  it('confirms every action when the permission says always, and none when it says never', () => {
    const always = passing();
    always.permission!.confirmation = 'always';
    expect(decide(always).outcome).toBe('needs_confirmation');
    const never = passing();
    never.permission!.confirmation = 'never';
    never.action = 'files.delete';
    expect(decide(never).outcome).toBe('allowed');
  });

  it('lets an instance without attachments use what its organization may', () => {
    const f = passing();
    f.instance = { name: 'acme-gw', attached: null };
    expect(decide(f).outcome).toBe('allowed');
  });

  it('asks for no connection when the capability needs no provider', () => {
    const f = passing();
    f.capability!.provider = null;
    f.connection = null;
    expect(decide(f).outcome).toBe('allowed');
  });
});

describe('a step’s stricter confirmation', () => {
  const perm = {
    approvalsNeeded: 1,
    approverRoles: ['msp_admin' as const, 'msp_operator' as const],
    approverGroupIds: ['g-acme', 'g-msp'],
    forbidSelfApproval: true,
    expiresInHours: 24,
  };
  it('asks for more approvals and less time, never fewer or more', () => {
    expect(stricterApproval(perm, { approvalsNeeded: 2, expiresInHours: 48 })).toEqual({ ...perm, approvalsNeeded: 2, expiresInHours: 24 });
    expect(stricterApproval({ ...perm, approvalsNeeded: 3 }, { approvalsNeeded: 2, expiresInHours: 2 })).toMatchObject({ approvalsNeeded: 3, expiresInHours: 2 });
  });
  it('keeps only the approvers both name: a step cannot add a role or a group the permission does not name', () => {
    expect(stricterApproval(perm, { approverGroupIds: ['g-acme', 'g-other'] })).toMatchObject({ approverRoles: [], approverGroupIds: ['g-acme'] });
    expect(stricterApproval(perm, { approverRoles: ['msp_admin', 'company_admin'] })).toMatchObject({ approverRoles: ['msp_admin'], approverGroupIds: [] });
    expect(stricterApproval(perm, undefined)).toBe(perm);
  });
  it('says who may approve in words, and nobody when nobody may', () => {
    expect(approversOf(perm)).toBe('MSP admin or MSP operator or a member of one of its 2 approver groups');
    expect(approversOf(stricterApproval(perm, { approverGroupIds: [] }))).toBe('nobody');
  });
});
