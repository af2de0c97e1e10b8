// The agent door's process (`npm start` runs it beside the web console and the control-plane worker):
// listens on AGENT_DOOR_HOST:AGENT_DOOR_PORT and passes what agents may ask on to TEMPORAL_ADDRESS.
import fs from 'node:fs';
import { closeDb, getDb } from '../../db/client.ts';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { startAgentDoor } from './server.ts';

const log = createLogger('agent-door');
const config = loadConfig();

async function main() {
  const tls =
    config.AGENT_DOOR_TLS_CERT_FILE && config.AGENT_DOOR_TLS_KEY_FILE
      ? { cert: fs.readFileSync(config.AGENT_DOOR_TLS_CERT_FILE), key: fs.readFileSync(config.AGENT_DOOR_TLS_KEY_FILE) }
      : undefined;
  const door = await startAgentDoor({
    db: getDb(),
    upstream: config.temporalAddress,
    namespace: config.TEMPORAL_NAMESPACE,
    host: config.AGENT_DOOR_HOST,
    port: config.AGENT_DOOR_PORT,
    tls,
    log,
  }).catch((err: NodeJS.ErrnoException & { details?: string }) => {
    const inUse = /EADDRINUSE|address already in use/i.test(`${err.message} ${err.details ?? ''}`);
    throw new Error(
      inUse
        ? `Port ${config.AGENT_DOOR_PORT} is already in use: stop what uses it or set AGENT_DOOR_PORT.`
        : `the agent door cannot listen on ${config.AGENT_DOOR_HOST}:${config.AGENT_DOOR_PORT} (${err.message})`,
    );
  });
  log.info({ listen: `${config.AGENT_DOOR_HOST}:${door.port}`, agentsUse: config.agentDoorAddress, tls: Boolean(tls), temporal: config.temporalAddress }, 'agent door listening');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'agent door stopping');
      void door
        .close()
        .then(closeDb)
        .finally(() => process.exit(0));
    });
  }
}

main().catch((err: Error) => {
  log.fatal(err.message);
  process.exit(1);
});
