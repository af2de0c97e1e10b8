// One place for every setting the product reads from the environment, validated with zod so a bad value
// stops startup with a message naming the variable.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { cacheDirFrom } from './cache-dir.ts';
import { DEVELOPMENT_ADMIN_EMAIL, productionProblems } from './production-profile.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// The last key checked and the answer: settings are read on every call (each request reads some), and
// parsing the key is most of loadConfig's time (docs/benchmarks/big-lists.md).
let lastKeyChecked: { value: string; ok: boolean } | undefined;
const isEd25519PrivateKey = (value: string): boolean => {
  if (lastKeyChecked?.value === value) return lastKeyChecked.ok;
  let ok: boolean;
  try {
    ok = crypto.createPrivateKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'pkcs8' }).asymmetricKeyType === 'ed25519';
  } catch {
    ok = false;
  }
  lastKeyChecked = { value, ok };
  return ok;
};

const urlVariable = (name: string) => z.string().url(`${name} must be a URL`).optional();
const oauthClientVariable = () => z.string().trim().min(1).max(500).optional();

/**
 * A connection provider's OAuth client (<P>_OAUTH_CLIENT_ID, _SECRET: set both or neither) and the endpoints
 * of its authorization server (<P>_OAUTH_AUTH_URL, _TOKEN_URL, _REVOKE_URL; unset: the provider's own).
 */
function oauthProviderVariables<P extends string>(prefix: P) {
  type Client = `${P}_OAUTH_CLIENT_ID` | `${P}_OAUTH_CLIENT_SECRET`;
  type Url = `${P}_OAUTH_AUTH_URL` | `${P}_OAUTH_TOKEN_URL` | `${P}_OAUTH_REVOKE_URL`;
  const names = (suffixes: string[]) => suffixes.map((s) => `${prefix}_OAUTH_${s}`);
  return {
    ...Object.fromEntries(names(['CLIENT_ID', 'CLIENT_SECRET']).map((n) => [n, oauthClientVariable()])),
    ...Object.fromEntries(names(['AUTH_URL', 'TOKEN_URL', 'REVOKE_URL']).map((n) => [n, urlVariable(n)])),
  } as { [K in Client]: ReturnType<typeof oauthClientVariable> } & { [K in Url]: ReturnType<typeof urlVariable> };
}

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

/** A file this process must read (a certificate, a key): checked at startup, so a wrong path names its variable then, not at the first connection. */
const readableFile = () =>
  z
    .string()
    .min(1)
    .superRefine((file, ctx) => {
      try {
        fs.accessSync(file, fs.constants.R_OK);
        if (!fs.statSync(file).isFile()) ctx.addIssue({ code: 'custom', message: `${file} is not a file` });
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
      }
    });

/** Whether a listening host keeps the door on this machine (a wildcard such as 0.0.0.0 or :: does not). */
export const isLoopbackHost = (host: string): boolean => host === 'localhost' || (net.isIPv4(host) && host.startsWith('127.')) || host === '::1' || /^::ffff:127\./i.test(host);

