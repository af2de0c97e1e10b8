// The OpenClaw bundle: the one standard package we deploy, discover against and operate. Upstream runs
// OpenClaw as two containers of one image, `openclaw-gateway` and the helper `openclaw-cli` sharing the
// gateway's network namespace; the bundle pins the npm version they run and how the image is made.
// Pure data: the control plane (workflows, console) and the agent both read it.

/** The `openclaw` npm version the bundle ships; `package/package-lock.json` pins everything below it. */
export const OPENCLAW_VERSION = '2026.9.6';
/** Our packaging revision of that version: raise it when the image's make-up changes. */
export const BUNDLE_REVISION = 2;

export const OPENCLAW_BUNDLE = {
  version: OPENCLAW_VERSION,
  revision: BUNDLE_REVISION,
  image: `anthropy-works/openclaw:${OPENCLAW_VERSION}-r${BUNDLE_REVISION}`,
  gatewayPort: 18789,
  /** Where the npm install lives in the image (read-only to the gateway: owned by root). */
  installDir: '/opt/openclaw',
  containers: { gateway: 'openclaw-gateway', cli: 'openclaw-cli' },
  /** The gateway's state (config journal, sessions, logs) and the agent workspace: one volume each. */
  stateDir: '/home/node/.openclaw',
  workspaceDir: '/home/node/.openclaw/workspace',
  /** Hardening limits per container; `nanoCpus` is a CPU quota in billionths of a CPU (1e9: one CPU). */
  limits: { memoryBytes: 2 * 1024 ** 3, pids: 512, nanoCpus: 1_000_000_000 },
} as const;

/** The OpenClaw CLI inside the image (no shell in the image: always run through node). */
export const OPENCLAW_ENTRYPOINT = ['node', `${OPENCLAW_BUNDLE.installDir}/node_modules/openclaw/openclaw.mjs`] as const;

/**
 * The gateway's command line: offline-capable (no model key needed). It listens on loopback unless told
 * `lan` (0.0.0.0): a managed gateway does, inside its own network namespace, so that the port Docker
 * publishes on the node's 127.0.0.1 reaches it. The image's default command keeps loopback.
 */
export function gatewayCommand(port: number = OPENCLAW_BUNDLE.gatewayPort, bind: 'loopback' | 'lan' = 'loopback'): string[] {
  return ['gateway', '--allow-unconfigured', '--port', String(port), '--bind', bind];
}

/**
 * The gateway's configuration file. OpenClaw otherwise fetches a remote model catalog and checks for
 * updates at start; a managed gateway changes only through our jobs, and a test machine must not send
 * traffic out.
 */
export const GATEWAY_CONFIG = {
  models: { catalogRefresh: { enabled: false } },
  update: { checkOnStart: false },
} as const;

/** Environment that keeps the gateway from updating itself (on top of GATEWAY_CONFIG). */
export const GATEWAY_ENV = { OPENCLAW_NO_AUTO_UPDATE: '1' } as const;
