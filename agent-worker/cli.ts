// `agent-worker <command>`: the node agent's command line on a managed machine.
//   enroll   registers this machine's agent with the control plane (one-time token, own key pair)
//   status   prints the agent's identity, connection, the node's status as the control plane sees it, and
//            whether it can poll its queue through the agent door
// Commands live in the COMMANDS table below; each parses its own options and returns an exit code:
// 0 ok, 2 bad input or refused (by the control plane or because of the local state), 1 anything else.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  AgentStateError,
  defaultStateDir,
  ensureStateDir,
  isCaCertificate,
  readAgentConfig,
  readPrivateKey,
  readTemporalCredential,
  statePaths,
  writeAgentConfig,
  writePrivateFile,
  type AgentConfig,
} from './config.ts';
import { checkDoor } from './door-check.ts';
import { controlPlaneKeyMismatch, enrollServerUrl, expectedFingerprint } from './enroll-checks.ts';
import { generateKeyPair, keyFingerprint, publicKeyOf } from '../protocol/envelope.ts';
import { signedFetch } from '../protocol/request-signing.ts';
import { RUN_USAGE, RunError, runAgent } from './run.ts';

const REQUEST_TIMEOUT_MS = 15_000;

/** A failure with its exit code; the message is printed as it is, one sentence. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}
const badInput = (message: string) => new CliError(2, message);

export interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

function agentVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function parse<T extends Record<string, { type: 'string' | 'boolean'; short?: string }>>(argv: string[], options: T, command: string) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw badInput(`${(err as Error).message.split('\n')[0]} (run \`agent-worker ${command} --help\` for the usage)`);
  }
}

/** Why fetch failed, in a few words. */
function networkReason(err: unknown): string {
  const e = err as Error & { cause?: NodeJS.ErrnoException & { errors?: NodeJS.ErrnoException[] } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  const code = e.cause?.code ?? e.cause?.errors?.[0]?.code;
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host name lookup failed',
    ECONNRESET: 'connection reset',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ETIMEDOUT: 'connection timed out',
    CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  };
  if (code) return words[code] ? `${words[code]} (${code})` : code;
  return e.cause?.message ?? e.message;
}

