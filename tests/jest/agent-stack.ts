// The whole product for an integration test file, on its own: a fresh database with the two tenants,
// the real control-plane worker on the file's own queue, the web console (agents enroll through it), the
// agent door (agents reach Temporal only through it, as in production), and nodes, each with its own
// Docker engine and a real enrolled agent. A file that needs less leaves parts
// out (no worker, no console, its own seed) and one that enrolls by hand takes a bare engine. Fields are
// mutable so that a test can kill and restart a part (stop() stops whatever runs at the end).
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

/** The parts a file can leave out; all are started unless set to false. */
export interface StackParts {
  controlPlane?: boolean;
  web?: boolean;
  /** The two tenants of tests/jest/tenants.ts (a file with a seed of its own leaves them out). */
  tenants?: boolean;
}

export interface AgentStack {
  t: TestDatabase;
  /** The two tenants (throws when the stack was started without them). */
  w: Tenants;
  /** A temporary folder of the file's own, removed by stop(). */
  dir: string;
  /** The web console's address (the agents' enrollment server). */
  base: string;
  /** The agent door's address, which enrollment gives agents as their Temporal address. */
  doorAddress: string;
  controlPlane: TestControlPlane;
  web: TestProcess;
  /** The agent door (started with the web console). */
  door: TestProcess;
  /** Starts the agent door again (after a test killed it). */
  startDoor(): Promise<TestProcess>;
  nodes: StackNode[];
  /** Starts the control-plane worker again with the stack's environment (after a test killed it). */
  startControlPlane(): Promise<TestControlPlane>;
  /**
   * Creates node `name` in `organizationId`, starts test engine `engine` (its data in the cache, so images
   * are built once per machine; `prepare` runs on it before the agent starts), enrolls and runs its agent.
   */
  addNode(opts: { name: string; organizationId: string; engine: string; prepare?: (engine: RunningDockerEngine) => Promise<void> }): Promise<StackNode>;
  /** Starts test engine `name`, prepared by `prepare`, with no node or agent (for a file that enrolls by hand). */
  addEngine(name: string, prepare?: (engine: RunningDockerEngine) => Promise<void>): Promise<RunningDockerEngine>;
  stop(): Promise<void>;
}

/** `env` goes to the worker, the console and the agents (e.g. NODE_HEARTBEAT_SECONDS). */
export async function startAgentStack(name: string, env: NodeJS.ProcessEnv = {}, parts: StackParts = {}): Promise<AgentStack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `aw-${name}-`));
  const t = await freshDatabase();
  process.env.DATABASE_URL = t.url;
  const w = parts.tenants === false ? undefined : await seedTenants(t.db);
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const doorPort = await freePort();
  const doorAddress = `127.0.0.1:${doorPort}`;
  const workerEnv = { DATABASE_URL: t.url, AGENT_DOOR_PORT: String(doorPort), ...env };
  const started: { controlPlane?: TestControlPlane; web?: TestProcess; door?: TestProcess; nodes: StackNode[]; engines: RunningDockerEngine[] } = { nodes: [], engines: [] };
  const startDoor = () => startProcess('infra/agent-door/main.ts', workerEnv, /agent door listening/);
  const stopAll = async () => {
    for (const n of started.nodes) await n.agent.stop();
    await started.door?.stop();
    await started.web?.stop();
    await started.controlPlane?.stop();
    for (const e of started.engines) await e.stop();
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (parts.controlPlane !== false) started.controlPlane = await startControlPlane(workerEnv);
    if (parts.web !== false) {
      started.web = await startProcess('web/server.ts', { ...workerEnv, PORT: String(port), PUBLIC_URL: base }, /web console listening/);
      started.door = await startDoor();
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  const left = (part: string): never => {
    throw new Error(`This file's stack was started without ${part}.`);
  };
  const addEngine = async (engineName: string, prepare?: (engine: RunningDockerEngine) => Promise<void>) => {
    const engine = await startTestEngine(engineName);
    started.engines.push(engine);
    await prepare?.(engine);
    return engine;
  };
  // The getters and setters keep `started` the one record of what runs, whatever a test swaps in.
  return {
    t,
    dir,
    base,
    doorAddress,
    nodes: started.nodes,
    get w() {
      return w ?? left('the two tenants');
    },
    get controlPlane() {
      return started.controlPlane ?? left('the control-plane worker');
    },
    set controlPlane(value) {
      started.controlPlane = value;
    },
    get web() {
      return started.web ?? left('the web console');
    },
    set web(value) {
      started.web = value;
    },
    get door() {
      return started.door ?? left('the agent door');
    },
    set door(value) {
      started.door = value;
    },
    startDoor,
    startControlPlane: () => startControlPlane(workerEnv),
    addEngine,

    async addNode(opts) {
      const tenants = w ?? left('the two tenants');
      const engine = await addEngine(opts.engine, opts.prepare);
      const nodeId = (await t.db.insert(nodes).values({ organizationId: opts.organizationId, name: opts.name }).returning())[0]!.id;
      const stateDir = path.join(dir, `agent-${opts.name}`);
      await enrollTestAgent(tenants.ctx(tenants.actors.admin), nodeId, base, stateDir);
      const startAgent = () => runTestAgent(stateDir, engine.socketPath, env);
      const node: StackNode = { name: opts.name, nodeId, engine, stateDir, agent: await startAgent(), startAgent };
      started.nodes.push(node);
      return node;
    },

    stop: stopAll,
  };
}
