import { afterAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, isLoopbackHost, loadConfig, REPO_ROOT } from './config.ts';
import { grantPublicKey } from '../protocol/approval-grant.ts';

// Certificate and key files only need to be readable here (infra/agent-door/tls.ts checks their content).
const filesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-config-'));
const file = (name: string) => {
  const p = path.join(filesDir, name);
  fs.writeFileSync(p, 'pem');
  return p;
};
const doorTls = { AGENT_DOOR_TLS_CERT_FILE: file('door.pem'), AGENT_DOOR_TLS_KEY_FILE: file('door.key') };
afterAll(() => fs.rmSync(filesDir, { recursive: true, force: true }));

// Builds on an empty environment (plus HOME) so the machine's own settings cannot leak in.
const load = (env: NodeJS.ProcessEnv = {}) => loadConfig({ HOME: '/home/ops', ...env });

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    load(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('fills in the documented defaults', () => {
    const c = load();
    expect(c.PORT).toBe(3000);
    expect(c.HOST).toBe('localhost');
    expect(c.publicUrl).toBe('http://localhost:3000');
    expect(c.temporalUiUrl).toBe('http://localhost:8233');
    expect(c.temporalAddress).toBe('127.0.0.1:7233');
    expect(c.EMBEDDED_POSTGRES_PORT).toBe(54329);
    expect(c.TEMPORAL_NAMESPACE).toBe('default');
    expect(c.ADMIN_EMAIL).toBe('admin@example.com');
    expect(c.ADMIN_PASSWORD).toBeUndefined();
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.LOG_LEVEL).toBe('info');
    expect(c.DATA_DIR).toBe(path.join(REPO_ROOT, '.data'));
    expect(c.cacheDir).toBe('/home/ops/.cache/anthropy-works');
  });

  it('derives the console and Temporal Web addresses from the ports, and lets explicit URLs win', () => {
    const c = load({ PORT: '4100', HOST: '0.0.0.0', TEMPORAL_UI_PORT: '9233' });
    expect(c.PORT).toBe(4100);
    expect(c.publicUrl).toBe('http://0.0.0.0:4100');
    expect(c.temporalUiUrl).toBe('http://localhost:9233');
    const d = load({ PORT: '4100', PUBLIC_URL: 'https://ops.example.com', TEMPORAL_UI_URL: 'https://temporal.example.com' });
    expect(d.publicUrl).toBe('https://ops.example.com');
    expect(d.temporalUiUrl).toBe('https://temporal.example.com');
  });

  it('uses TEMPORAL_ADDRESS instead of the dev server address when set', () => {
    expect(load({ TEMPORAL_PORT: '7300' }).temporalAddress).toBe('127.0.0.1:7300');
    expect(load({ TEMPORAL_PORT: '7300', TEMPORAL_ADDRESS: 'temporal:7233' }).temporalAddress).toBe('temporal:7233');
  });

  it('gives agents the agent door, on loopback by default, and lets AGENT_DOOR_ADDRESS win', () => {
    expect(load().agentDoorAddress).toBe('127.0.0.1:7230');
    expect(load({ AGENT_DOOR_PORT: '7400', AGENT_DOOR_HOST: '10.0.0.5', ...doorTls }).agentDoorAddress).toBe('10.0.0.5:7400');
    expect(load({ AGENT_DOOR_HOST: '0.0.0.0', ...doorTls }).agentDoorAddress).toBe('127.0.0.1:7230');
    expect(load({ AGENT_DOOR_HOST: '::1' }).agentDoorAddress).toBe('[::1]:7230');
    expect(load({ AGENT_DOOR_HOST: '0.0.0.0', AGENT_DOOR_ADDRESS: 'door.example.com:443', ...doorTls }).agentDoorAddress).toBe('door.example.com:443');
  });

  it("takes the door's TLS certificate and key together or not at all", () => {
    expect(configError({ AGENT_DOOR_TLS_CERT_FILE: doorTls.AGENT_DOOR_TLS_CERT_FILE }).message).toMatch(/AGENT_DOOR_TLS_CERT_FILE and AGENT_DOOR_TLS_KEY_FILE go together/);
    expect(load(doorTls).AGENT_DOOR_TLS_KEY_FILE).toBe(doorTls.AGENT_DOOR_TLS_KEY_FILE);
  });

  it.each(['0.0.0.0', '::', '10.0.0.5', 'door.example.com', '192.168.1.20'])('refuses a door on AGENT_DOOR_HOST=%s without TLS, naming the variables', (host) => {
    const err = configError({ AGENT_DOOR_HOST: host });
    expect(err.message).toContain(`AGENT_DOOR_HOST is ${host}, not a loopback address`);
    expect(err.message).toMatch(/in clear.*AGENT_DOOR_TLS_CERT_FILE and AGENT_DOOR_TLS_KEY_FILE/);
    expect(load({ AGENT_DOOR_HOST: host, ...doorTls }).AGENT_DOOR_HOST).toBe(host);
  });

  it.each(['127.0.0.1', '127.0.0.2', 'localhost', '::1'])('lets a door on loopback (%s) speak plain gRPC, as `npm start` and the test stacks run it', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
    expect(load({ AGENT_DOOR_HOST: host }).AGENT_DOOR_HOST).toBe(host);
  });

  it("takes the door's CA only beside its certificate", () => {
    const ca = file('door-ca.pem');
    expect(configError({ AGENT_DOOR_TLS_CA_FILE: ca }).message).toMatch(/AGENT_DOOR_TLS_CA_FILE is the CA of the door's own certificate: set AGENT_DOOR_TLS_CERT_FILE/);
    expect(load({ ...doorTls, AGENT_DOOR_TLS_CA_FILE: ca }).AGENT_DOOR_TLS_CA_FILE).toBe(ca);
  });

  it('refuses a TLS file it cannot read, naming the variable and the file', () => {
    const missing = path.join(filesDir, 'missing.pem');
    expect(configError({ ...doorTls, AGENT_DOOR_TLS_CA_FILE: missing }).message).toContain(`AGENT_DOOR_TLS_CA_FILE: cannot read ${missing} (ENOENT)`);
    expect(configError({ TEMPORAL_TLS_CA_FILE: filesDir }).message).toContain(`TEMPORAL_TLS_CA_FILE: ${filesDir} is not a file`);
    expect(configError({ TEMPORAL_TLS_CERT_FILE: missing, TEMPORAL_TLS_KEY_FILE: file('k') }).message).toContain(`TEMPORAL_TLS_CERT_FILE: cannot read ${missing}`);
  });

  it("takes Temporal's client certificate and key together, and the CA and server name alone", () => {
    expect(configError({ TEMPORAL_TLS_CERT_FILE: file('c.pem') }).message).toMatch(/TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE go together/);
    expect(configError({ TEMPORAL_TLS_KEY_FILE: file('c.key') }).message).toMatch(/TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE go together/);
    const c = load({ TEMPORAL_TLS_CERT_FILE: file('c.pem'), TEMPORAL_TLS_KEY_FILE: file('c.key'), TEMPORAL_TLS_CA_FILE: file('ca.pem'), TEMPORAL_TLS_SERVER_NAME: 'temporal' });
    expect(c).toMatchObject({ TEMPORAL_TLS_SERVER_NAME: 'temporal', TEMPORAL_TLS_CA_FILE: path.join(filesDir, 'ca.pem') });
    expect(load({ TEMPORAL_TLS_CA_FILE: file('ca.pem') }).TEMPORAL_TLS_CERT_FILE).toBeUndefined();
  });

  it("takes the Temporal cluster's database (TEMPORAL_DATABASE_URL) with TEMPORAL_ADDRESS only, naming the database temporal or none", () => {
    const cluster = { TEMPORAL_ADDRESS: '127.0.0.1:7233' };
    expect(load({ ...cluster, TEMPORAL_DATABASE_URL: 'postgres://temporal:pw@db:5432/temporal' }).TEMPORAL_DATABASE_URL).toBe('postgres://temporal:pw@db:5432/temporal');
    expect(load({ ...cluster, TEMPORAL_DATABASE_URL: 'postgresql://temporal:pw@db' }).TEMPORAL_DATABASE_URL).toBe('postgresql://temporal:pw@db');
    expect(configError({ TEMPORAL_DATABASE_URL: 'postgres://temporal:pw@db/temporal' }).message).toMatch(/TEMPORAL_DATABASE_URL .* but TEMPORAL_ADDRESS is not set/);
    expect(configError({ ...cluster, TEMPORAL_DATABASE_URL: 'postgres://temporal:pw@db/other' }).message).toMatch(/names the database temporal \(or none\)/);
    expect(configError({ ...cluster, TEMPORAL_DATABASE_URL: 'mysql://temporal:pw@db/temporal' }).message).toMatch(/must be a postgres:\/\/ URL/);
  });

  it('takes the cache folder from ANTHROPY_CACHE_DIR, else XDG_CACHE_HOME', () => {
    expect(load({ XDG_CACHE_HOME: '/var/cache/x' }).cacheDir).toBe('/var/cache/x/anthropy-works');
    expect(load({ XDG_CACHE_HOME: '/var/cache/x', ANTHROPY_CACHE_DIR: '/opt/aw' }).cacheDir).toBe('/opt/aw');
  });

  it.each(['abc', '70000', '0', '3000.5'])('refuses PORT=%s with a ConfigError naming PORT', (value) => {
    const err = configError({ PORT: value });
    expect(err.message).toMatch(/\bPORT: /);
    expect(err.message).not.toMatch(/\b(TEMPORAL_PORT|EMBEDDED_POSTGRES_PORT|ADMIN_\w+):/);
  });

  it('refuses an ADMIN_PASSWORD under 12 characters, naming ADMIN_PASSWORD, and accepts 12', () => {
    const err = configError({ ADMIN_PASSWORD: 'short-pw-11' });
    expect(err.message).toContain('ADMIN_PASSWORD');
    expect(err.message).toMatch(/12 characters/);
    expect(err.message).not.toContain('short-pw-11'); // the value itself is never echoed
    expect(load({ ADMIN_PASSWORD: 'twelve-chars' }).ADMIN_PASSWORD).toBe('twelve-chars');
  });

  it('refuses a malformed ADMIN_EMAIL, naming ADMIN_EMAIL', () => {
    const err = configError({ ADMIN_EMAIL: 'not-an-email' });
    expect(err.message).toMatch(/\bADMIN_EMAIL: /);
    expect(load({ ADMIN_EMAIL: 'ops@example.com' }).ADMIN_EMAIL).toBe('ops@example.com');
  });

  it('names every bad variable at once', () => {
    const err = configError({ PORT: 'abc', DATABASE_URL: 'not a url', LOG_LEVEL: 'loud' });
    expect(err.message).toMatch(/\bPORT: /);
    expect(err.message).toMatch(/\bDATABASE_URL: /);
    expect(err.message).toMatch(/\bLOG_LEVEL: /);
  });
});

