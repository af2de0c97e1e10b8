// The environment of the agent and of every process it starts (npm installing the OpenClaw bundle,
// OpenClaw's postinstall, ldd), built from an allow-list: a process that runs a registry's code, or the
// agent that `npm start` runs beside the control plane, sees what it needs and never a key, a password
// or a database URL of whoever started it (docs/decisions/0010-trust-boundary.md, decision 5).

/** Names passed on as they are: the system's basics and the agent's own settings (settings.ts, config.ts). */
const NAMES = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  'AGENT_STATE_DIR',
  'ANTHROPY_CACHE_DIR',
  'XDG_CACHE_HOME',
  'DOCKER_HOST',
  'LOG_LEVEL',
  'NODE_HEARTBEAT_SECONDS',
  // Tests only: the agent offers the test bundle versions too (agent-worker/openclaw/bundle.ts).
  'OPENCLAW_TEST_BUNDLES',
  // Certificates an https console or a registry mirror may need (paths, not secrets).
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
]);

/** Names passed on whatever their case (both spellings are in use): proxies, and npm's registry settings. */
const ANY_CASE = new Set([
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  ...['registry', 'cafile', 'strict_ssl', 'proxy', 'https_proxy', 'noproxy', 'userconfig'].map((k) => `NPM_CONFIG_${k.toUpperCase()}`),
]);

/** Whether a variable of the parent may reach the agent and its children. */
export function isAllowedAgentVariable(name: string): boolean {
  if (NAMES.has(name) || name.startsWith('LC_')) return true;
  const upper = name.toUpperCase();
  // A scope's own registry: npm_config_@scope:registry.
  return ANY_CASE.has(upper) || /^NPM_CONFIG_@[^:]+:REGISTRY$/.test(upper);
}

/**
 * The allow-listed part of `from` (empty values dropped), plus `extra`: what the caller sets on purpose
 * for this child (e.g. npm's engine check, a log level), which is not filtered.
 */
export function agentEnvironment(extra: Record<string, string> = {}, from: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(from)) if (value && isAllowedAgentVariable(name)) env[name] = value;
  return { ...env, ...extra };
}