const EnvSchema = z.object({
  // development (default): everything on embedded defaults, generated keys, a first look on one machine.
  // production: refuses to start on any of those defaults (infra/production-profile.ts).
  APP_ENV: z.enum(['development', 'production'], 'APP_ENV must be "development" or "production"').default('development'),
  DATA_DIR: z.string().min(1).default(path.join(REPO_ROOT, '.data')),
  DATABASE_URL: z.string().url().optional(),
  EMBEDDED_POSTGRES_PORT: port(54329),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  // Temporal Web as browsers see it: the console links runs there, and the codec server (/codec) grants
  // CORS with credentials to its origin alone (ADR 0016).
  TEMPORAL_UI_URL: z.string().url().optional(),
  // The agent door (infra/agent-door/): agents reach Temporal only through it. It listens on
  // AGENT_DOOR_HOST:AGENT_DOOR_PORT (loopback by default: set the host to reach agents on other machines)
  // and enrollment gives agents AGENT_DOOR_ADDRESS (default: the host and port it listens on).
  AGENT_DOOR_PORT: port(7230),
  AGENT_DOOR_HOST: z.string().min(1).default('127.0.0.1'),
  AGENT_DOOR_ADDRESS: z.string().min(1).optional(),
  // A certificate (PEM, with its chain) and key for the door: agents send their credential on every call,
  // so a door beyond loopback must have them (ADR 0011). Agents trust the machine's roots, or, with
  // AGENT_DOOR_TLS_CA_FILE (the CA that signed the door's certificate: a private one), that CA only, which
  // enrollment hands them.
  AGENT_DOOR_TLS_CERT_FILE: readableFile().optional(),
  AGENT_DOOR_TLS_KEY_FILE: readableFile().optional(),
  AGENT_DOOR_TLS_CA_FILE: readableFile().optional(),
  // TLS for the app's own Temporal clients (web, worker, the door's upstream; infra/temporal-connection.ts):
  // a client certificate and key for a frontend that requires them (mTLS), the CA of the frontend's
  // certificate (else the machine's roots), and the name to expect in it (else the address's host).
  // Any of them set turns TLS on.
  TEMPORAL_TLS_CERT_FILE: readableFile().optional(),
  TEMPORAL_TLS_KEY_FILE: readableFile().optional(),
  TEMPORAL_TLS_CA_FILE: readableFile().optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  // The Temporal cluster's persistence (TEMPORAL_ADDRESS's cluster on PostgreSQL), for `npm run backup` and
  // `npm run restore` only: its `temporal` database as the role the server uses (the database in the path
  // may be left out). Its visibility database is `temporal_visibility` on the same server: both names are
  // fixed by infra/temporal-cluster/config/production.yaml (infra/backup/temporal-cluster.ts).
  TEMPORAL_DATABASE_URL: z
    .string()
    .url('TEMPORAL_DATABASE_URL must be a URL')
    .refine((v) => /^postgres(ql)?:$/.test(new URL(v).protocol), 'TEMPORAL_DATABASE_URL must be a postgres:// URL')
    .refine((v) => ['', '/', '/temporal'].includes(new URL(v).pathname), "TEMPORAL_DATABASE_URL names the database temporal (or none), as the cluster's configuration does")
    .optional(),
  // The control-plane worker's queue (default `control-plane`, workflows/task-queues.ts); test files that
  // run their own worker against their own database each use their own.
  CONTROL_PLANE_TASK_QUEUE: z.string().min(1).optional(),
  // A `temporal` binary to use instead of finding or building one (infra/toolchain/temporal-cli.ts).
  TEMPORAL_CLI: z.string().min(1).optional(),
  PORT: port(3000),
  HOST: z.string().min(1).default('localhost'),
  // The bearer token Prometheus sends to the web process's /metrics. Unset, /metrics answers only callers on
  // this machine that came through no proxy (ADR 0025).
  METRICS_TOKEN: z.string().trim().min(16, 'METRICS_TOKEN must have at least 16 characters').max(500).optional(),
  // The control-plane worker's own ports, on loopback, each off when unset: the Temporal SDK's Prometheus
  // exporter (worker metrics) and a small HTTP server answering /healthz and /readyz (polling its queue).
  WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  WORKER_HEALTH_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  PUBLIC_URL: z.string().url().optional(),
  ADMIN_EMAIL: z.string().email().default(DEVELOPMENT_ADMIN_EMAIL),
  ADMIN_PASSWORD: z.string().min(12, 'ADMIN_PASSWORD must have at least 12 characters').optional(),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  // Node heartbeats: how often agents report, and after how many missed reports a node turns stale,
  // then offline.
  NODE_HEARTBEAT_SECONDS: z.coerce.number().int().min(1).max(3600).default(15),
  NODE_STALE_AFTER_MISSED: z.coerce.number().int().min(1).max(100).default(2),
  NODE_OFFLINE_AFTER_MISSED: z.coerce.number().int().min(2).max(1000).default(5),
  SESSION_INACTIVITY_DAYS: z.coerce.number().positive().default(7),
  // Behind a reverse proxy: which proxies to trust for the client address (Express's "trust proxy":
  // a hop count, "loopback", or addresses/subnets). Unset: the socket's address is the client's.
  TRUST_PROXY: z.string().optional(),
  SECRETS_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'SECRETS_KEY must be 32 random bytes, base64-encoded')
    .optional(),
  // Only for `npm run secrets:rotate`: the key-encryption key to re-wrap every organization's data key under.
  SECRETS_KEY_NEW: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'SECRETS_KEY_NEW must be 32 random bytes, base64-encoded')
    .optional(),
  // Signs job envelopes for node agents (infra/control-plane-key.ts); unset: kept in DATA_DIR/secrets.
  CONTROL_PLANE_SIGNING_KEY: z.string().trim().refine(isEd25519PrivateKey, 'CONTROL_PLANE_SIGNING_KEY must be an Ed25519 private key, PKCS8 DER, base64-encoded').optional(),
  // Signs approval grants in the web process (infra/approval-grant-key.ts); unset: kept in DATA_DIR/secrets.
  APPROVAL_GRANT_KEY: z
    .string()
    .trim()
    .regex(/^[0-9a-f]{64}$/, 'APPROVAL_GRANT_KEY must be 32 random bytes, hex-encoded')
    .optional(),
  // What the worker checks grants against, when it does not share the web process's data folder.
  APPROVAL_GRANT_PUBLIC_KEY: z
    .string()
    .trim()
    .regex(/^[0-9a-f]{64}$/, 'APPROVAL_GRANT_PUBLIC_KEY must be an Ed25519 public key, 32 bytes, hex-encoded')
    .optional(),
  ANTHROPY_CACHE_DIR: z.string().optional(),
  // `npm start` enrolls and runs an agent for this machine (node "local") when a Docker engine is
  // reachable: "auto" (default) starts a private dockerd as root when none answers; "off" never does.
  LOCAL_AGENT: z.enum(['auto', 'off'], 'LOCAL_AGENT must be "auto" or "off"').default('auto'),
  // Google Drive connections (ADR 0013): the OAuth client the MSP registered with Google (a "Web
  // application" whose redirect URI is PUBLIC_URL + /connections/oauth/callback). The endpoints default to
  // Google's; tests and private gateways point them elsewhere. The secret is never logged or shown.
  ...oauthProviderVariables('GOOGLE'),
  GOOGLE_DRIVE_BASE_URL: urlVariable('GOOGLE_DRIVE_BASE_URL'),
  // QuickBooks Online connections: the OAuth client (an Intuit developer app, redirect URI as above); the
  // endpoints default to Intuit's production ones (QUICKBOOKS_API_BASE_URL: the sandbox companies' API
  // is https://sandbox-quickbooks.api.intuit.com/).
  ...oauthProviderVariables('QUICKBOOKS'),
  QUICKBOOKS_API_BASE_URL: urlVariable('QUICKBOOKS_API_BASE_URL'),
  // ServiceTitan and Composio connections: where their APIs are (default: production). Tests point them
  // at loopback servers speaking the providers' wire protocols (tests/stand-ins/).
  SERVICETITAN_AUTH_URL: urlVariable('SERVICETITAN_AUTH_URL'),
  SERVICETITAN_API_URL: urlVariable('SERVICETITAN_API_URL'),
  COMPOSIO_BASE_URL: urlVariable('COMPOSIO_BASE_URL'),
  // How long a job waits for its typed approval before it ends `expired`.
  APPROVAL_TIMEOUT_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(24),
  // How long a job's step waits for an offline node before the job fails with "node offline".
  NODE_WAIT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  /** State snapshots an upgrade keeps per instance on its node (the oldest are pruned; a request may say otherwise). */
  UPGRADE_KEEP_SNAPSHOTS: z.coerce.number().int().min(1).max(50).default(3),
  /** A fleet rollout continues as new between batches once its run's history has this many events (ADR 0030). */
  ROLLOUT_CONTINUE_AFTER_EVENTS: z.coerce.number().int().min(10).max(50_000).default(5000),
});