describe('APP_ENV=production', () => {
  const keys = {
    SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
    CONTROL_PLANE_SIGNING_KEY: crypto.generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    APPROVAL_GRANT_KEY: 'ab'.repeat(32),
  };
  const fit = {
    APP_ENV: 'production',
    ...keys,
    ADMIN_EMAIL: 'ops@msp.example',
    ADMIN_PASSWORD: 'a-long-enough-password',
    PUBLIC_URL: 'https://ops.msp.example',
    TEMPORAL_ADDRESS: 'temporal.internal:7233',
    DATABASE_URL: 'postgres://aw@db.internal/aw',
    TEMPORAL_TLS_CA_FILE: file('temporal-ca.pem'),
  };

  it('refuses every development default in one message, each naming its variable, and echoes no secret', () => {
    const err = configError({ APP_ENV: 'production' });
    const lines = err.message.split('\n').slice(1);
    expect(err.message).toMatch(/^APP_ENV=production refuses to start on development defaults \(9 problems\):/);
    for (const name of ['SECRETS_KEY', 'CONTROL_PLANE_SIGNING_KEY', 'APPROVAL_GRANT_KEY', 'ADMIN_EMAIL', 'ADMIN_PASSWORD', 'PUBLIC_URL', 'TEMPORAL_ADDRESS', 'DATABASE_URL']) {
      expect(lines.filter((l) => l.startsWith(`  - ${name} `))).toHaveLength(1);
    }
    expect(lines.filter((l) => l.startsWith('  - No TLS to Temporal'))).toHaveLength(1);
    expect(lines).toHaveLength(9);
  });

  it('names only what is left: an http:// public URL and the default admin address', () => {
    const err = configError({ ...fit, PUBLIC_URL: 'http://ops.msp.example', ADMIN_EMAIL: 'admin@example.com' });
    expect(err.message).toContain('(2 problems)');
    expect(err.message).toContain('PUBLIC_URL is http://ops.msp.example: sessions and OAuth callbacks need https://');
    expect(err.message).toContain('ADMIN_EMAIL is the default admin@example.com');
    expect(err.message).not.toContain(fit.ADMIN_PASSWORD);
    expect(err.message).not.toContain(keys.SECRETS_KEY);
  });

  it("lets a worker start with the approval grants' public key alone (it checks grants, it signs none)", () => {
    const { APPROVAL_GRANT_KEY: seed, ...workerFit } = fit;
    expect(configError(workerFit).message).toContain('APPROVAL_GRANT_KEY is not set');
    expect(load({ ...workerFit, APPROVAL_GRANT_PUBLIC_KEY: grantPublicKey(seed) }).APP_ENV).toBe('production');
  });

  it('starts with configured keys, a real admin, https, a Temporal cluster over TLS and a PostgreSQL server', () => {
    const c = load(fit);
    expect(c.APP_ENV).toBe('production');
    expect(c.publicUrl).toBe('https://ops.msp.example');
  });

  it('keeps development as the default, with every first-look default allowed', () => {
    expect(load().APP_ENV).toBe('development');
    expect(configError({ APP_ENV: 'staging' }).message).toMatch(/\bAPP_ENV: APP_ENV must be "development" or "production"/);
  });
});
