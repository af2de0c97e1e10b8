// The OpenClaw bundle: the standard package we deploy, discover against and operate. Upstream runs
// OpenClaw as two containers of one image, `openclaw-gateway` and the helper `openclaw-cli` sharing the
// gateway's network namespace; the bundle pins the npm versions they run and how the image is made.
// Several versions are offered at once (an instance moves between them by an upgrade job, ADR 0030);
// each is pinned by its own lock file under `versions/<openclaw version>/`, so adding one is a code
// change with its lock file, and the product never installs an unpinned version.
// Pure data: the control plane (workflows, console) and the agent both read it.

/** Our packaging revision: raise it when the image's make-up changes (every version's image is rebuilt). */
export const BUNDLE_REVISION = 3;

/** One version the bundle can deploy. */
export interface BundleVersion {
  /** What operators pick and instances record (the `openclaw` npm version, or a test variant's name). */
  version: string;
  /** The `openclaw` npm version installed, from the lock file in `versions/<openclaw>/`. */
  openclaw: string;
  /**
   * sha256 of that lock file: the agent refuses to install or build from a lock file of another hash, and
   * the console shows it without reading the file (its server bundle has no repository beside it).
   */
  lockSha256: string;
  /** The image's tag on every node (built locally there, never pulled). */
  image: string;
  /**
   * A test-only variant whose gateway never becomes healthy (it exits at start): the upgrade's rollback is
   * proven against it. Offered only where `OPENCLAW_TEST_BUNDLES=1` (tests), never in production.
   */
  unhealthy?: true;
}

const release = (openclaw: string, lockSha256: string): BundleVersion => ({
  version: openclaw,
  openclaw,
  lockSha256,
  image: `anthropy-works/openclaw:${openclaw}-r${BUNDLE_REVISION}`,
});

/** The versions offered, newest first: the first is the default of a new deployment. */
export const BUNDLE_VERSIONS: readonly BundleVersion[] = [
  release('2026.9.6', '6dc4aa2494e7890ced0258140b20234e3d0f41994752a851e57ddab7827d8067'),
  release('2026.9.5', 'fe391a940963b666cd0d8631d061726a6e7b43e28314e53bfc3bf8fe9c9ce27d'),
];

/** Test-only versions (see `unhealthy`). */
export const TEST_BUNDLE_VERSIONS: readonly BundleVersion[] = [
  {
    ...release('2026.9.5', 'fe391a940963b666cd0d8631d061726a6e7b43e28314e53bfc3bf8fe9c9ce27d'),
    version: '2026.9.5-unhealthy',
    image: `anthropy-works/openclaw:2026.9.5-unhealthy-r${BUNDLE_REVISION}`,
    unhealthy: true,
  },
];

export const DEFAULT_BUNDLE_VERSION = BUNDLE_VERSIONS[0]!.version;

/** The versions this process offers: the released ones, and the test variants when its environment says so. */
export function offeredBundleVersions(env: NodeJS.ProcessEnv = process.env): readonly BundleVersion[] {
  return env.OPENCLAW_TEST_BUNDLES === '1' ? [...BUNDLE_VERSIONS, ...TEST_BUNDLE_VERSIONS] : BUNDLE_VERSIONS;
}

/** The offered version named `version`, or undefined (an unknown or unpinned version is never installed). */
export function findBundleVersion(version: string, env: NodeJS.ProcessEnv = process.env): BundleVersion | undefined {
  return offeredBundleVersions(env).find((v) => v.version === version);
}

/** The offered version named `version`; throws a sentence naming the offered ones otherwise. */
export function bundleVersion(version: string = DEFAULT_BUNDLE_VERSION): BundleVersion {
  const found = findBundleVersion(version);
  if (!found)
    throw new Error(
      `OpenClaw bundle version ${version} is not offered here (offered: ${offeredBundleVersions()
        .map((v) => v.version)
        .join(', ')})`,
    );
  return found;
}

/** The `openclaw` npm version of the default bundle version (`versions/<it>/package-lock.json` pins everything below it). */
export const OPENCLAW_VERSION = BUNDLE_VERSIONS[0]!.openclaw;

/** What every version shares; `version` and `image` are the default version's. */
export const OPENCLAW_BUNDLE = {
  version: DEFAULT_BUNDLE_VERSION,
  revision: BUNDLE_REVISION,
  image: BUNDLE_VERSIONS[0]!.image,
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
 * traffic out. Its Control UI (OpenClaw's own dashboard, which can also edit this file) is off: the
 * console is the control surface of a managed gateway, nothing of ours opens or links the dashboard, its
 * port is published on the node's loopback only and its token never leaves the machine. Off, the gateway
 * also skips copying and hashing the dashboard's assets into its state at every start, which runs beside
 * the start's own work on the container's one CPU (docs/benchmarks/deployment.md). OpenClaw's own advice
 * for the setting: disable it "when an external control surface replaces it"; it hot-applies.
 */
export const GATEWAY_CONFIG = {
  models: { catalogRefresh: { enabled: false } },
  update: { checkOnStart: false },
  gateway: { controlUi: { enabled: false } },
} as const;

/** Environment that keeps the gateway from updating itself (on top of GATEWAY_CONFIG). */
export const GATEWAY_ENV = { OPENCLAW_NO_AUTO_UPDATE: '1' } as const;
