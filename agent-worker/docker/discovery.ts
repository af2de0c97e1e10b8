// OpenClaw discovery: which containers on a machine look like OpenClaw, why, and how sure we are. Upstream
// runs two containers of one image: `openclaw-gateway` (the gateway, port 18789) and the helper
// `openclaw-cli`, which shares the gateway's network namespace (Compose `network_mode: service:…`, which
// Docker records as HostConfig.NetworkMode `container:<gatewayId>`). A gateway and its helpers become one
// discovered instance (a helper counts when it looks like OpenClaw itself). Discovery only reads: the pure
// function looks at inventory records and commands, and the wrapper only lists and inspects containers.
// Reasons quote image names, container names, label keys and fixed words, never a command's arguments.
import path from 'node:path';
import type Dockerode from 'dockerode';
import { listContainers, type ContainerRecord } from './inventory.ts';

export const OPENCLAW_GATEWAY_PORT = 18789;
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';
export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
export const UPSTREAM_SERVICES = { gateway: 'openclaw-gateway', cli: 'openclaw-cli' } as const;

export type ContainerRole = 'gateway' | 'cli' | 'unknown';

export interface ContainerMatch {
  id: string;
  name: string;
  role: ContainerRole;
  /** 0..1 */
  confidence: number;
  reasons: string[];
}

export interface DiscoveredInstance {
  /** Suggested name: the Compose project, else the gateway's container name. */
  name: string;
  /** The gateway first, then its helpers. */
  containerIds: string[];
  gatewayContainerId: string | null;
  /** 0..1 */
  confidence: number;
  reasons: string[];
}

export interface DiscoveryResult {
  containers: ContainerMatch[];
  instances: DiscoveredInstance[];
}

export type DiscoveryContainer = Pick<ContainerRecord, 'id' | 'name' | 'image' | 'labels' | 'ports' | 'networkMode'>;
/** A container's command line (entrypoint and arguments), or undefined when unknown. Used, never reported. */
export type CommandOf = (containerId: string) => readonly string[] | undefined;

// How much each kind of evidence counts; evidence combines as 1 - Π(1 - weight).
const WEIGHT = {
  composeService: 0.8,
  image: 0.7,
  command: 0.7,
  label: 0.5,
  name: 0.4,
  port: 0.35,
  gatewayEntry: 0.3,
  sharedNetwork: 0.3,
} as const;

const mentionsOpenClaw = (s: string) => /openclaw/i.test(s);
const combine = (weights: number[]) => {
  const p = 1 - weights.reduce((rest, w) => rest * (1 - w), 1);
  return Math.round(Math.min(p, 0.99) * 100) / 100;
};

// OpenClaw's own sub-commands (docs/cli in the npm package): only these are ever quoted in a reason, so
// an argument (a token, say) never is.
const OPENCLAW_COMMANDS = new Set([
  'acp',
  'agent',
  'agents',
  'approvals',
  'backup',
  'browser',
  'channels',
  'config',
  'configure',
  'cron',
  'daemon',
  'dashboard',
  'devices',
  'doctor',
  'gateway',
  'health',
  'hooks',
  'logs',
  'mcp',
  'memory',
  'message',
  'models',
  'node',
  'nodes',
  'onboard',
  'pairing',
  'plugins',
  'sandbox',
  'secrets',
  'security',
  'sessions',
  'setup',
  'skills',
  'status',
  'system',
  'tasks',
  'tui',
  'update',
  'worker',
]);

interface CommandFacts {
  program: boolean;
  entry: boolean;
  servesGateway: boolean;
  subcommand?: string;
  port: boolean;
}

/** What a command line says about OpenClaw; only fixed words are ever quoted back in reasons. */
function readCommand(argv: readonly string[]): CommandFacts {
  const facts: CommandFacts = { program: false, entry: false, servesGateway: false, port: false };
  // Shell-form commands (`sh -c "exec openclaw gateway …"`) arrive as one argument: look at its words.
  const args = argv.flatMap((a) => a.split(/\s+/)).filter(Boolean);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (arg === '--port' && next === String(OPENCLAW_GATEWAY_PORT)) facts.port = true;
    if (arg === `--port=${OPENCLAW_GATEWAY_PORT}`) facts.port = true;
    const base = path.posix.basename(arg).toLowerCase();
    const isProgram = /^openclaw(\.mjs|\.cjs|\.js)?$/.test(base) || (/\/openclaw\//i.test(arg) && /\.(mjs|cjs|js)$/.test(base));
    const isEntry = /(^|\/)dist\/(index|entry)\.js$/.test(arg);
    if ((isProgram || isEntry) && !facts.subcommand) {
      if (isProgram) facts.program = true;
      const sub = next && OPENCLAW_COMMANDS.has(next) ? next : undefined;
      if (sub === 'gateway') {
        const after = args[i + 2];
        facts.subcommand = 'gateway';
        // `openclaw gateway [--flags]` or `gateway run` serves; `gateway health|probe|call …` asks one.
        facts.servesGateway = after === undefined || after.startsWith('-') || after === 'run';
        if (isEntry) facts.entry = facts.servesGateway;
      } else if (isProgram && sub) {
        facts.subcommand = sub;
      }
    }
  }
  return facts;
}

