// The heartbeat loop: a signed report to the control plane every interval. The container list goes
// along only when it changed since the last accepted report.
import type Dockerode from 'dockerode';
import type { Logger } from '../infra/logger.ts';
import { readAgentConfig, writeAgentConfig, type AgentConfig } from './config.ts';
import { hostReport } from './host-report.ts';
import { signedFetch } from '../protocol/request-signing.ts';

export interface HeartbeatLoop {
  stop(): Promise<void>;
  revoked: Promise<void>;
}

export function startHeartbeats(opts: { config: AgentConfig; privateKey: string; stateDir: string; docker: Dockerode | null; intervalMs: number; log: Logger }): HeartbeatLoop {
  let acceptedDigest: string | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let onRevoked: () => void = () => {};
  const revoked = new Promise<void>((resolve) => {
    onRevoked = resolve;
  });

  const beat = async () => {
    const report = await hostReport(opts.docker, (digest) => digest !== acceptedDigest);
    const res = await signedFetch({
      serverUrl: opts.config.serverUrl,
      nodeId: opts.config.nodeId,
      privateKey: opts.privateKey,
      method: 'POST',
      path: '/api/v1/agent/heartbeat',
      body: report,
      signal: AbortSignal.timeout(10_000),
    });
    if (res.ok) {
      if (report.containers) acceptedDigest = report.inventoryDigest;
      const at = new Date().toISOString();
      writeAgentConfig(opts.stateDir, { ...readAgentConfig(opts.stateDir), lastHeartbeat: { at } });
      opts.log.debug({ at, containers: report.containers?.length }, 'heartbeat accepted');
    } else if (res.status === 403) {
      opts.log.error('the control plane says this node was revoked: stopping (enroll again with a new token)');
      onRevoked();
    } else {
      opts.log.warn({ status: res.status }, 'heartbeat refused');
    }
  };

  const loop = () => {
    if (stopped) return;
    inFlight = beat()
      .catch((err: Error) => opts.log.warn({ err }, `cannot reach the control plane at ${opts.config.serverUrl}; will retry`))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, opts.intervalMs);
      });
  };
  loop();

  return {
    revoked,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
