// `npm start`: runs the product on embedded defaults until Ctrl-C.
import { ConfigError, loadConfig } from './config.ts';
import { printGeneratedPassword } from './first-admin.ts';
import { LOCAL_NODE_NAME } from './local-agent.ts';
import { progress, UserFacingError } from './progress.ts';
import { startStack } from './stack.ts';

async function main() {
  const config = loadConfig();
  progress.step(`Anthropy Works: starting (data folder ${config.DATA_DIR})`);
  const stack = await startStack(config);
  if (stack.admin) printGeneratedPassword(stack.admin);

  console.log(`
Anthropy Works is running:
  Web console     ${stack.consoleUrl}   (sign in as ${stack.admin?.email ?? 'an MSP admin'})
  REST API        ${stack.consoleUrl}/api/v1
  Temporal Web    ${stack.temporalWebUrl}
  Temporal        ${stack.temporalAddress} (namespace "${config.TEMPORAL_NAMESPACE}", worker queue "control-plane"; loopback only)
  Agent door      ${stack.agentDoorAddress} (agents reach Temporal only through it)
  PostgreSQL      ${stack.embeddedPostgres ? `embedded, port ${config.EMBEDDED_POSTGRES_PORT}, data in ${config.DATA_DIR}/postgres` : 'DATABASE_URL'}
  Logs            ${config.DATA_DIR}/logs/
  Local agent     ${stack.localNodeId ? `node "${LOCAL_NODE_NAME}" (task queue node.${stack.localNodeId})` : config.LOCAL_AGENT === 'off' ? 'off (LOCAL_AGENT=off)' : 'not running (the reason is above)'}
Press Ctrl-C to stop.
`);

  let stopping = false;
  const shutdown = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    progress.step(`Stopping (${reason})…`);
    await stack.stop();
    progress.ok('Stopped. Run `npm start` again to continue with the same data.');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown('Ctrl-C', 0));
  process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
  const exited = await stack.firstExit;
  await shutdown(`${exited} exited unexpectedly; see ${config.DATA_DIR}/logs/${exited}.log`, 1);
}

main().catch((err) => {
  if (err instanceof UserFacingError || err instanceof ConfigError) progress.fail(err.message);
  else progress.fail(`Start failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