interface Scored {
  container: DiscoveryContainer;
  role: ContainerRole;
  roleFromLabel: boolean;
  weights: number[];
  reasons: string[];
}

function score(c: DiscoveryContainer, argv: readonly string[] | undefined): Scored {
  const weights: number[] = [];
  const reasons: string[] = [];
  let role: ContainerRole = 'unknown';
  const add = (w: number, reason: string) => {
    weights.push(w);
    reasons.push(reason);
  };

  const service = c.labels[COMPOSE_SERVICE_LABEL];
  if (service === UPSTREAM_SERVICES.gateway || service === UPSTREAM_SERVICES.cli) {
    add(WEIGHT.composeService, `Compose service "${service}" (upstream's name)`);
    role = service === UPSTREAM_SERVICES.gateway ? 'gateway' : 'cli';
  }
  if (mentionsOpenClaw(c.image)) add(WEIGHT.image, `image "${c.image}" names openclaw`);

  const facts = argv ? readCommand(argv) : undefined;
  if (facts?.program) add(WEIGHT.command, facts.subcommand ? `command runs "openclaw ${facts.subcommand}"` : 'command runs openclaw');
  else if (facts?.entry) add(WEIGHT.gatewayEntry, 'command runs a gateway entry point ("dist/index.js gateway")');
  if (facts?.servesGateway && role === 'unknown') role = 'gateway';

  const publishes = c.ports.some((p) => p.privatePort === OPENCLAW_GATEWAY_PORT || p.publicPort === OPENCLAW_GATEWAY_PORT);
  if (publishes || facts?.port) {
    add(WEIGHT.port, publishes ? `publishes the gateway port ${OPENCLAW_GATEWAY_PORT}` : `command sets --port ${OPENCLAW_GATEWAY_PORT}`);
    if (role === 'unknown') role = 'gateway';
  }

  const labelKeys = Object.entries(c.labels)
    .filter(([k, v]) => k !== COMPOSE_SERVICE_LABEL && (mentionsOpenClaw(k) || mentionsOpenClaw(v)))
    .map(([k]) => k)
    .sort();
  if (labelKeys.length > 0) add(WEIGHT.label, `labels name openclaw (${labelKeys.slice(0, 4).join(', ')}${labelKeys.length > 4 ? ', …' : ''})`);

  if (mentionsOpenClaw(c.name)) add(WEIGHT.name, `container name "${c.name}" names openclaw`);
  return { container: c, role, roleFromLabel: service === UPSTREAM_SERVICES.gateway || service === UPSTREAM_SERVICES.cli, weights, reasons };
}

