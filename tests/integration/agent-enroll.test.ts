// Enrollment as a person does it: the real web server, the console's "Create enrollment command", then
// `node agent-worker/cli.ts enroll …` and `status` as child processes, with what enroll refuses to believe
// (plain http to another machine, a redirect, a control plane key that is not the one the command names). Also agent-signed requests over
// real HTTP, revocation, the OpenAPI security of each kind of endpoint, and the authorization of the
// node page's enrollment and revocation forms for every role.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { generateKeyPair, keyFingerprint, publicKeyOf } from '../../protocol/envelope.ts';
import { AGENT_SIGNATURE_HEADER, signedFetch, signRequest } from '../../protocol/request-signing.ts';
import { REPO_ROOT } from '../../infra/config.ts';
import { freePort } from '../../infra/ports.ts';
import { CONSOLE_INTENT_MATRIX, type MatrixRequest } from '../authz/matrix.ts';
import { ROLES_UNDER_TEST, type RoleUnderTest, type Seed } from '../authz/seed.ts';
import type { TestDatabase } from '../jest/db.ts';
import type { TestProcess } from '../jest/processes.ts';
import { startSeededWeb, type SeededWeb } from '../jest/seeded-web.ts';
import { testPki } from '../jest/test-pki.ts';
import { runCommand, type CommandResult } from '../jest/run-command.ts';

let world: SeededWeb;
let t: TestDatabase;
let web: TestProcess;
let base: string;
let seed: Seed;
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

const cli = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CommandResult> => {
  const { AGENT_STATE_DIR: _ignored, ...inherited } = process.env;
  return runCommand(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, 'agent-worker/cli.ts'), ...args], {
    cwd: REPO_ROOT,
    env: { ...inherited, ...env },
  });
};
const stateDir = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'aw-agent-')), 'state');
/** The fingerprint of the key the test's control plane signs with (the web server's too). */
const consoleKey = () => keyFingerprint(publicKeyOf(process.env.CONTROL_PLANE_SIGNING_KEY!));
const mode = (file: string) => fs.statSync(file).mode & 0o777;

