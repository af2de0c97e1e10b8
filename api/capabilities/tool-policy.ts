// An instance's effective capabilities, rendered into its gateway's own tool policy (protocol/tool-policy.ts):
// the smallest profile, the OpenClaw tools the policy engine allows added to it, the ones it blocks denied
// by name (deny wins in OpenClaw), and commands asked for first while the command-approval policy is in force.
import type { ToolPolicy } from '../../protocol/tool-policy.ts';
import type { EffectiveCapability } from './attachments.ts';

/** The catalogue entry whose `enforce` action puts the exec approval in force (api/capabilities/catalogue.ts). */
const EXEC_APPROVAL = 'openclaw.exec_approval';

export function toolPolicyFor(effective: EffectiveCapability[]): { policy: ToolPolicy; summary: string } {
  const groups = effective.filter((e) => e.openclawTool?.startsWith('group:'));
  const allowed = [...new Set(groups.flatMap((g) => g.allowed))].sort();
  const denied = [...new Set(groups.flatMap((g) => g.blocked.map((b) => b.action)))].sort();
  const askFirst = effective.some((e) => e.capabilityKey === EXEC_APPROVAL && e.allowed.includes('enforce'));
  const policy: ToolPolicy = {
    profile: 'minimal',
    ...(allowed.length ? { alsoAllow: allowed } : {}),
    ...(denied.length ? { deny: denied } : {}),
    ...(askFirst ? { exec: { security: 'allowlist', ask: 'always' } } : {}),
  };
  const list = (tools: string[]) => (tools.length ? tools.join(', ') : 'none');
  const summary = `Allow ${list(allowed)}; deny ${list(denied)}${askFirst ? '; commands are asked for first' : ''}.`;
  return { policy, summary: summary.length > 500 ? `${summary.slice(0, 497)}...` : summary };
}
