// The agent's own settings from its environment. The agent runs on managed machines without the control
// plane's configuration, so it never reads infra/config.ts: only what it needs, here. Each variable read
// here is on the allow-list of child-env.ts, the only environment the agent is started with.
import { cacheDirFrom } from '../infra/cache-dir.ts';

export interface AgentSettings {
  /** Where the bundle's npm install and the Node binary for images are kept (as the bootstrap script does). */
  cacheDir: string;
  /** The Docker engine's socket: DOCKER_HOST (unix://…), else /var/run/docker.sock. */
  dockerSocket: string;
  /** Seconds between heartbeats: NODE_HEARTBEAT_SECONDS, else 15 (the control plane's default). */
  heartbeatSeconds: number;
  /** The agent's log level: LOG_LEVEL, else info. */
  logLevel: string;
}

export function agentSettings(env: NodeJS.ProcessEnv = process.env): AgentSettings {
  return {
    cacheDir: cacheDirFrom(env),
    dockerSocket: env.DOCKER_HOST?.replace(/^unix:\/\//, '') || '/var/run/docker.sock',
    heartbeatSeconds: Number(env.NODE_HEARTBEAT_SECONDS || 15),
    logLevel: env.LOG_LEVEL || 'info',
  };
}
