// The part of an OpenClaw gateway's configuration (openclaw.json) that the product manages: its tool
// policy. The field names and values are those of the openclaw version the bundle ships (2026.9.6:
// docs/gateway/config-tools/tool-policy.md and docs/tools/exec-approvals.md in the package), checked
// against its own `openclaw config validate`: `tools.profile`, `tools.allow` / `tools.alsoAllow` /
// `tools.deny` (tool ids, `group:<name>` groups such as group:runtime, and `*` wildcards; deny wins) and
// the exec policy `tools.exec.security` / `tools.exec.ask`, or its newer single field `tools.exec.mode`.
// Every other key of the file (GATEWAY_CONFIG, channels, other tools.* settings) is kept as it is.
//
// Drift is decided on the file's whole `tools` section, hashed as canonical JSON: a hand edit of any
// tool setting (tools.elevated, tools.byProvider, …) can widen what the gateway may do, so it counts;
// changes elsewhere in the file (which may hold secrets) are neither hashed nor reported.
import crypto from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from './canonical-json.ts';

/** A tool id, a `group:<name>`, or a pattern with `*` (OpenClaw matches them case-insensitively). */
const ToolName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_*:.-]+$/, 'must be a tool id, a group:<name> or a pattern of letters, digits, _ - . : and *');
const ToolList = z.array(ToolName).max(200);

export const TOOL_PROFILES = ['minimal', 'coding', 'messaging', 'full'] as const;

export const ExecPolicy = z
  .strictObject({
    security: z.enum(['deny', 'allowlist', 'full']).optional(),
    ask: z.enum(['off', 'on-miss', 'always']).optional(),
    /** The newer single field; OpenClaw refuses it beside `security` or `ask`. */
    mode: z.enum(['deny', 'allowlist', 'ask', 'auto', 'full']).optional(),
  })
  .refine((e) => !(e.mode && (e.security || e.ask)), { message: 'exec.mode cannot be combined with exec.security or exec.ask (OpenClaw refuses the mix)', path: ['mode'] });

export const ToolPolicy = z
  .strictObject({
    profile: z.enum(TOOL_PROFILES).optional(),
    allow: ToolList.optional(),
    alsoAllow: ToolList.optional(),
    deny: ToolList.optional(),
    exec: ExecPolicy.optional(),
  })
  .refine((p) => !(p.allow && p.alsoAllow), {
    message: 'allow and alsoAllow cannot both be set (OpenClaw refuses it: use profile + alsoAllow, or allow alone)',
    path: ['alsoAllow'],
  });
export type ToolPolicy = z.infer<typeof ToolPolicy>;

/** The keys of `tools` (and of `tools.exec`) that a ToolPolicy owns: absent from the policy means removed. */
const POLICY_KEYS = ['profile', 'allow', 'alsoAllow', 'deny'] as const;
const EXEC_KEYS = ['security', 'ask', 'mode'] as const;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The config's `tools` section ({} when it has none). */
export const toolsSection = (config: unknown): Json => (isObject(config) && isObject(config.tools) ? config.tools : {});

/**
 * The config with `policy` as its tool policy: the policy's fields set, the managed fields it leaves out
 * removed (the policy is the whole desired state of them), everything else kept. Pure: `config` is not
 * changed.
 */
export function mergeToolPolicy(config: Json, policy: ToolPolicy): Json {
  const tools: Json = { ...toolsSection(config) };
  for (const key of POLICY_KEYS) {
    if (policy[key] === undefined) delete tools[key];
    else tools[key] = policy[key];
  }
  const exec: Json = isObject(tools.exec) ? { ...tools.exec } : {};
  for (const key of EXEC_KEYS) {
    if (policy.exec?.[key] === undefined) delete exec[key];
    else exec[key] = policy.exec[key];
  }
  if (Object.keys(exec).length) tools.exec = exec;
  else delete tools.exec;
  const merged: Json = { ...config };
  if (Object.keys(tools).length) merged.tools = tools;
  else delete merged.tools;
  return merged;
}

/**
 * The managed part of a config as a policy, as far as it reads as one (a hand-edited file may hold
 * values the schema refuses: those are left out here; the hash still sees them).
 */
export function managedToolPolicy(config: unknown): ToolPolicy {
  const tools = toolsSection(config);
  const exec = isObject(tools.exec) ? tools.exec : {};
  const candidate: Json = {};
  for (const key of POLICY_KEYS) if (tools[key] !== undefined) candidate[key] = tools[key];
  const execPart: Json = {};
  for (const key of EXEC_KEYS) if (exec[key] !== undefined) execPart[key] = exec[key];
  if (Object.keys(execPart).length) candidate.exec = execPart;
  const parsed = ToolPolicy.safeParse(candidate);
  if (parsed.success) return parsed.data;
  // Keep each field that is valid on its own.
  const kept: Json = {};
  for (const [key, value] of Object.entries(candidate)) if (ToolPolicy.safeParse({ [key]: value }).success) kept[key] = value;
  return ToolPolicy.safeParse(kept).success ? (kept as ToolPolicy) : {};
}

/** `sha256:<hex>` of the canonical JSON of the config's `tools` section: what drift compares. */
export const toolsConfigHash = (config: unknown): string =>
  `sha256:${crypto
    .createHash('sha256')
    .update(canonicalJson(toolsSection(config)))
    .digest('hex')}`;

/** The hash of a file that is not a JSON object (a hand edit gone wrong): never equal to a config's. */
export const unreadableConfigHash = (raw: string): string => `unreadable:sha256:${crypto.createHash('sha256').update(raw).digest('hex')}`;

/** How a gateway's tool list is reported: what a session may call, and what its catalogue has that it may not. */
export const EffectiveTools = z.object({
  /** The tool profile the gateway reports for its session (null when unset). */
  profile: z.string().nullable(),
  /** Tool ids a session of the gateway's default agent may call now (`tools.effective`). */
  allowed: z.array(z.string()),
  /** Tool ids of the gateway's catalogue (`tools.catalog`) that such a session may not call: policy, profile or availability. */
  denied: z.array(z.string()),
});
export type EffectiveTools = z.infer<typeof EffectiveTools>;