async function api(method: string, pathname: string, body?: unknown) {
  const res = await fetch(`${base}/api/v1${pathname}`, {
    method,
    headers: { authorization: `Bearer ${seed.people.msp_admin.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** The enrollment command the console shows, through the API. */
async function enrollmentCommand(nodeId: string): Promise<{ token: string; command: string }> {
  const { status, json } = await api('POST', `/nodes/${nodeId}/enrollment-tokens`, {});
  expect(status).toBe(201);
  return json as { token: string; command: string };
}

/** Runs the shown command, pointed at a state folder. */
const runShown = (command: string, dir: string) => cli([...command.replace(/^agent-worker /, '').split(' '), '--state-dir', dir]);

beforeAll(async () => {
  world = await startSeededWeb();
  ({ t, base, seed, web } = world);
}, 180_000);
afterAll(async () => {
  await world?.stop();
});

describe('agent-worker enroll and status against the real web server', () => {
  let nodeId: string;
  let dir: string;
  let token: string;

  it('enrolls with the command the console shows: key made locally (0600, never sent), config and door credential saved (0600)', async () => {
    nodeId = await seed.freshNode(seed.orgA);
    const shown = await enrollmentCommand(nodeId);
    token = shown.token;
    expect(shown.command).toBe(`agent-worker enroll --server ${base} --token ${token} --control-plane-key ${consoleKey()}`);
    dir = stateDir();
    const res = await runShown(shown.command, dir);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Enrolled this machine as node node-\S+ \([0-9a-f-]{36}\)\./);
    expect(res.stdout).toContain(`Task queue:  node.${nodeId}`);
    expect(res.stdout).toContain(`Console key: ${consoleKey()} (matches the enroll command)`);

    const keyFile = path.join(dir, 'agent.key');
    const configFile = path.join(dir, 'config.json');
    const credentialFile = path.join(dir, 'temporal.credential');
    expect([mode(dir), mode(keyFile), mode(configFile), mode(credentialFile)]).toEqual([0o700, 0o600, 0o600, 0o600]);
    expect(fs.readdirSync(dir).sort()).toEqual(['agent.key', 'config.json', 'temporal.credential']);
    const privateKey = fs.readFileSync(keyFile, 'utf8').trim();
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({
      version: 1,
      nodeId,
      organizationId: seed.orgA,
      serverUrl: base,
      taskQueue: `node.${nodeId}`,
      temporalAddress: world.doorAddress,
      temporalNamespace: 'default',
      controlPlanePublicKey: publicKeyOf(process.env.CONTROL_PLANE_SIGNING_KEY!),
    });
    // The server holds the public half; the private key appears nowhere on the server side.
    const [row] = await t.db.execute<{ key: string; status: string }>(sql`select agent_public_key as key, status from nodes where id = ${nodeId}`);
    expect(row).toEqual({ key: publicKeyOf(privateKey), status: 'pending' });
    const [leak] = await t.db.execute<{ n: number }>(sql`select count(*)::int as n from audit_events where details::text like ${`%${privateKey.slice(20, 60)}%`}`);
    expect(leak!.n).toBe(0);
    expect(web.output.join('\n')).not.toContain(privateKey.slice(20, 60));
    expect(web.output.join('\n')).not.toContain(token);
    // The door credential: only its hash on the node row, nowhere in the config, the trail or the logs.
    const credential = fs.readFileSync(credentialFile, 'utf8').trim();
    const [stored] = await t.db.execute<{ hash: string }>(sql`select agent_credential_hash as hash from nodes where id = ${nodeId}`);
    expect(stored!.hash).toBe(crypto.createHash('sha256').update(credential).digest('hex'));
    expect(JSON.stringify(config)).not.toContain(credential);
    const [credentialLeak] = await t.db.execute<{ n: number }>(sql`select count(*)::int as n from audit_events where details::text like ${`%${credential}%`}`);
    expect(credentialLeak!.n).toBe(0);
    expect(web.output.join('\n')).not.toContain(credential);
  });

  it('prints identity, server, task queue and the node status for `status`, and the last heartbeat when the config holds one', async () => {
    const res = await cli(['status', '--state-dir', dir]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`(${nodeId})`);
    expect(res.stdout).toMatch(new RegExp(`Server:\\s+${base}`));
    expect(res.stdout).toMatch(new RegExp(`Task queue:\\s+node\\.${nodeId}`));
    expect(res.stdout).toMatch(/Node status:\s+pending/);
    expect(res.stdout).toMatch(/Last heartbeat:\s+none recorded yet/);
    const configFile = path.join(dir, 'config.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    const at = new Date(Date.now() - 5000).toISOString();
    fs.writeFileSync(configFile, JSON.stringify({ ...config, lastHeartbeat: { at } }));
    expect((await cli(['status', '--state-dir', dir])).stdout).toMatch(new RegExp(`Last heartbeat:\\s+${at.replace(/\./g, '\\.')} \\(\\d+ s ago\\)`));
    // AGENT_STATE_DIR is the default state folder.
    expect((await cli(['status'], { AGENT_STATE_DIR: dir })).code).toBe(0);
  });

  it('refuses a reused token with exit code 2 and the API’s sentence, saving nothing', async () => {
    const other = stateDir();
    const res = await cli(['enroll', '--server', base, '--token', token, '--state-dir', other]);
    expect(res.code).toBe(2);
    expect(res.stderr.trim()).toBe('agent-worker enroll: enrollment refused: This enrollment token was already used; create a new enrollment command in the console.');
    expect(res.output).not.toMatch(STACK_FRAME);
    expect(fs.readdirSync(other)).toEqual([]);
    const unknown = await cli(['enroll', '--server', base, '--token', 'awenr_nope', '--state-dir', other]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/This enrollment token is not valid \(unknown or mistyped\)/);
  });

  it('refuses a server whose key does not match the fingerprint in the command, with both fingerprints, saving nothing', async () => {
    const otherNode = await seed.freshNode(seed.orgA);
    const shown = await enrollmentCommand(otherNode);
    const wrong = keyFingerprint(generateKeyPair().publicKey);
    const fresh = stateDir();
    const res = await runShown(shown.command.replace(consoleKey(), wrong), fresh);
    expect(res.code).toBe(2);
    expect(res.stderr.trim()).toBe(
      `agent-worker enroll: the control plane's key does not match the fingerprint in the enroll command: ${consoleKey()} ≠ ${wrong}; check you are enrolling against the right console`,
    );
    expect(res.stdout).toBe('');
    expect(fs.readdirSync(fresh)).toEqual([]);
    // Nor does a mismatch touch an enrollment it was told to replace: the key and config stay as they were.
    const before = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
    const again = await enrollmentCommand(otherNode);
    const forced = await cli([
      ...again.command
        .replace(consoleKey(), wrong)
        .replace(/^agent-worker /, '')
        .split(' '),
      '--state-dir',
      dir,
      '--force',
    ]);
    expect(forced.code).toBe(2);
    expect(fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))).toEqual(before);
    const bad = await cli(['enroll', '--server', base, '--token', again.token, '--control-plane-key', 'not-hex', '--state-dir', stateDir()]);
    expect(bad.stderr.trim()).toBe('agent-worker enroll: --control-plane-key "not-hex" is not a key fingerprint (16 hex digits); copy the whole enroll command the console shows');
  });

  it('refuses plain http to another machine, and a console elsewhere without the key fingerprint, before sending anything', async () => {
    const fresh = stateDir();
    const plain = await cli(['enroll', '--server', 'http://console.example.com', '--token', 'awenr_x', '--control-plane-key', consoleKey(), '--state-dir', fresh]);
    expect(plain.code).toBe(2);
    expect(plain.stderr.trim()).toBe(
      'agent-worker enroll: --server "http://console.example.com" uses plain http, which is allowed only on this machine (localhost, 127.0.0.1, [::1]); give the console\'s https:// address',
    );
    const unpinned = await cli(['enroll', '--server', 'https://console.example.com', '--token', 'awenr_x', '--state-dir', fresh]);
    expect(unpinned.code).toBe(2);
    expect(unpinned.stderr.trim()).toBe('agent-worker enroll: --control-plane-key is required for a console on another machine: copy the whole enroll command the console shows');
    for (const r of [plain, unpinned]) expect(r.output).not.toMatch(STACK_FRAME);
    expect(fs.existsSync(fresh)).toBe(false);
  });

  it('does not follow a redirect, so the token never goes where it points', async () => {
    const seen: string[] = [];
    const target = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      res.end('{}');
    });
    const redirector = http.createServer((req, res) => {
      req.resume();
      res.writeHead(307, { location: `http://127.0.0.1:${(target.address() as { port: number }).port}/api/v1/agent/enroll` }).end();
    });
    await Promise.all([target, redirector].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
    try {
      const at = `http://127.0.0.1:${(redirector.address() as { port: number }).port}`;
      const fresh = stateDir();
      const res = await cli(['enroll', '--server', at, '--token', 'awenr_redirected', '--state-dir', fresh]);
      expect(res.code).toBe(1);
      expect(res.stderr.trim()).toBe(`agent-worker enroll: enrollment refused: ${at} answered HTTP 307, not the Anthropy Works API (check --server)`);
      expect(seen).toEqual([]);
      expect(fs.readdirSync(fresh)).toEqual([]);
    } finally {
      for (const server of [target, redirector]) server.close();
    }
  });

  it("keeps the agent door's CA that enrollment hands over, and refuses one that is not a CA, saving nothing", async () => {
    const pki = testPki();
    const ca = pki.ca('door CA');
    let answer: Record<string, unknown> = {};
    const server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const at = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const enrolled = {
        nodeId: crypto.randomUUID(),
        nodeName: 'door-ca',
        organizationId: crypto.randomUUID(),
        taskQueue: 'node.x',
        temporalAddress: 'door.example.com:7230',
        temporalNamespace: 'default',
        temporalTls: true,
        temporalCredential: 'awagt_stand-in-credential-0123456789',
        controlPlanePublicKey: publicKeyOf(process.env.CONTROL_PLANE_SIGNING_KEY!),
      };
      answer = { ...enrolled, temporalTlsServerCa: ca.cert };
      const good = stateDir();
      const res = await cli(['enroll', '--server', at, '--token', 'awenr_x', '--state-dir', good]);
      expect(res.code).toBe(0);
      expect(res.stdout).toContain(`TLS pinned to its CA ${new crypto.X509Certificate(ca.cert).fingerprint256}`);
      expect(JSON.parse(fs.readFileSync(path.join(good, 'config.json'), 'utf8'))).toMatchObject({ temporalTls: true, temporalTlsServerCa: ca.cert });

      answer = { ...enrolled, temporalTlsServerCa: pki.server(ca, 'not-a-ca', ['localhost']).cert };
      const bad = stateDir();
      const refused = await cli(['enroll', '--server', at, '--token', 'awenr_x', '--state-dir', bad]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/handed over a CA for its agent door that is not a CA certificate \(PEM\); nothing was saved/);
      expect(fs.readdirSync(bad)).toEqual([]);
    } finally {
      server.close();
      pki.remove();
    }
  });

  it('refuses to overwrite an existing enrollment without --force', async () => {
    const res = await cli(['enroll', '--server', base, '--token', 'awenr_whatever', '--state-dir', dir]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/already enrolled as node node-\S+ \([0-9a-f-]{36}\) of http:\/\/localhost:\d+ .*pass --force/);
  });

  it('says "cannot reach <url>" with exit code 1 when nothing listens at the server address', async () => {
    const port = await freePort();
    const res = await cli(['enroll', '--server', `http://127.0.0.1:${port}`, '--token', 'awenr_x', '--state-dir', stateDir()]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(`agent-worker enroll: cannot reach http://127.0.0.1:${port}: connection refused (ECONNREFUSED)`);
    expect(res.output).not.toMatch(STACK_FRAME);
  });

  it('explains a corrupt or missing config, and an unusable state folder, in one sentence', async () => {
    const broken = stateDir();
    fs.mkdirSync(broken, { recursive: true });
    fs.copyFileSync(path.join(dir, 'agent.key'), path.join(broken, 'agent.key'));
    fs.writeFileSync(path.join(broken, 'config.json'), '{"version": 1, "nodeId": ');
    const corrupt = await cli(['status', '--state-dir', broken]);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr.trim()).toBe(
      `agent-worker status: the agent config ${path.join(broken, 'config.json')} is corrupt (not valid JSON); enroll again with --force and a new token`,
    );
    fs.writeFileSync(path.join(broken, 'config.json'), JSON.stringify({ version: 1, nodeId: 'x' }));
    expect((await cli(['status', '--state-dir', broken])).stderr).toMatch(/is corrupt \(nodeId: .*\); enroll again/);

    const missing = await cli(['status', '--state-dir', stateDir()]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/this machine is not enrolled: .*config\.json does not exist; run `agent-worker enroll --server URL --token T` first/);

    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'aw-agent-')), 'a-file');
    fs.writeFileSync(file, '');
    const unusable = await cli(['enroll', '--server', base, '--token', 'awenr_x', '--state-dir', path.join(file, 'state')]);
    expect(unusable.code).toBe(1);
    expect(unusable.stderr).toMatch(/cannot use the state folder .*a-file\/state \(a part of the path is not a folder\)/);
    for (const r of [corrupt, missing, unusable]) expect(r.output).not.toMatch(STACK_FRAME);
  });

  it('has --help for the program and each command, and refuses bad options with exit code 2', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: agent-worker <command>/);
    expect(help.stdout).toMatch(/enroll\s+enroll this machine/);
    expect(help.stdout).toMatch(/status\s+show identity/);
    for (const command of ['enroll', 'status']) {
      const res = await cli([command, '--help']);
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(new RegExp(`^Usage: agent-worker ${command}`));
    }
    const bad = await cli(['enroll', '--sever', base]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--sever/);
    expect((await cli(['enroll', '--token', 'x'])).stderr).toMatch(/--server is required/);
    expect((await cli(['frobnicate'])).code).toBe(2);
  });

  it('answers whoami over a signed request, and refuses a tampered or missing signature with 401', async () => {
    const privateKey = fs.readFileSync(path.join(dir, 'agent.key'), 'utf8');
    const ok = await signedFetch({ serverUrl: base, nodeId, privateKey, method: 'GET', path: '/api/v1/agent/whoami' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ nodeId, status: 'pending', revoked: false, organizationId: seed.orgA });

    const headers = signRequest(privateKey, { nodeId, method: 'GET', path: '/api/v1/agent/whoami' });
    const sig = headers[AGENT_SIGNATURE_HEADER]!;
    const tampered = await fetch(`${base}/api/v1/agent/whoami`, { headers: { ...headers, [AGENT_SIGNATURE_HEADER]: (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1) } });
    expect(tampered.status).toBe(401);
    expect(((await tampered.json()) as { detail: string }).detail).toMatch(/signature does not match/);
    // Signed for another path, or by another key: refused too.
    const otherPath = signRequest(privateKey, { nodeId, method: 'GET', path: '/api/v1/agent/other' });
    expect((await fetch(`${base}/api/v1/agent/whoami`, { headers: otherPath })).status).toBe(401);
    const forged = signRequest(generateKeyPair().privateKey, { nodeId, method: 'GET', path: '/api/v1/agent/whoami' });
    expect((await fetch(`${base}/api/v1/agent/whoami`, { headers: forged })).status).toBe(401);
    expect((await fetch(`${base}/api/v1/agent/whoami`)).status).toBe(401);
  });

  it('refuses a revoked node’s signed requests with 403, and `status` says revoked with exit code 2', async () => {
    const revoked = await api('POST', `/nodes/${nodeId}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.json).toMatchObject({ status: 'revoked' });
    const privateKey = fs.readFileSync(path.join(dir, 'agent.key'), 'utf8');
    const res = await signedFetch({ serverUrl: base, nodeId, privateKey, method: 'GET', path: '/api/v1/agent/whoami' });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { detail: string }).detail).toBe('This node was revoked; its agent must enroll again with a new token.');
    const status = await cli(['status', '--state-dir', dir]);
    expect(status.code).toBe(2);
    expect(status.stdout).toMatch(/Node status:\s+revoked/);
    expect(status.stderr.trim()).toBe('agent-worker status: This node was revoked; its agent must enroll again with a new token.');

    // Enrolling again takes a new token and --force; the node is back (pending) with a new key.
    const again = await enrollmentCommand(nodeId);
    const res2 = await cli(['enroll', '--server', base, '--token', again.token, '--state-dir', dir, '--force']);
    expect(res2.code).toBe(0);
    expect((await cli(['status', '--state-dir', dir])).stdout).toMatch(/Node status:\s+pending/);
  });

  it('says "cannot reach" for status when the server is gone, with exit code 1', async () => {
    const moved = stateDir();
    fs.mkdirSync(moved, { recursive: true });
    fs.copyFileSync(path.join(dir, 'agent.key'), path.join(moved, 'agent.key'));
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const port = await freePort();
    fs.writeFileSync(path.join(moved, 'config.json'), JSON.stringify({ ...config, serverUrl: `http://127.0.0.1:${port}` }));
    const res = await cli(['status', '--state-dir', moved]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/Node status:\s+unknown/);
    expect(res.stderr.trim()).toBe(`agent-worker status: cannot reach http://127.0.0.1:${port}: connection refused (ECONNREFUSED)`);
  });
});

