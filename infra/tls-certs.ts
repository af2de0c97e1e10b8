// `node infra/tls-certs.ts --out DIR`: makes the compose deployment's private CAs and the certificates of
// the Temporal server, Temporal Web, the app's processes and the agent door, where they are missing or
// due (infra/tls/certs.ts says what goes where). docker-compose.yml runs it as the one-shot `certs`
// service before anything else starts; every later run keeps what is there. Private keys are never printed.
import { parseArgs } from 'node:util';
import { createLogger } from './logger.ts';
import { ensureCertificates } from './tls/certs.ts';

const USAGE = `Usage: node infra/tls-certs.ts --out DIR [--temporal-name NAME]... [--agent-door-address HOST:PORT]

  --out DIR                      the folder to fill (ca/, temporal/, temporal-ui/, app/)
  --temporal-name NAME           a DNS name or IP address of the Temporal frontend (repeatable; default:
                                 temporal, localhost, 127.0.0.1)
  --agent-door-address HOST:PORT the door's address as agents reach it (AGENT_DOOR_ADDRESS): its host is
                                 put into the door's certificate, beside agent-door, localhost and 127.0.0.1`;

const log = createLogger('tls-certs');

/** The host of host:port, [v6]:port or a bare host. */
const hostOf = (address: string) => /^\[([^\]]+)\]/.exec(address)?.[1] ?? address.replace(/:\d+$/, '');

function main(): number {
  let values: { out?: string; 'temporal-name'?: string[]; 'agent-door-address'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { out: { type: 'string' }, 'temporal-name': { type: 'string', multiple: true }, 'agent-door-address': { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.out) {
    console.error(`--out is required\n\n${USAGE}`);
    return 2;
  }
  const unique = (names: string[]) => [...new Set(names.filter(Boolean))];
  const names = {
    temporal: unique(values['temporal-name'] ?? ['temporal', 'localhost', '127.0.0.1']),
    agentDoor: unique([...(values['agent-door-address'] ? [hostOf(values['agent-door-address'])] : []), 'agent-door', 'localhost', '127.0.0.1']),
  };
  const events = ensureCertificates(values.out, names);
  for (const e of events) log.info({ file: e.file, action: e.action }, e.action === 'issued' ? 'certificate issued' : 'certificate kept');
  log.info(
    { dir: values.out, issued: events.filter((e) => e.action === 'issued').length, temporalNames: names.temporal, agentDoorNames: names.agentDoor },
    'TLS certificates ready',
  );
  return 0;
}

process.exitCode = main();
