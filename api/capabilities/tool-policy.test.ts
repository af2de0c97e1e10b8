import { describe, expect, it } from '@jest/globals';
import { ToolPolicy } from '../../protocol/tool-policy.ts';
import { toolPolicyFor } from './tool-policy.ts';

const group = (key: string, openclawTool: string, allowed: string[], blocked: string[]) => ({
  capabilityKey: key,
  name: key,
  openclawTool,
  allowed,
  blocked: blocked.map((action) => ({ action, rule: 'instance.not_attached', sentence: 'x' })),
});

describe('toolPolicyFor', () => {
  it('adds the allowed tools to the smallest profile, denies the blocked ones, and asks before commands while the policy is in force', () => {
    const { policy, summary } = toolPolicyFor([
      group('openclaw.fs', 'group:fs', ['read'], ['write', 'edit', 'apply_patch']),
      group('openclaw.runtime', 'group:runtime', [], ['exec', 'process', 'code_execution']),
      { capabilityKey: 'openclaw.exec_approval', name: 'Ask', openclawTool: 'tools.exec', allowed: ['enforce'], blocked: [] },
      // Not an OpenClaw tool group: not part of the gateway's policy.
      group('google_drive', '', ['files.list'], []),
    ]);
    expect(policy).toEqual({
      profile: 'minimal',
      alsoAllow: ['read'],
      deny: ['apply_patch', 'code_execution', 'edit', 'exec', 'process', 'write'],
      exec: { security: 'allowlist', ask: 'always' },
    });
    expect(ToolPolicy.safeParse(policy).success).toBe(true);
    expect(summary).toBe('Allow read; deny apply_patch, code_execution, edit, exec, process, write; commands are asked for first.');
  });

  it('allows nothing beyond the profile when nothing is allowed', () => {
    expect(toolPolicyFor([group('openclaw.web', 'group:web', [], ['web_search'])]).policy).toEqual({ profile: 'minimal', deny: ['web_search'] });
  });
});
