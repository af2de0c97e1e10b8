// `npm start`'s agent for the machine it runs on: node "local" of the MSP's shared infrastructure. It
// needs a Docker engine: the machine's own (DOCKER_HOST or /var/run/docker.sock), else, as root, a
// private dockerd kept under the data folder (installed with apt first when missing; the engine an earlier
// start left running after a crash is taken over). The agent enrolls like any other, through the console's
// HTTP API with a one-time token and the control plane key's fingerprint, and only once: later starts
// reuse its key while the node still has it. It runs with the agent's allow-listed environment
// (agent-worker/child-env.ts), never the control plane's: no signing key, secrets key or database URL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { agentEnvironment } from '../agent-worker/child-env.ts';
import { readAgentConfig, readPrivateKey, readTemporalCredential } from '../agent-worker/config.ts';
import { hashToken } from '../api/auth/token-hash.ts';
import { keyFingerprint, publicKeyOf } from '../protocol/envelope.ts';
import { issueEnrollmentToken } from '../api/agents/service.ts';
import type { Db } from '../db/client.ts';
import { nodes } from '../db/schema.ts';
import { ensureMspOrganization } from '../db/users.ts';
import { doorServerCa } from './agent-door/tls.ts';
import { REPO_ROOT, type Config } from './config.ts';
import { startNodeService, type Service } from './processes.ts';
import { progress } from './progress.ts';
import { findDockerEngine, startDockerEngine } from './services/docker-engine.ts';
import { servicePidFile } from './services/leftovers.ts';
import { ensureDockerd } from './toolchain/system-packages.ts';
import { runNodeScript } from './run-node-script.ts';

export const LOCAL_NODE_NAME = 'local';

export interface LocalAgent {
  service: Service;
  nodeId: string;
  socketPath: string;
  stopEngine?: () => Promise<void>;
}

/** A Docker engine for the local agent, or the reason there is none (one sentence). */
async function localEngine(config: Config): Promise<{ socketPath: string; stop?: () => Promise<void> } | { missing: string }> {
  const found = await findDockerEngine();
  if (found) return { socketPath: found.socketPath };
  const dockerd = ensureDockerd();
  if ('missing' in dockerd) return { missing: `no Docker engine answers and ${dockerd.missing}` };
  if (os.userInfo().uid !== 0) return { missing: 'no Docker engine answers, and starting one needs root (start Docker, or set DOCKER_HOST=unix:///path/to/docker.sock)' };
  // Containers outlive a stop: what runs on the node is the node's business, not the start script's.
  const engine = await startDockerEngine({ dir: path.join(config.DATA_DIR, 'docker'), name: 'local', keepContainers: true });
  if (engine.recovered) progress.ok(engine.recovered);
  if (!engine.reused) progress.ok(`Started a private Docker engine for the local agent (data in ${path.join(config.DATA_DIR, 'docker')})`);
  return { socketPath: engine.socketPath, stop: () => engine.stop() };
}

/** The agent's state says it is this node's agent, with the key and door credential the node has, at this door. */
function alreadyEnrolled(stateDir: string, node: typeof nodes.$inferSelect, config: Config): boolean {
  try {
    const agent = readAgentConfig(stateDir);
    return (
      agent.nodeId === node.id &&
      agent.temporalAddress === config.agentDoorAddress &&
      Boolean(agent.temporalTls) === Boolean(config.AGENT_DOOR_TLS_CERT_FILE) &&
      (agent.temporalTlsServerCa ?? undefined) === doorServerCa(config) &&
      agent.serverUrl === config.publicUrl &&
      !node.revokedAt &&
      publicKeyOf(readPrivateKey(stateDir)) === node.agentPublicKey &&
      hashToken(readTemporalCredential(stateDir)) === node.agentCredentialHash
    );
  } catch {
    return false;
  }
}

/** `controlPlanePublicKey`: the public half of the key the web process and the worker sign with. */
export async function startLocalAgent(opts: { db: Db; config: Config; controlPlanePublicKey: string; logsDir: string; echo: boolean }): Promise<LocalAgent | undefined> {
  const { db, config } = opts;
  // What the start script was given beyond these (the control plane's keys, DATABASE_URL, ADMIN_PASSWORD) stays with it.
  const env = agentEnvironment({ LOG_LEVEL: config.LOG_LEVEL, NODE_HEARTBEAT_SECONDS: String(config.NODE_HEARTBEAT_SECONDS) });
  if (config.LOCAL_AGENT === 'off') {
    progress.ok('Local agent: off (LOCAL_AGENT=off)');
    return undefined;
  }
  const engine = await localEngine(config);
  if ('missing' in engine) {
    progress.warn(`No local agent: ${engine.missing}. Everything else works; nodes can still be enrolled from other machines.`);
    return undefined;
  }

  const msp = await ensureMspOrganization(db);
  await db
    .insert(nodes)
    .values({ organizationId: msp.id, name: LOCAL_NODE_NAME, labels: ['local'], notes: 'The machine `npm start` runs on.' })
    .onConflictDoNothing();
  const [node] = await db
    .select()
    .from(nodes)
    .where(and(eq(nodes.organizationId, msp.id), eq(nodes.name, LOCAL_NODE_NAME)));
  const stateDir = path.join(config.DATA_DIR, 'agent');
  try {
    if (!alreadyEnrolled(stateDir, node!, config)) {
      const { token } = await issueEnrollmentToken(db, node!, {
        createdBy: null,
        auditActor: { actorType: 'system', actorLabel: 'npm start (local agent)' },
        expiresInMinutes: 5,
      });
      fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
      const enrolled = await runNodeScript(
        path.join(REPO_ROOT, 'agent-worker/cli.ts'),
        ['enroll', '--server', config.publicUrl, '--token', token, '--control-plane-key', keyFingerprint(opts.controlPlanePublicKey), '--state-dir', stateDir, '--force'],
        env,
      );
      if (enrolled.code !== 0) throw new Error(enrolled.output.trim().split('\n').at(-1) ?? `exit code ${enrolled.code}`);
      progress.ok(`Enrolled the local agent as node "${LOCAL_NODE_NAME}" of ${msp.name}`);
    }
  } catch (err) {
    await engine.stop?.();
    progress.warn(`No local agent: enrolling it failed (${(err as Error).message}).`);
    return undefined;
  }
  const service = startNodeService({
    name: 'agent',
    script: path.join(REPO_ROOT, 'agent-worker/cli.ts'),
    args: ['run', '--state-dir', stateDir, '--docker-socket', engine.socketPath],
    env,
    logFile: path.join(opts.logsDir, 'agent.log'),
    echo: opts.echo,
    pidFile: servicePidFile(config, 'agent'),
  });
  progress.ok(`Local agent running for node "${LOCAL_NODE_NAME}" (queue node.${node!.id}, Docker at ${engine.socketPath})`);
  return { service, nodeId: node!.id, socketPath: engine.socketPath, stopEngine: engine.stop };
}