export type Config = z.infer<typeof EnvSchema> & {
  publicUrl: string;
  temporalUiUrl: string;
  temporalAddress: string;
  /** The Temporal address enrollment gives agents: the agent door's. */
  agentDoorAddress: string;
  cacheDir: string;
};

/** Where an agent reaches a door that listens on `host` (a wildcard host is reached on loopback here). */
const doorAddress = (host: string, port: number) => {
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return reachable.includes(':') ? `[${reachable}]:${port}` : `${reachable}:${port}`;
};

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable counts as unset (Compose writes `${VAR:-}` as an empty string).
  const parsed = EnvSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  const c = parsed.data;
  if (Boolean(c.AGENT_DOOR_TLS_CERT_FILE) !== Boolean(c.AGENT_DOOR_TLS_KEY_FILE)) {
    throw new ConfigError('Invalid configuration: AGENT_DOOR_TLS_CERT_FILE and AGENT_DOOR_TLS_KEY_FILE go together: set both or neither');
  }
  if (c.AGENT_DOOR_TLS_CA_FILE && !c.AGENT_DOOR_TLS_CERT_FILE) {
    throw new ConfigError("Invalid configuration: AGENT_DOOR_TLS_CA_FILE is the CA of the door's own certificate: set AGENT_DOOR_TLS_CERT_FILE and AGENT_DOOR_TLS_KEY_FILE too");
  }
  // No opt-out: agents send their credential on every call. A TLS-terminating proxy in front of the door
  // reaches it on loopback, so it needs none either.
  if (!c.AGENT_DOOR_TLS_CERT_FILE && !isLoopbackHost(c.AGENT_DOOR_HOST)) {
    throw new ConfigError(
      `Invalid configuration: AGENT_DOOR_HOST is ${c.AGENT_DOOR_HOST}, not a loopback address, and the agent door has no certificate: agents' credentials would cross the network in clear. ` +
        'Set AGENT_DOOR_TLS_CERT_FILE and AGENT_DOOR_TLS_KEY_FILE (and AGENT_DOOR_TLS_CA_FILE for a private CA), or keep AGENT_DOOR_HOST on loopback (127.0.0.1).',
    );
  }
  if (Boolean(c.TEMPORAL_TLS_CERT_FILE) !== Boolean(c.TEMPORAL_TLS_KEY_FILE)) {
    throw new ConfigError('Invalid configuration: TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE go together (the client certificate and its key): set both or neither');
  }
  for (const [prefix, who] of [
    ['GOOGLE', 'Google'],
    ['QUICKBOOKS', 'Intuit'],
  ] as const) {
    if (Boolean(c[`${prefix}_OAUTH_CLIENT_ID`]) !== Boolean(c[`${prefix}_OAUTH_CLIENT_SECRET`])) {
      throw new ConfigError(
        `Invalid configuration: ${prefix}_OAUTH_CLIENT_ID and ${prefix}_OAUTH_CLIENT_SECRET go together (the OAuth client registered with ${who}): set both or neither`,
      );
    }
  }
  if (c.TEMPORAL_DATABASE_URL && !c.TEMPORAL_ADDRESS) {
    throw new ConfigError(
      'Invalid configuration: TEMPORAL_DATABASE_URL is the persistence of a Temporal cluster, but TEMPORAL_ADDRESS is not set (the dev server keeps its history in the data folder): set both or neither',
    );
  }
  if (c.NODE_OFFLINE_AFTER_MISSED <= c.NODE_STALE_AFTER_MISSED) {
    throw new ConfigError('Invalid configuration: NODE_OFFLINE_AFTER_MISSED must be greater than NODE_STALE_AFTER_MISSED');
  }
  if (c.APP_ENV === 'production') {
    const problems = productionProblems(c);
    if (problems.length > 0) {
      throw new ConfigError(
        `APP_ENV=production refuses to start on development defaults (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      );
    }
  }
  return {
    ...c,
    DATA_DIR: path.resolve(c.DATA_DIR),
    publicUrl: c.PUBLIC_URL ?? `http://${c.HOST}:${c.PORT}`,
    temporalAddress: c.TEMPORAL_ADDRESS ?? `127.0.0.1:${c.TEMPORAL_PORT}`,
    agentDoorAddress: c.AGENT_DOOR_ADDRESS ?? doorAddress(c.AGENT_DOOR_HOST, c.AGENT_DOOR_PORT),
    temporalUiUrl: c.TEMPORAL_UI_URL ?? `http://localhost:${c.TEMPORAL_UI_PORT}`,
    cacheDir: cacheDirFrom(env),
  };
}
