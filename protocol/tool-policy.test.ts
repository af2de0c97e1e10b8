import { describe, expect, it } from '@jest/globals';
import { managedToolPolicy, mergeToolPolicy, ToolPolicy, toolsConfigHash, unreadableConfigHash } from './tool-policy.ts';

const GATEWAY = { models: { catalogRefresh: { enabled: false } }, update: { checkOnStart: false } };

describe('ToolPolicy', () => {
  it('takes the fields OpenClaw 2026.9.6 validates, and refuses what its own schema refuses', () => {
    expect(ToolPolicy.parse({ profile: 'coding', deny: ['group:runtime', 'browser'], exec: { security: 'deny', ask: 'always' } })).toBeTruthy();
    expect(ToolPolicy.safeParse({ profile: 'bogus' }).success).toBe(false);
    // `openclaw config validate`: "tools cannot set both allow and alsoAllow in the same scope".
    expect(ToolPolicy.safeParse({ allow: ['exec'], alsoAllow: ['read'] }).error?.issues[0]).toMatchObject({ path: ['alsoAllow'] });
    // "mode cannot be combined with security or ask in the same exec object".
    expect(ToolPolicy.safeParse({ exec: { mode: 'deny', security: 'deny' } }).error?.issues[0]).toMatchObject({ path: ['exec', 'mode'] });
    expect(ToolPolicy.safeParse({ exec: { security: 'nope' } }).success).toBe(false);
    expect(ToolPolicy.safeParse({ deny: ['rm -rf /'] }).success).toBe(false);
    expect(ToolPolicy.safeParse({ elevated: { enabled: true } }).success).toBe(false); // not ours to manage
  });
});

describe('mergeToolPolicy', () => {
  it("sets the policy's fields and keeps everything else of the file, GATEWAY_CONFIG included", () => {
    const config = { ...GATEWAY, channels: { x: { enabled: true } }, tools: { elevated: { enabled: false }, exec: { host: 'gateway' } } };
    const merged = mergeToolPolicy(config, { profile: 'coding', deny: ['exec'], exec: { security: 'deny' } });
    expect(merged).toEqual({
      ...GATEWAY,
      channels: { x: { enabled: true } },
      tools: { elevated: { enabled: false }, profile: 'coding', deny: ['exec'], exec: { host: 'gateway', security: 'deny' } },
    });
    expect(config.tools).toEqual({ elevated: { enabled: false }, exec: { host: 'gateway' } }); // untouched
  });

  it('removes managed fields the policy leaves out (the policy is their whole desired state), and empty sections', () => {
    const config = { ...GATEWAY, tools: { profile: 'full', allow: ['*'], exec: { mode: 'full' } } };
    expect(mergeToolPolicy(config, { alsoAllow: ['read'] })).toEqual({ ...GATEWAY, tools: { alsoAllow: ['read'] } });
    expect(mergeToolPolicy(config, {})).toEqual(GATEWAY);
  });

  it('reads back as the policy it wrote', () => {
    const policy: ToolPolicy = { profile: 'messaging', deny: ['group:runtime'], exec: { security: 'allowlist', ask: 'on-miss' } };
    expect(managedToolPolicy(mergeToolPolicy({ tools: { elevated: {} } }, policy))).toEqual(policy);
  });
});

describe('managedToolPolicy', () => {
  it('keeps the fields of a hand-edited file that read as a policy, and leaves out those that do not', () => {
    expect(managedToolPolicy({ tools: { profile: 'weird', deny: ['exec'], exec: { security: 'deny' } } })).toEqual({ deny: ['exec'], exec: { security: 'deny' } });
    expect(managedToolPolicy(null)).toEqual({});
  });
});

describe('toolsConfigHash', () => {
  it('hashes the tools section only, canonically: key order and the rest of the file do not count', () => {
    const a = { tools: { profile: 'coding', deny: ['exec'] }, gateway: { auth: { token: 'x' } } };
    const b = { update: { checkOnStart: true }, tools: { deny: ['exec'], profile: 'coding' } };
    expect(toolsConfigHash(a)).toBe(toolsConfigHash(b));
    expect(toolsConfigHash(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('changes with any tool setting, also one outside the managed fields', () => {
    const base = { tools: { deny: ['exec'] } };
    expect(toolsConfigHash({ tools: { deny: ['exec'], elevated: { enabled: true } } })).not.toBe(toolsConfigHash(base));
    expect(toolsConfigHash({ tools: { deny: [] } })).not.toBe(toolsConfigHash(base));
    expect(toolsConfigHash({})).toBe(toolsConfigHash({ tools: {} }));
  });

  it('never equals the hash of an unreadable file', () => {
    expect(unreadableConfigHash('{ tools: ')).toMatch(/^unreadable:sha256:/);
  });
});
