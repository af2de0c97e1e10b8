// The whole product for an integration test file, on its own: a fresh database with the two tenants,
// the real control-plane worker on the file's own queue, the web console (agents enroll through it), and
// nodes, each with its own Docker engine and a real enrolled agent. Fields are mutable so that a test
// can kill and restart a part (stop() stops whatever runs at the end).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nodes } from '../../db/schema.ts';
import { freePort } from '../../infra/ports.ts';
import type { RunningDockerEngine } from '../../infra/services/docker-engine.ts';
import { enrollTestAgent, runTestAgent } from './agents.ts';
import { startControlPlane, type TestControlPlane } from './control-plane.ts';
import { freshDatabase, type TestDatabase } from './db.ts';
import { startTestEngine } from './docker.ts';
import { startProcess, type TestProcess } from './processes.ts';
import { seedTenants, type Tenants } from './tenants.ts';

export interface StackNode {
  name: string;
  nodeId: string;
  engine: RunningDockerEngine;
  stateDir: string;
  agent: TestProcess;
  /** Runs the node's (already enrolled) agent again, e.g. after a test killed it. */
  startAgent(): Promise<TestProcess>;
}

export interface AgentStack {
  t: TestDatabase;
  w: Tenants;
  /** A temporary folder of the file's own, removed by stop(). */
  dir: string;
  /** The web console's address (the agents' enrollment server). */
  base: string;
  controlPlane: TestControlPlane;
  web: TestProcess;
  nodes: StackNode[];
  /** Starts the control-plane worker again with the stack's environment (after a test killed it). */
  startControlPlane(): Promise<TestControlPlane>;
  /**
   * Creates node `name` in `organizationId`, starts test engine `engine` (its data in the cache, so images
   * are built once per machine; `prepare` runs on it before the agent starts), enrolls and runs its agent.
   */
  addNode(opts: { name: string; organizationId: string; engine: string; prepare?: (engine: RunningDockerEngine) => Promise<void> }): Promise<StackNode>;
  stop(): Promise<void>;
}

/** `env` goes to the worker, the console and the agents (e.g. NODE_HEARTBEAT_SECONDS). */
export async function startAgentStack(name: string, env: NodeJS.ProcessEnv = {}): Promise<AgentStack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `aw-${name}-`));
  const t = await freshDatabase();
  process.env.DATABASE_URL = t.url;
  const w = await seedTenants(t.db);
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const workerEnv = { DATABASE_URL: t.url, ...env };
  const started: { controlPlane?: TestControlPlane; web?: TestProcess; nodes: StackNode[] } = { nodes: [] };
  const stopAll = async () => {
    for (const n of started.nodes) await n.agent.stop();
    await started.web?.stop();
    await started.controlPlane?.stop();
    for (const n of started.nodes) await n.engine.stop();
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    started.controlPlane = await startControlPlane(workerEnv);
    started.web = await startProcess('web/server.ts', { ...workerEnv, PORT: String(port), PUBLIC_URL: base }, /web console listening/);
  } catch (err) {
    await stopAll();
    throw err;
  }
  // The getters and setters keep `started` the one record of what runs, whatever a test swaps in.
  return {
    t, w, dir, base, nodes: started.nodes,
    get controlPlane() { return started.controlPlane!; },
    set controlPlane(value) { started.controlPlane = value; },
    get web() { return started.web!; },
    set web(value) { started.web = value; },
    startControlPlane: () => startControlPlane(workerEnv),

    async addNode(opts) {
      const engine = await startTestEngine(opts.engine);
      try {
        await opts.prepare?.(engine);
        const nodeId = (await t.db.insert(nodes).values({ organizationId: opts.organizationId, name: opts.name }).returning())[0]!.id;
        const stateDir = path.join(dir, `agent-${opts.name}`);
        await enrollTestAgent(w.ctx(w.actors.admin), nodeId, base, stateDir);
        const startAgent = () => runTestAgent(stateDir, engine.socketPath, env);
        const node: StackNode = { name: opts.name, nodeId, engine, stateDir, agent: await startAgent(), startAgent };
        started.nodes.push(node);
        return node;
      } catch (err) {
        await engine.stop();
        throw err;
      }
    },

    stop: stopAll,
  };
}
