// The agent door's process (`npm start` runs it beside the web console and the control-plane worker):
// listens on AGENT_DOOR_HOST:AGENT_DOOR_PORT and passes what agents may ask on to TEMPORAL_ADDRESS.
import { closeDb, getDb } from '../../db/client.ts';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { temporalChannel, temporalTlsSummary } from '../temporal-connection.ts';
import { startAgentDoor } from './server.ts';
import { doorTls } from './tls.ts';

const log = createLogger('agent-door');
const config = loadConfig();

async function main() {
  // infra/config.ts has refused a door beyond loopback without a certificate; here the files must agree.
  const tls = doorTls(config);
  const door = await startAgentDoor({
    db: getDb(),
    upstream: config.temporalAddress,
    upstreamChannel: temporalChannel(config),
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
  log.info(
    {
      listen: `${config.AGENT_DOOR_HOST}:${door.port}`,
      agentsUse: config.agentDoorAddress,
      tls: tls ? { agentsTrust: config.AGENT_DOOR_TLS_CA_FILE ? `the CA in ${config.AGENT_DOOR_TLS_CA_FILE}` : "their machine's roots" } : 'off (loopback)',
      temporal: config.temporalAddress,
      temporalTls: temporalTlsSummary(config),
    },
    'agent door listening',
  );
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