describe('the API documents and enforces each kind of caller', () => {
  it('shows no security for enrollment and the agent signature for whoami in the served OpenAPI document', async () => {
    const doc = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { security: unknown[]; responses: Record<string, unknown> }>>;
      components: { securitySchemes: Record<string, { type: string; in?: string; name?: string; description?: string }> };
    };
    expect(doc.paths['/agent/enroll']!.post!.security).toEqual([]);
    expect(doc.paths['/agent/enroll']!.post!.responses).not.toHaveProperty('401');
    expect(doc.paths['/agent/whoami']!.get!.security).toEqual([{ agentSignature: [] }]);
    expect(doc.paths['/nodes/{id}/revoke']!.post!.security).toEqual([{ bearerToken: ['operate'] }, { sessionCookie: [] }]);
    expect(doc.components.securitySchemes.agentSignature).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'x-agent-signature',
      description: expect.stringMatching(/signature/),
    });
  });

  it('names the field of bad enrollment input (400), before anything is looked up', async () => {
    const res = await fetch(`${base}/api/v1/agent/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'awenr_x', publicKey: 'nope', hostname: 'h', agentVersion: '1' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['publicKey']);
  });
});

describe('the node page’s enrollment and revocation forms', () => {
  it('shows the enrollment command once, in the secret box, with its expiry', async () => {
    const nodeId = await seed.freshNode(seed.orgA);
    const res = await fetch(`${base}/nodes/${nodeId}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: seed.people.msp_operator.cookie, origin: base, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ intent: 'create-enrollment', expiresInMinutes: '30' }).toString(),
    });
    expect(res.status).toBe(200);
    const html = await res.text();
    const command = /<div class="secret" data-testid="enroll-command">([^<]+)<\/div>/.exec(html)?.[1];
    expect(command).toMatch(new RegExp(`^agent-worker enroll --server ${base} --token awenr_[a-z0-9]+ --control-plane-key ${consoleKey()}$`));
    expect(html).toMatch(/It expires /);
    const page = await (await fetch(`${base}/nodes/${nodeId}`, { headers: { cookie: seed.people.msp_operator.cookie } })).text();
    expect(page).not.toContain(command!.split('--token ')[1]!.split(' ')[0]);
    expect(page).toContain('data-testid="enrollment-tokens"');
  });

  // The authorization matrix's rule for these intents: exact statuses per role, and a denied request
  // changes nothing (tests/authz/matrix.ts, CONSOLE_INTENT_MATRIX).
  const state = async () =>
    (
      await t.db.execute<{ s: string }>(sql`select md5(
    (select coalesce(string_agg(id::text || status || coalesce(revoked_at::text, ''), '|' order by id), '') from nodes) ||
    (select coalesce(string_agg(id::text || coalesce(used_at::text, '') || coalesce(revoked_at::text, ''), '|' order by id), '') from node_enrollment_tokens) ||
    (select count(*)::text from audit_events where outcome = 'success')) as s`)
    )[0]!.s;

  async function post(req: MatrixRequest, role: RoleUnderTest) {
    const headers: Record<string, string> = { origin: base, 'content-type': 'application/x-www-form-urlencoded' };
    if (role !== 'anonymous') headers.cookie = seed.people[role].cookie;
    const res = await fetch(`${base}${req.path}`, { method: 'POST', headers, body: new URLSearchParams(req.body as Record<string, string>).toString(), redirect: 'manual' });
    await res.arrayBuffer();
    return res.status;
  }

  for (const [key, entry] of Object.entries(CONSOLE_INTENT_MATRIX)) {
    it(`console ${key}`, async () => {
      const outcomes: Record<string, number[]> = {};
      const changed: string[] = [];
      for (const role of ROLES_UNDER_TEST) {
        outcomes[role] = [];
        for (const which of ['own', 'other'] as const) {
          const req = await entry.request(seed, role, which);
          const before = await state();
          const status = await post(req, role);
          outcomes[role].push(status);
          // Allowed: the page (200/201), or a redirect onward for a signed-in person (an anonymous one is sent to sign in).
          const allowed = status === 200 || status === 201 || (status === 302 && role !== 'anonymous');
          if (!allowed && (await state()) !== before) changed.push(`${role}/${which} (status ${status}) changed the database`);
        }
      }
      expect({ outcomes, changed }).toEqual({ outcomes: Object.fromEntries(Object.entries(entry.expect).map(([r, v]) => [r, [...v]])), changed: [] });
    });
  }
});
