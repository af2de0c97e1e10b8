// docker-compose.yml, checked by the installed Compose implementation itself (docker-compose or
// `docker compose`): it is valid with POSTGRES_PASSWORD, refuses to run without it, and holds the
// production shape (PostgreSQL, Temporal, Temporal Web, a migration job, web and worker on one image).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../infra/config.ts';
import { composeCommand } from '../../infra/toolchain/system-packages.ts';
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
    'PUBLIC_URL',
    'TEMPORAL_UI_URL',
    'LOG_LEVEL',
    'SESSION_INACTIVITY_DAYS',
    'AGENT_DOOR_ADDRESS',
    'AGENT_DOOR_TLS_CERT_FILE',
    'AGENT_DOOR_TLS_KEY_FILE',
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

const REQUIRED = {
  POSTGRES_PASSWORD: 'compose-test-password',
  SECRETS_KEY: 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
  CONTROL_PLANE_SIGNING_KEY: 'MC4CAQAwBQYDK2VwBCIEIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f',
};

describe('docker-compose.yml', () => {
  it('is valid when POSTGRES_PASSWORD and SECRETS_KEY are set', async () => {
    const res = await runCompose(['config', '-q'], REQUIRED);
    expect(res.stderr).not.toMatch(/error/i);
    expect(res.code).toBe(0);
  });

  it('refuses to run without POSTGRES_PASSWORD or SECRETS_KEY, naming the missing one', async () => {
    const noPassword = await runCompose(['config', '-q'], { SECRETS_KEY: REQUIRED.SECRETS_KEY, CONTROL_PLANE_SIGNING_KEY: REQUIRED.CONTROL_PLANE_SIGNING_KEY });
    expect(noPassword.code).not.toBe(0);
    expect(noPassword.stderr).toContain('POSTGRES_PASSWORD');
    const noKey = await runCompose(['config', '-q'], { POSTGRES_PASSWORD: REQUIRED.POSTGRES_PASSWORD, CONTROL_PLANE_SIGNING_KEY: REQUIRED.CONTROL_PLANE_SIGNING_KEY });
    expect(noKey.code).not.toBe(0);
    expect(noKey.stderr).toContain('SECRETS_KEY');
  });

  it('runs PostgreSQL, Temporal, Temporal Web, the migration job, the web console, the worker and the agent door; the app services share one image', async () => {
    const res = await runCompose(['config'], REQUIRED);
    expect(res.code).toBe(0);
    const services = servicesOf(res.stdout);
    expect([...services.keys()].sort()).toEqual(['agent-door', 'migrate', 'postgres', 'temporal', 'temporal-ui', 'web', 'worker']);
    const image = (name: string) => services.get(name)!.get('image');
    expect(image('web')).toMatch(/^anthropy-works:/);
    expect(image('worker')).toBe(image('web'));
    expect(image('migrate')).toBe(image('web'));
    expect(image('agent-door')).toBe(image('web'));
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
});
