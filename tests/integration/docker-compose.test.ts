// docker-compose.yml, checked by the installed Compose implementation itself (docker-compose or
// `docker compose`): it is valid with the settings the production profile asks for, refuses to run
// without any of them, and holds the production shape (PostgreSQL, Temporal, Temporal Web, a certificate
// job, a migration job, web, worker and agent door on one image, and an optional agent), with mTLS to the
// Temporal frontend and TLS at the agent door, APP_ENV=production passing the profile, and a healthcheck
// on each long-running app service (web /readyz, worker /readyz on its health port, `agent-worker status`).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isAllowedAgentVariable } from '../../agent-worker/child-env.ts';
import { loadConfig, REPO_ROOT } from '../../infra/config.ts';
import { productionProblems } from '../../infra/production-profile.ts';
import { composeCommand } from '../../infra/toolchain/system-packages.ts';
import { grantPublicKey } from '../../protocol/approval-grant.ts';
import { runCommand, type CommandResult } from '../jest/run-command.ts';

const COMPOSE_FILE = path.join(REPO_ROOT, 'docker-compose.yml');
let tmp: string;
let emptyEnvFile: string;

function compose(): string[] {
  const cmd = composeCommand();
  if (!cmd) {
    throw new Error(
      'No Compose implementation found (neither `docker compose` nor `docker-compose`): install docker-compose ' +
        '(`apt-get install docker-compose`; `npm test` installs it) and run the tests again.',
    );
  }
  return cmd;
}

function runCompose(args: string[], extraEnv: NodeJS.ProcessEnv): Promise<CommandResult> {
  const [cmd, ...pre] = compose();
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  for (const key of [
    'POSTGRES_PASSWORD',
    'SECRETS_KEY',
    'CONTROL_PLANE_SIGNING_KEY',
    'APPROVAL_GRANT_KEY',
    'APPROVAL_GRANT_PUBLIC_KEY',
    'ADMIN_EMAIL',
    'ADMIN_PASSWORD',
    'APP_ENV',
    'METRICS_TOKEN',
    'WORKER_METRICS_PORT',
    'WORKER_HEALTH_PORT',
    'PUBLIC_URL',
    'TEMPORAL_UI_URL',
    'LOG_LEVEL',
    'SESSION_INACTIVITY_DAYS',
    'AGENT_DOOR_ADDRESS',
    'AGENT_DOOR_TLS_CERT_FILE',
    'AGENT_DOOR_TLS_KEY_FILE',
    'AGENT_DOOR_TLS_CA_FILE',
    'AGENT_DOOR_TLS_DIR',
    'COMPOSE_FILE',
    'COMPOSE_PROJECT_NAME',
  ]) {
    if (!(key in extraEnv)) delete env[key];
  }
  // An empty env file, so a developer's .env beside the compose file cannot supply the password.
  return runCommand(cmd!, [...pre, '--env-file', emptyEnvFile, '-f', COMPOSE_FILE, ...args], { cwd: REPO_ROOT, env });
}

