// How the agent connects to the agent door, its only way into Temporal: the credential from enrollment
// as a bearer token on every call, over TLS when the control plane said the door speaks it, trusting the
// CA enrollment handed over (a private CA: the door's certificate is then checked against it alone) or
// else the machine's roots. Agents run without the control plane's configuration (settings.ts), so this
// comes from the enrolled state only.
import type { NativeConnectionOptions } from '@temporalio/worker';
import type { AgentConfig } from './config.ts';

export function doorConnectionOptions(config: Pick<AgentConfig, 'temporalAddress' | 'temporalTls' | 'temporalTlsServerCa'>, credential: string): NativeConnectionOptions {
  const tls = !config.temporalTls ? false : config.temporalTlsServerCa ? { serverRootCACertificate: Buffer.from(config.temporalTlsServerCa) } : true;
  return { address: config.temporalAddress, apiKey: credential, tls };
}
