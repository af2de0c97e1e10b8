// The agent's allow-listed environment: what it keeps, and that the control plane's secrets never reach a
// process it starts, even when the parent holds them.
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { agentEnvironment, isAllowedAgentVariable } from './child-env.ts';

const CONTROL_PLANE = {
  CONTROL_PLANE_SIGNING_KEY: 'MC4CAQAwBQYDK2VwBCIEIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  SECRETS_KEY: 'c2VjcmV0cy1rZXktMzItYnl0ZXMtbG9uZy4uLi4uLi4=',
  DATABASE_URL: 'postgres://app:hunter2@db:5432/works',
  APPROVAL_GRANT_KEY: 'grant-key',
  ADMIN_PASSWORD: 'correct horse battery staple',
  TEMPORAL_ADDRESS: '10.0.0.5:7233',
  AWS_SECRET_ACCESS_KEY: 'aws',
  GITHUB_TOKEN: 'ghp_x',
  NODE_OPTIONS: '--require /tmp/evil.js',
  'npm_config_//registry.example/:_authToken': 'npm-token',
};
const KEPT = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/agent',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  TZ: 'UTC',
  AGENT_STATE_DIR: '/var/lib/agent',
  ANTHROPY_CACHE_DIR: '/var/cache/aw',
  XDG_CACHE_HOME: '/var/cache',
  DOCKER_HOST: 'unix:///run/docker.sock',
  LOG_LEVEL: 'debug',
  NODE_HEARTBEAT_SECONDS: '5',
  HTTPS_PROXY: 'http://proxy:3128',
  http_proxy: 'http://proxy:3128',
  NO_PROXY: 'localhost',
  npm_config_registry: 'https://npm.mirror.example/',
  NPM_CONFIG_CAFILE: '/etc/ssl/mirror.pem',
  'npm_config_@acme:registry': 'https://npm.acme.example/',
  NODE_EXTRA_CA_CERTS: '/etc/ssl/console.pem',
};

describe("the agent's environment", () => {
  it("keeps the allow-listed variables and drops everything else, the control plane's keys and database URL first", () => {
    const env = agentEnvironment({}, { ...CONTROL_PLANE, ...KEPT, EMPTY_PATHLESS: '', TMPDIR: '' });
    expect(env).toEqual(KEPT);
    for (const name of Object.keys(CONTROL_PLANE)) expect(isAllowedAgentVariable(name)).toBe(false);
  });

  it('adds what the caller sets on purpose for a child', () => {
    expect(agentEnvironment({ npm_config_engine_strict: 'false' }, { PATH: '/bin', SECRETS_KEY: 'x' })).toEqual({ PATH: '/bin', npm_config_engine_strict: 'false' });
  });

  it('reaches a spawned process without a control-plane secret that its parent holds', () => {
    const saved = { ...process.env };
    Object.assign(process.env, CONTROL_PLANE);
    try {
      const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(JSON.stringify(process.env))'], { env: agentEnvironment(), encoding: 'utf8' });
      expect(child.status).toBe(0);
      const seen = JSON.parse(child.stdout) as Record<string, string>;
      for (const [name, value] of Object.entries(CONTROL_PLANE)) {
        expect(seen).not.toHaveProperty([name]);
        expect(child.stdout).not.toContain(value);
      }
      expect(seen.PATH).toBe(process.env.PATH);
    } finally {
      for (const name of Object.keys(CONTROL_PLANE)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });
});
