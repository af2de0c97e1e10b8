// The shared cache outside the clone (Node 24, the Temporal CLI, the OpenClaw bundle's npm install, test
// images), by the rule infra/bootstrap/run.sh follows: ANTHROPY_CACHE_DIR, else $XDG_CACHE_HOME or
// ~/.cache, then anthropy-works; an empty variable counts as unset. Read by the control plane's config
// and by the agent's own settings alike, so it imports nothing.
import os from 'node:os';
import path from 'node:path';

export function cacheDirFrom(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ANTHROPY_CACHE_DIR) return env.ANTHROPY_CACHE_DIR;
  return path.join(env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache'), 'anthropy-works');
}