async function request(url: string, send: () => Promise<Response>): Promise<{ status: number; json: unknown }> {
  let res: Response;
  try {
    res = await send();
  } catch (err) {
    throw new CliError(1, `cannot reach ${url}: ${networkReason(err)}`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}

/** The problem detail the API answered with, preferring the message about a field. */
function problemMessage(status: number, json: unknown, url: string): string {
  const p = json as { detail?: unknown; errors?: { field?: unknown; message?: unknown }[] } | undefined;
  const fieldMessage = p?.errors?.find((e) => typeof e.message === 'string')?.message;
  if (typeof fieldMessage === 'string') return fieldMessage;
  if (typeof p?.detail === 'string') return p.detail;
  return `${url} answered HTTP ${status}, not the Anthropy Works API (check --server)`;
}

// ------------------------------------------------------------------------------------------ enroll

/** How the agent trusts its door, in a few words (the CA's SHA-256 fingerprint when it is pinned). */
const doorTlsWords = (config: AgentConfig) =>
  !config.temporalTls
    ? ''
    : config.temporalTlsServerCa
      ? `, TLS pinned to its CA ${new crypto.X509Certificate(config.temporalTlsServerCa).fingerprint256}`
      : ", TLS trusting this machine's roots";

const ENROLL_USAGE = `Usage: agent-worker enroll --server <url> --token <token> --control-plane-key <fingerprint> [--state-dir <dir>] [--force]

Enrolls this machine's agent with the control plane. It makes an Ed25519 key pair here (the private key
stays in the state folder, mode 0600, and is never sent), registers the public key with the one-time
token from the console's "Create enrollment command", checks the control plane's public key against the
fingerprint in that command, and saves the node's config.

  --server <url>      the console address, e.g. https://console.example.com (https; plain http only
                      on this machine: localhost, 127.0.0.1, [::1])
  --token <token>     the enrollment token (works once; expires)
  --control-plane-key <fingerprint>
                      the fingerprint of the control plane's key, as the console prints it; enrollment
                      is refused, and nothing saved, when the server's key does not match (required
                      unless the console is on this machine)
  --state-dir <dir>   where the agent keeps its key and config (default: AGENT_STATE_DIR, else
                      ~/.config/anthropy-agent)
  --force             replace an existing enrollment of this machine
  --help              show this text

Exit codes: 0 enrolled, 2 bad input or refused (nothing saved), 1 any other failure.`;

interface EnrollResponse {
  nodeId: string;
  nodeName: string;
  organizationId: string;
  taskQueue: string;
  temporalAddress: string;
  temporalNamespace: string;
  temporalCredential?: string;
  temporalTls?: boolean;
  temporalTlsServerCa?: string;
  controlPlanePublicKey: string;
}

async function enroll(argv: string[]): Promise<number> {
  const args = parse(
    argv,
    {
      server: { type: 'string' },
      token: { type: 'string' },
      'control-plane-key': { type: 'string' },
      'state-dir': { type: 'string' },
      force: { type: 'boolean' },
    },
    'enroll',
  );
  if (args.help) {
    console.log(ENROLL_USAGE);
    return 0;
  }
  const target = enrollServerUrl(args.server as string | undefined);
  if ('refused' in target) throw badInput(target.refused);
  const server = target.url;
  const expected = expectedFingerprint(args['control-plane-key'] as string | undefined, target.loopback);
  if ('refused' in expected) throw badInput(expected.refused);
  const token = String(args.token ?? '').trim();
  if (!token) throw badInput('--token is required: the token shown by "Create enrollment command" in the console');
  const stateDir = path.resolve((args['state-dir'] as string | undefined) ?? defaultStateDir());
  ensureStateDir(stateDir);
  const paths = statePaths(stateDir);
  if (fs.existsSync(paths.config) && !args.force) {
    let who = 'a node';
    try {
      const existing = readAgentConfig(stateDir);
      who = `node ${existing.nodeName} (${existing.nodeId}) of ${existing.serverUrl}`;
    } catch {
      // An unreadable config is still an enrollment not to overwrite by accident.
    }
    throw badInput(`this machine is already enrolled as ${who} (config in ${paths.config}); pass --force to replace that enrollment`);
  }

  // The key is saved before the request and kept only if the enrollment succeeds, so an accepted
  // enrollment never ends without its key on disk.
  const keys = generateKeyPair();
  const pendingKey = `${paths.privateKey}.pending`;
  try {
    writePrivateFile(pendingKey, keys.privateKey);
  } catch (err) {
    throw new CliError(1, `cannot write the agent's key into ${stateDir} (${(err as Error).message})`);
  }
  let result: { status: number; json: unknown };
  try {
    const body = { token, publicKey: keys.publicKey, hostname: os.hostname(), agentVersion: agentVersion() };
    result = await request(server, () =>
      fetch(`${server}/api/v1/agent/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        // A redirect is an answer, not followed: the token would go to wherever it points (plain http, say).
        redirect: 'manual',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      }),
    );
  } catch (err) {
    fs.rmSync(pendingKey, { force: true });
    throw err;
  }
  if (result.status !== 201) {
    fs.rmSync(pendingKey, { force: true });
    const message = problemMessage(result.status, result.json, server);
    throw new CliError(result.status >= 400 && result.status < 500 ? 2 : 1, `enrollment refused: ${message}`);
  }
  const enrolled = result.json as EnrollResponse;
  const mismatch = controlPlaneKeyMismatch(enrolled.controlPlanePublicKey, expected.fingerprint);
  if (mismatch) {
    fs.rmSync(pendingKey, { force: true });
    throw new CliError(2, mismatch);
  }
  if (typeof enrolled.temporalCredential !== 'string') {
    fs.rmSync(pendingKey, { force: true });
    throw new CliError(1, `${server} enrolled this agent without a credential for its agent door; update the control plane, then enroll again with a new token`);
  }
  // The door's CA comes over this https answer, checked above; a door CA that is no CA is refused, as the
  // agent could never connect with it.
  const doorCa = enrolled.temporalTls ? enrolled.temporalTlsServerCa : undefined;
  if (doorCa !== undefined && (typeof doorCa !== 'string' || !isCaCertificate(doorCa))) {
    fs.rmSync(pendingKey, { force: true });
    throw new CliError(1, `${server} handed over a CA for its agent door that is not a CA certificate (PEM); nothing was saved: ask the operator to check AGENT_DOOR_TLS_CA_FILE`);
  }
  fs.renameSync(pendingKey, paths.privateKey);
  writePrivateFile(paths.credential, `${enrolled.temporalCredential}\n`);
  const config: AgentConfig = {
    version: 1,
    nodeId: enrolled.nodeId,
    nodeName: enrolled.nodeName,
    organizationId: enrolled.organizationId,
    serverUrl: server,
    taskQueue: enrolled.taskQueue,
    temporalAddress: enrolled.temporalAddress,
    temporalNamespace: enrolled.temporalNamespace,
    ...(enrolled.temporalTls ? { temporalTls: true } : {}),
    ...(doorCa ? { temporalTlsServerCa: doorCa } : {}),
    controlPlanePublicKey: enrolled.controlPlanePublicKey,
    enrolledAt: new Date().toISOString(),
  };
  writeAgentConfig(stateDir, config);
  console.log(`Enrolled this machine as node ${config.nodeName} (${config.nodeId}).`);
  console.log(`  Task queue:  ${config.taskQueue}`);
  console.log(`  Temporal:    ${config.temporalAddress} (the agent door${doorTlsWords(config)}; namespace ${config.temporalNamespace}; credential in ${paths.credential})`);
  console.log(`  Agent key:   ${keyFingerprint(keys.publicKey)} (private key in ${paths.privateKey}, never sent)`);
  console.log(`  Console key: ${keyFingerprint(config.controlPlanePublicKey)}${expected.fingerprint ? ' (matches the enroll command)' : ' (not checked: no --control-plane-key)'}`);
  console.log(`  Config:      ${paths.config}`);
  console.log('The node stays "pending" in the console until the agent runs and reports.');
  return 0;
}

// ------------------------------------------------------------------------------------------ status

const STATUS_USAGE = `Usage: agent-worker status [--state-dir <dir>]

Prints this agent's identity (node, server, task queue, Temporal), its last heartbeat, the node's status
as the control plane sees it (asked with a request signed by the agent's key), and whether the agent can
poll its task queue: the agent door, reached with the agent's own credential as \`run\` reaches it,
describes the queue, with the pollers Temporal sees on it (a running agent is one of them).

  --state-dir <dir>   the agent's state folder (default: AGENT_STATE_DIR, else ~/.config/anthropy-agent)
  --help              show this text

Exit codes: 0 the control plane knows this agent and it can poll its queue, 2 not enrolled or refused
(e.g. the node was revoked, or the door refused the agent's credential), 1 any other failure (unreachable
server or agent door, unreadable or corrupt config).`;

const ago = (iso: string) => {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return Number.isNaN(s) ? '' : s < 120 ? ` (${s} s ago)` : s < 7200 ? ` (${Math.round(s / 60)} min ago)` : ` (${Math.round(s / 3600)} h ago)`;
};

async function status(argv: string[]): Promise<number> {
  const args = parse(argv, { 'state-dir': { type: 'string' } }, 'status');
  if (args.help) {
    console.log(STATUS_USAGE);
    return 0;
  }
  const stateDir = path.resolve((args['state-dir'] as string | undefined) ?? defaultStateDir());
  const config = readAgentConfig(stateDir);
  const privateKey = readPrivateKey(stateDir);
  const line = (label: string, value: string) => console.log(`${`${label}:`.padEnd(16)}${value}`);
  line('Node', `${config.nodeName} (${config.nodeId})`);
  line('Organization', config.organizationId);
  line('Server', config.serverUrl);
  line('Task queue', config.taskQueue);
  line('Temporal', `${config.temporalAddress} (namespace ${config.temporalNamespace}${doorTlsWords(config)})`);
  line('Agent key', keyFingerprint(publicKeyOf(privateKey)));
  line('State folder', stateDir);
  line('Last heartbeat', config.lastHeartbeat ? `${config.lastHeartbeat.at}${ago(config.lastHeartbeat.at)}` : 'none recorded yet');

  const { status: code, json } = await request(config.serverUrl, () =>
    signedFetch({
      serverUrl: config.serverUrl,
      nodeId: config.nodeId,
      privateKey,
      method: 'GET',
      path: '/api/v1/agent/whoami',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    }),
  ).catch((err: unknown) => {
    line('Node status', 'unknown');
    throw err;
  });
  if (code === 200) {
    const me = json as { status: string; lastSeenAt: string | null; name: string };
    line('Node status', me.status);
    line('Last seen', me.lastSeenAt ? `${me.lastSeenAt}${ago(me.lastSeenAt)} (by the control plane)` : 'never (by the control plane)');
    return canPoll(config, readTemporalCredential(stateDir), line);
  }
  const message = problemMessage(code, json, config.serverUrl);
  if (code === 403) {
    line('Node status', 'revoked');
    throw new CliError(2, message);
  }
  line('Node status', 'unknown');
  if (code === 401) throw new CliError(2, `the control plane does not accept this agent's signature: ${message}`);
  throw new CliError(code >= 400 && code < 500 ? 2 : 1, message);
}

/** The door describes this agent's own queue, or the command fails: 2 when the door refused, 1 when it did not answer. */
async function canPoll(config: AgentConfig, credential: string, line: (label: string, value: string) => void): Promise<number> {
  const door = await checkDoor(config, credential);
  if (!door.ok) {
    line('Can poll', 'no');
    if (door.refused)
      throw new CliError(2, `the agent door at ${config.temporalAddress} refused this agent (${door.reason}); if the node was enrolled again elsewhere, enroll this machine again`);
    throw new CliError(1, `cannot poll ${config.taskQueue}: the agent door at ${config.temporalAddress} does not answer (${door.reason})`);
  }
  line('Can poll', `yes (the agent door describes ${config.taskQueue})`);
  const seen = door.pollers.map((p) => `${p.identity}${p.lastAccessTime ? ago(p.lastAccessTime.toISOString()) : ''}`);
  line('Pollers', seen.length ? seen.join(', ') : 'none: no agent polls this queue now (is `agent-worker run` running?)');
  return 0;
}

// ---------------------------------------------------------------------------------------- commands

export const COMMANDS: Record<string, Command> = {
  enroll: { summary: 'enroll this machine with a one-time token from the console', usage: ENROLL_USAGE, run: enroll },
  status: { summary: 'show identity, connection, last heartbeat and the node status', usage: STATUS_USAGE, run: status },
  run: { summary: "run the agent: the worker on this node's task queue and its heartbeats", usage: RUN_USAGE, run: runAgent },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length)) + 2;
  return `Usage: agent-worker <command> [options]

The Anthropy Works node agent.

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`)
  .join('\n')}

Run \`agent-worker <command> --help\` for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? console.error : console.log)(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) throw badInput(`unknown command "${name}"; the commands are: ${Object.keys(COMMANDS).join(', ')} (see \`agent-worker --help\`)`);
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof CliError) throw new CliError(err.exitCode, `agent-worker ${name}: ${err.message}`);
    if (err instanceof AgentStateError) throw new CliError(err.kind === 'not_enrolled' ? 2 : 1, `agent-worker ${name}: ${err.message}`);
    if (err instanceof RunError) throw new CliError(2, `agent-worker ${name}: ${err.message}`);
    throw err;
  }
}

const invokedDirectly = (() => {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(fs.realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
})();

if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof CliError) {
        console.error(err.message.startsWith('agent-worker') ? err.message : `agent-worker: ${err.message}`);
        process.exit(err.exitCode);
      }
      console.error(`agent-worker: unexpected failure: ${(err as Error).stack ?? String(err)}`);
      process.exit(1);
    },
  );
}
