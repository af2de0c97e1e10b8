// An instance's tool policy, enforced by the gateway itself: read it, or apply one. Applying merges the
// policy into the gateway's configuration file (protocol/tool-policy.ts), has the gateway's own
// `openclaw config validate` check the result in a candidate file BEFORE the real one changes (a refusal
// writes nothing), moves the candidate into place (a rename: the gateway's file watcher never sees half a
// file), waits for the gateway's hot reload (or restarts it), and proves the outcome by asking the
// running gateway which tools a session may call.
import type Dockerode from 'dockerode';
import { redact } from '../../infra/redact.ts';
import type { AppliedToolPolicy, InstanceRef, ToolPolicyState } from '../../protocol/node-actions.ts';
import { canonicalJson } from '../../protocol/canonical-json.ts';
import { managedToolPolicy, mergeToolPolicy, toolsConfigHash, toolsSection, type EffectiveTools, type ToolPolicy } from '../../protocol/tool-policy.ts';
import type { Progress } from '../../protocol/step-progress.ts';
import { GATEWAY_CONFIG } from './bundle.ts';
import { gatewayCall, validateConfig } from './gateway-cli.ts';
import { configPathOf, inWritableMount, ownerOf, parseConfig, readFileFrom, writeFileInto } from './gateway-config.ts';
import { execIn, rejoinHelper, restartGateway, waitHealthy } from './health.ts';

/** The session the agent reads effective tools for: `tools.effective` answers for an existing session only. */
export const PROBE_SESSION = 'agent:main:anthropy-works-policy-probe';

/** How long the gateway's own reload may take before the agent restarts it instead. */
const HOT_RELOAD_MS = 20_000;

interface Target {
  info: Dockerode.ContainerInspectInfo;
  configPath: string;
  /** Where the CLI runs: the helper when it runs (upstream's way), else the gateway container itself. */
  cliIn: string;
}

async function targetOf(docker: Dockerode, ref: InstanceRef): Promise<Target> {
  await rejoinHelper(docker, ref);
  const info = await docker.getContainer(ref.gatewayId).inspect();
  if (!info.State.Running) throw new Error(`the gateway container is ${info.State.Status}: start it first`);
  const cli = ref.cliId
    ? await docker
        .getContainer(ref.cliId)
        .inspect()
        .catch(() => undefined)
    : undefined;
  return { info, configPath: configPathOf(info), cliIn: cli?.State.Running ? cli.Id : info.Id };
}

const idsOf = (doc: Record<string, unknown>): string[] =>
  ((doc.groups as { tools?: { id?: unknown }[] }[] | undefined) ?? []).flatMap((g) => (g.tools ?? []).map((t) => String(t.id))).filter((id) => id !== 'undefined');

/** What the running gateway lets a session call, and what of its catalogue it does not. */
export async function effectiveTools(docker: Dockerode, cliIn: string, port: number): Promise<EffectiveTools> {
  // Creating an existing key adopts it unchanged: the probe session is made once per gateway.
  await gatewayCall(docker, cliIn, port, 'sessions.create', { key: PROBE_SESSION });
  const effective = await gatewayCall(docker, cliIn, port, 'tools.effective', { sessionKey: PROBE_SESSION });
  const catalog = await gatewayCall(docker, cliIn, port, 'tools.catalog');
  const allowed = [...new Set(idsOf(effective))].sort();
  const denied = [...new Set(idsOf(catalog))].filter((id) => !allowed.includes(id)).sort();
  return { profile: typeof effective.profile === 'string' ? effective.profile : null, allowed, denied };
}

async function readConfig(docker: Dockerode, target: Target) {
  const file = parseConfig(await readFileFrom(docker, target.info.Id, target.configPath));
  if (file.config === null) throw new Error(`the gateway's configuration ${target.configPath} cannot be read: ${file.problem}`);
  return file;
}

export async function readToolPolicy(docker: Dockerode, ref: InstanceRef): Promise<ToolPolicyState> {
  const target = await targetOf(docker, ref);
  const { config } = await readConfig(docker, target);
  return {
    configPath: target.configPath,
    hash: toolsConfigHash(config),
    policy: managedToolPolicy(config),
    // Into Temporal's history: secret-looking values (tools.web.search.apiKey, say) redacted.
    tools: redact(toolsSection(config)),
    effective: await effectiveTools(docker, target.cliIn, ref.port),
  };
}