/** The services of `compose config` output (YAML, two-space indentation) with their top-level fields. */
function servicesOf(yaml: string): Map<string, Map<string, string>> {
  const services = new Map<string, Map<string, string>>();
  let inServices = false;
  let current: Map<string, string> | undefined;
  for (const line of yaml.split('\n')) {
    if (/^\S/.test(line)) {
      inServices = line.trimEnd() === 'services:';
      current = undefined;
      continue;
    }
    if (!inServices) continue;
    const service = /^ {2}['"]?([\w.-]+)['"]?:\s*$/.exec(line);
    if (service) {
      current = new Map();
      services.set(service[1]!, current);
      continue;
    }
    const field = /^ {4}([\w_-]+):\s*(.*)$/.exec(line);
    if (field && current) current.set(field[1]!, field[2]!.replace(/^['"]|['"]$/g, ''));
  }
  return services;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-compose-'));
  emptyEnvFile = path.join(tmp, 'empty.env');
  fs.writeFileSync(emptyEnvFile, '');
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const GRANT_KEY = '0123456789abcdef'.repeat(4);
const REQUIRED = {
  POSTGRES_PASSWORD: 'compose-test-password',
  SECRETS_KEY: 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
  CONTROL_PLANE_SIGNING_KEY: 'MC4CAQAwBQYDK2VwBCIEIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f',
  APPROVAL_GRANT_KEY: GRANT_KEY,
  APPROVAL_GRANT_PUBLIC_KEY: grantPublicKey(GRANT_KEY),
  PUBLIC_URL: 'https://ops.example.com',
  ADMIN_EMAIL: 'ops@msp.example',
  ADMIN_PASSWORD: 'compose-admin-password',
};

/** One service's section of `compose config` output. */
const sectionOf = (yaml: string, name: string) => new RegExp(`^ {2}${name}:\n([\\s\\S]*?)(?=^ {2}\\S|^\\S)`, 'm').exec(yaml)![1]!;

/** A service's environment (the `environment:` block of its section), values unquoted. */
function environmentOf(section: string): Record<string, string> {
  const block = /^ {4}environment:\n((?: {6}.*\n)*)/m.exec(section)?.[1] ?? '';
  return Object.fromEntries(
    [...block.matchAll(/^ {6}([\w]+): ?(.*)$/gm)].map(([, key, value]) => [key!, /^'.*'$/.test(value!) ? value!.slice(1, -1).replace(/''/g, "'") : value!.replace(/^"|"$/g, '')]),
  );
}

describe('docker-compose.yml', () => {
  it('is valid with the settings the production profile asks for', async () => {
    const res = await runCompose(['config', '-q'], REQUIRED);
    expect(res.stderr).not.toMatch(/error/i);
    expect(res.code).toBe(0);
  });

  it('refuses to run without any setting the production profile asks for, naming the missing one', async () => {
    for (const missing of Object.keys(REQUIRED)) {
      const res = await runCompose(['config', '-q'], { ...REQUIRED, [missing]: undefined });
      expect([missing, res.code === 0]).toEqual([missing, false]);
      expect(res.stderr).toContain(missing);
    }
  });

  it('runs PostgreSQL, Temporal, Temporal Web, the certificate and migration jobs, the web console, the worker and the agent door; the app services share one image', async () => {
    const res = await runCompose(['config'], REQUIRED);
    expect(res.code).toBe(0);
    const services = servicesOf(res.stdout);
    expect([...services.keys()].sort()).toEqual(['agent', 'agent-door', 'certs', 'migrate', 'postgres', 'temporal', 'temporal-ui', 'web', 'worker']);
    const image = (name: string) => services.get(name)!.get('image');
    expect(image('web')).toMatch(/^anthropy-works:/);
    expect(image('worker')).toBe(image('web'));
    expect(image('migrate')).toBe(image('web'));
    expect(image('agent-door')).toBe(image('web'));
    expect(image('certs')).toBe(image('web'));
    expect(image('agent')).toBe(image('web'));
    expect(image('postgres')).toMatch(/^postgres:/);
    expect(image('temporal')).toMatch(/^temporalio\/auto-setup:/);
    expect(image('temporal-ui')).toMatch(/^temporalio\/ui:/);
    // The password reaches the app through DATABASE_URL (interpolated, not left as a ${…} reference).
    expect(res.stdout).toContain('DATABASE_URL: postgres://anthropy:compose-test-password@postgres:5432/anthropy');
    expect(res.stdout).not.toContain('${');
    // Agents are given the door, never the frontend, which is published on loopback only.
    expect(res.stdout).toContain('AGENT_DOOR_ADDRESS: localhost:7230');
    const temporal = /^ {2}temporal:\n([\s\S]*?)(?=^ {2}\S)/m.exec(res.stdout)![1]!;
    expect(temporal).toMatch(/7233/);
    expect(temporal).toMatch(/127\.0\.0\.1/);
  });

  it('turns on mTLS at the Temporal frontend for every client, and TLS at the agent door, from the certs job', async () => {
    const res = await runCompose(['config'], REQUIRED);
    expect(res.code).toBe(0);
    const section = (name: string) => new RegExp(`^ {2}${name}:\n([\\s\\S]*?)(?=^ {2}\\S|^\\S)`, 'm').exec(res.stdout)![1]!;
    const certs = section('certs');
    expect(certs).toMatch(/infra\/tls-certs\.ts/);
    expect(certs).toContain('localhost:7230'); // the door's certificate names AGENT_DOOR_ADDRESS's host
    for (const volume of ['tls-ca', 'tls-temporal', 'tls-temporal-ui', 'tls-app']) expect(certs).toContain(`- ${volume}:`);

    const temporal = section('temporal');
    expect(temporal).toMatch(/TEMPORAL_TLS_REQUIRE_CLIENT_AUTH: 'true'|TEMPORAL_TLS_REQUIRE_CLIENT_AUTH: "true"/);
    for (const v of ['TEMPORAL_TLS_FRONTEND_CERT', 'TEMPORAL_TLS_FRONTEND_KEY', 'TEMPORAL_TLS_CLIENT1_CA_CERT', 'TEMPORAL_TLS_SERVER_CERT', 'TEMPORAL_TLS_SERVER_CA_CERT']) {
      expect(temporal).toMatch(new RegExp(`${v}: /tls/temporal/`));
    }
    expect(temporal).not.toContain('tls-ca:'); // the CAs' keys stay with the certs job
    // The production shape's dynamic config (the long polls a thousand agents keep open), from the repository.
    const target = /DYNAMIC_CONFIG_FILE_PATH: (\S+)/.exec(temporal)![1]!;
    const source = path.join(REPO_ROOT, 'infra/temporal-cluster/config/dynamicconfig/production.yaml');
    expect(fs.readFileSync(source, 'utf8')).toMatch(/^frontend\.namespaceCount:\n {2}- value: \d+$/m);
    // The short form (docker-compose) or the long one (`docker compose`).
    const mounted = temporal.includes(`- ${source}:${target}:ro`) || new RegExp(`source: ${source}\n\\s+target: ${target}\n\\s+read_only: true`).test(temporal);
    expect({ mounted, source, target }).toEqual({ mounted: true, source, target });
    const ui = section('temporal-ui');
    for (const v of ['TEMPORAL_TLS_CA', 'TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY']) expect(ui).toMatch(new RegExp(`${v}: /tls/temporal-ui/`));

    for (const app of ['web', 'worker', 'agent-door']) {
      const s = section(app);
      expect(s).toContain('TEMPORAL_TLS_CERT_FILE: /tls/app/temporal-client.pem');
      expect(s).toContain('TEMPORAL_TLS_CA_FILE: /tls/app/temporal-ca.pem');
      expect(s).toContain('TEMPORAL_TLS_SERVER_NAME: temporal');
      expect(s).toContain('AGENT_DOOR_TLS_CA_FILE: /tls/app/agent-door-ca.pem');
      expect(s).toMatch(/certs:\n\s+condition: service_completed_successfully/);
      expect(s).not.toContain('tls-ca:');
    }
    expect(section('agent-door')).toContain('AGENT_DOOR_HOST: 0.0.0.0');
    expect(section('agent-door')).toContain('AGENT_DOOR_TLS_CERT_FILE: /tls/app/agent-door.pem');
  });

  it('lets an operator bring the door certificate of a public CA: agents then trust their roots', async () => {
    const res = await runCompose(['config'], {
      ...REQUIRED,
      AGENT_DOOR_TLS_CERT_FILE: '/door-tls/cert.pem',
      AGENT_DOOR_TLS_KEY_FILE: '/door-tls/key.pem',
      AGENT_DOOR_TLS_CA_FILE: '',
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('AGENT_DOOR_TLS_CERT_FILE: /door-tls/cert.pem');
    expect(res.stdout).not.toContain('/tls/app/agent-door-ca.pem');
  });
  it('runs web, worker, agent door and migrations with APP_ENV=production on settings the profile accepts', async () => {
    const res = await runCompose(['config'], REQUIRED);
    expect(res.code).toBe(0);
    for (const app of ['web', 'worker', 'agent-door', 'migrate']) {
      const env = environmentOf(sectionOf(res.stdout, app));
      expect({ app, APP_ENV: env.APP_ENV }).toEqual({ app, APP_ENV: 'production' });
      expect({ app, problems: productionProblems({ ...env, ADMIN_EMAIL: env.ADMIN_EMAIL ?? '' }) }).toEqual({ app, problems: [] });
      // The process would start on it: loadConfig, the profile included, accepts every value (the certificate
      // files exist only in the containers: a readable file stands in for each).
      const here = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, k.endsWith('_FILE') && v ? COMPOSE_FILE : v]));
      expect(() => loadConfig(here)).not.toThrow();
    }
    // Without the token, /metrics answers only inside the web container (an empty value counts as unset).
    expect(environmentOf(sectionOf(res.stdout, 'web')).METRICS_TOKEN).toBe('');
    const withToken = await runCompose(['config'], { ...REQUIRED, METRICS_TOKEN: 'prometheus-scrape-token-0123' });
    expect(environmentOf(sectionOf(withToken.stdout, 'web')).METRICS_TOKEN).toBe('prometheus-scrape-token-0123');
    expect(loadConfig({ METRICS_TOKEN: environmentOf(sectionOf(withToken.stdout, 'web')).METRICS_TOKEN }).METRICS_TOKEN).toBe('prometheus-scrape-token-0123');
  });

  it('gives the approval-grant key to the web console only; the worker, the door and migrations get its public half', async () => {
    const res = await runCompose(['config'], REQUIRED);
    expect(res.code).toBe(0);
    const web = environmentOf(sectionOf(res.stdout, 'web'));
    expect(web.APPROVAL_GRANT_KEY).toBe(GRANT_KEY);
    for (const app of ['worker', 'agent-door', 'migrate']) {
      const env = environmentOf(sectionOf(res.stdout, app));
      expect({ app, key: env.APPROVAL_GRANT_KEY, publicKey: env.APPROVAL_GRANT_PUBLIC_KEY }).toEqual({ app, key: undefined, publicKey: grantPublicKey(GRANT_KEY) });
    }
    // The header's openssl command gives the same public half as the product computes.
    const command = /^#\s+(echo "302e[^\n]+)$/m.exec(fs.readFileSync(COMPOSE_FILE, 'utf8'))![1]!;
    const derived = await runCommand('sh', ['-c', command], { cwd: tmp, env: { PATH: process.env.PATH, APPROVAL_GRANT_KEY: GRANT_KEY } });
    expect({ code: derived.code, key: derived.stdout.trim() }).toEqual({ code: 0, key: grantPublicKey(GRANT_KEY) });
  });

  it('checks each long-running app service: web /readyz, the worker’s /readyz on its health port, the agent with `agent-worker status`', async () => {
    const res = await runCompose(['config'], REQUIRED);
    expect(res.code).toBe(0);
    const healthcheckOf = (name: string) => /^ {4}healthcheck:\n((?: {6}.*\n)*)/m.exec(sectionOf(res.stdout, name))?.[1] ?? '';
    expect(healthcheckOf('web')).toContain('http://127.0.0.1:3000/readyz');
    const worker = environmentOf(sectionOf(res.stdout, 'worker'));
    expect(worker).toMatchObject({ WORKER_HEALTH_PORT: '9465', WORKER_METRICS_PORT: '9464' });
    expect(healthcheckOf('worker')).toContain(`http://127.0.0.1:${worker.WORKER_HEALTH_PORT}/readyz`);
    expect(healthcheckOf('agent')).toMatch(/- node\n\s+- agent-worker\/cli\.ts\n\s+- status\n/);
    for (const name of ['web', 'worker', 'agent']) expect(healthcheckOf(name)).toMatch(/start_period: /);
    // The agent is optional, and gets only what an agent may see: no key, password or database URL.
    const agent = sectionOf(res.stdout, 'agent');
    expect(agent).toMatch(/profiles:\n\s+- agent\n/);
    const agentEnv = environmentOf(agent);
    expect(Object.keys(agentEnv).length).toBeGreaterThan(0);
    expect(Object.keys(agentEnv).filter((k) => !isAllowedAgentVariable(k))).toEqual([]);
    expect(agent).toContain('/var/run/docker.sock:/var/run/docker.sock');
  });
});