/** The container a `container:<ref>` network mode points at (full id, id prefix or name). */
function networkTarget(c: DiscoveryContainer, all: DiscoveryContainer[]): DiscoveryContainer | undefined {
  const match = /^container:(.+)$/.exec(c.networkMode ?? '');
  if (!match) return undefined;
  const ref = match[1]!.replace(/^\//, '');
  return all.find((o) => o.id === ref) ?? all.find((o) => o.name === ref) ?? (ref.length >= 12 ? all.find((o) => o.id.startsWith(ref)) : undefined);
}

/** Marks OpenClaw-looking containers and groups each gateway with its helpers. Pure: reads its arguments only. */
export function discoverOpenClaw(containers: readonly DiscoveryContainer[], commandOf: CommandOf): DiscoveryResult {
  const all = [...containers];
  const scored = new Map<string, Scored>();
  for (const c of all) {
    const s = score(c, commandOf(c.id));
    if (s.weights.length > 0) scored.set(c.id, s);
  }

  // Groups (union-find over container ids), with the reasons that joined them.
  const parent = new Map<string, string>([...scored.keys()].map((id) => [id, id]));
  const find = (id: string): string => {
    const p = parent.get(id)!;
    if (p === id) return id;
    const root = find(p);
    parent.set(id, root);
    return root;
  };
  const members = (root: string) => [...scored.keys()].filter((id) => find(id) === root);
  const gateways = (ids: string[]) => ids.filter((id) => scored.get(id)!.role === 'gateway').length;
  const joinReasons = new Map<string, string[]>();
  const union = (a: string, b: string, reason: string) => {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return;
    parent.set(rb, ra);
    joinReasons.set(ra, [...(joinReasons.get(ra) ?? []), ...(joinReasons.get(rb) ?? []), reason]);
  };

  // 1. A helper sharing an OpenClaw container's network namespace belongs to it.
  for (const s of scored.values()) {
    const target = networkTarget(s.container, all);
    if (!target || target.id === s.container.id || !scored.has(target.id)) continue;
    s.weights.push(WEIGHT.sharedNetwork);
    s.reasons.push(`shares the network namespace of "${target.name}"`);
    // The namespace's owner is the gateway, the one joining it a helper (unless Compose labels say otherwise).
    const owner = scored.get(target.id)!;
    if (!s.roleFromLabel) s.role = 'cli';
    if (!owner.roleFromLabel && owner.role === 'unknown') owner.role = 'gateway';
    union(target.id, s.container.id, `"${s.container.name}" shares the network namespace of "${target.name}"`);
  }
  // 2. OpenClaw containers of one Compose project belong together, as long as that leaves one gateway.
  const byProject = new Map<string, string[]>();
  for (const s of scored.values()) {
    const project = s.container.labels[COMPOSE_PROJECT_LABEL];
    if (project) byProject.set(project, [...(byProject.get(project) ?? []), s.container.id]);
  }
  for (const [project, ids] of [...byProject.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    for (const id of ids.slice(1)) {
      const merged = [...new Set([...members(find(ids[0]!)), ...members(find(id))])];
      if (gateways(merged) <= 1) union(ids[0]!, id, `same Compose project "${project}"`);
    }
  }

  const matches: ContainerMatch[] = [...scored.values()]
    .map((s) => ({ id: s.container.id, name: s.container.name, role: s.role, confidence: combine(s.weights), reasons: s.reasons }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  const matchOf = new Map(matches.map((m) => [m.id, m]));
  const rank = (role: ContainerRole) => (role === 'gateway' ? 0 : role === 'cli' ? 1 : 2);

  const instances: DiscoveredInstance[] = [];
  for (const root of new Set([...scored.keys()].map(find))) {
    const group = members(root)
      .map((id) => matchOf.get(id)!)
      .sort((a, b) => rank(a.role) - rank(b.role) || a.name.localeCompare(b.name));
    const gateway = group.find((m) => m.role === 'gateway');
    const first = gateway ?? group[0]!;
    const project = scored.get(first.id)!.container.labels[COMPOSE_PROJECT_LABEL] ?? group.map((m) => scored.get(m.id)!.container.labels[COMPOSE_PROJECT_LABEL]).find(Boolean);
    instances.push({
      name: project || first.name,
      containerIds: group.map((m) => m.id),
      gatewayContainerId: gateway?.id ?? null,
      confidence: combine(group.map((m) => m.confidence)),
      reasons: [...group.flatMap((m) => m.reasons.map((r) => `${m.name}: ${r}`)), ...(joinReasons.get(root) ?? [])],
    });
  }
  // Names are unique per node: a second "acme" becomes "acme-2".
  instances.sort((a, b) => a.name.localeCompare(b.name) || (a.containerIds[0] ?? '').localeCompare(b.containerIds[0] ?? ''));
  const used = new Set<string>();
  for (const instance of instances) {
    let name = instance.name;
    for (let n = 2; used.has(name); n++) name = `${instance.name}-${n}`;
    used.add(name);
    instance.name = name;
  }
  return { containers: matches, instances };
}

type Engine = Pick<Dockerode, 'listContainers' | 'getContainer'>;

/** The command lines of the given containers (entrypoint and arguments as Docker ran them), read by inspect. */
export async function readCommands(docker: Engine, ids: readonly string[]): Promise<Map<string, string[]>> {
  const commands = new Map<string, string[]>();
  await Promise.all(
    ids.map(async (id) => {
      try {
        const info = await docker.getContainer(id).inspect();
        commands.set(
          id,
          [info.Path, ...(info.Args ?? [])].filter((a): a is string => typeof a === 'string'),
        );
      } catch {
        /* removed meanwhile: no command evidence */
      }
    }),
  );
  return commands;
}

/** Discovery on an engine: lists (or takes) the inventory, reads commands by inspect, changes nothing. */
export async function discoverOpenClawOnEngine(docker: Engine, inventory?: ContainerRecord[]): Promise<DiscoveryResult & { inventory: ContainerRecord[] }> {
  const containers = inventory ?? (await listContainers(docker));
  const commands = await readCommands(
    docker,
    containers.map((c) => c.id),
  );
  return { ...discoverOpenClaw(containers, (id) => commands.get(id)), inventory: containers };
}