/** Tool ids the policy denies by name (not groups or patterns, whose members the gateway decides). */
const namedDenials = (policy: ToolPolicy) => (policy.deny ?? []).filter((d) => !d.includes(':') && !d.includes('*')).map((d) => d.toLowerCase());

/** Waits until the running gateway's configuration has the policy; false when it did not within `ms`. */
async function reloaded(docker: Dockerode, target: Target, port: number, wanted: Record<string, unknown>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  const want = canonicalJson(managedToolPolicy(wanted));
  while (Date.now() < deadline) {
    const answer = await gatewayCall(docker, target.cliIn, port, 'config.get').catch(() => undefined);
    if (answer && canonicalJson(managedToolPolicy(answer.runtimeConfig)) === want) return true;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return false;
}

const applying = (message: string) => ({ step: 'applying the tool policy', message });

export async function applyToolPolicy(docker: Dockerode, ref: InstanceRef & { policy: ToolPolicy }, opts: { timeoutMs: number; progress?: Progress }): Promise<AppliedToolPolicy> {
  const target = await targetOf(docker, ref);
  const { configPath, info } = target;
  if (!inWritableMount(info, configPath)) {
    throw new Error(
      `the gateway reads its configuration from ${configPath}, which is in its image (read-only), not in a volume: it was deployed before configurations moved to the state volume; remove it (keeping its data) and deploy it again`,
    );
  }
  const current = await readConfig(docker, target);
  const merged = mergeToolPolicy(current.raw === null ? { ...GATEWAY_CONFIG } : current.config, ref.policy);
  const changed = current.raw === null || canonicalJson(merged) !== canonicalJson(current.config);
  let reload: AppliedToolPolicy['reload'] = 'none';
  let writtenAt = new Date().toISOString();
  if (changed) {
    const candidate = `${configPath}.anthropy-candidate`;
    const removeCandidate = () => execIn(docker, target.cliIn, ['node', '-e', 'require("fs").rmSync(process.argv[1], { force: true })', candidate]);
    opts.progress?.(applying("validating the configuration with the gateway's own schema"));
    await writeFileInto(docker, info.Id, candidate, `${JSON.stringify(merged, null, 2)}\n`, ownerOf(info));
    const verdict = await validateConfig(docker, target.cliIn, candidate).catch(async (err: Error) => {
      await removeCandidate();
      throw err;
    });
    if (!verdict.valid) {
      await removeCandidate();
      const issues = verdict.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
      throw new Error(`OpenClaw's own validation refused the configuration, so nothing was written: ${issues}`);
    }
    opts.progress?.(applying('writing the configuration'));
    const moved = await execIn(docker, target.cliIn, ['node', '-e', 'require("fs").renameSync(process.argv[1], process.argv[2])', candidate, configPath]);
    if (moved.exitCode !== 0) throw new Error(`the configuration could not be moved into place: ${moved.output.trim().slice(-300)}`);
    writtenAt = new Date().toISOString();
    opts.progress?.(applying("waiting for the gateway's reload"));
    reload = (await reloaded(docker, target, ref.port, merged, HOT_RELOAD_MS)) ? 'hot' : 'restart';
    if (reload === 'restart') {
      opts.progress?.(applying('the gateway did not reload in time: restarting it'));
      await restartGateway(docker, ref, { timeoutMs: opts.timeoutMs, progress: opts.progress });
    }
  }
  await waitHealthy(docker, ref, { timeoutMs: opts.timeoutMs, progress: opts.progress });
  // The proof: what the running gateway offers now, asked afresh (the helper may have moved after a restart).
  const after = await targetOf(docker, ref);
  const effective = await effectiveTools(docker, after.cliIn, ref.port);
  const offered = namedDenials(ref.policy).filter((d) => effective.allowed.some((a) => a.toLowerCase() === d));
  if (offered.length) throw new Error(`the configuration was written, but the running gateway still offers ${offered.join(', ')}`);
  return { configPath, hash: toolsConfigHash(merged), policy: managedToolPolicy(merged), tools: redact(toolsSection(merged)), effective, changed, reload, writtenAt };
}
