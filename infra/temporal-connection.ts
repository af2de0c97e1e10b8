// The one way the app's own processes reach the Temporal frontend: the web process, the control-plane
// worker and the agent door's upstream channel all take their address and TLS from here, so that a
// frontend requiring client certificates (mTLS, docker-compose.yml) is reached by all of them alike.
// The TLS settings (TEMPORAL_TLS_*) are validated in infra/config.ts; the files are read at each connect,
// so renewed certificates are used by the next process start. Agents never come here: they reach the
// agent door with their own credential (agent-worker/door-connection.ts).
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { Connection, type TLSConfig } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { Config } from './config.ts';

export type TemporalSettings = Pick<Config, 'temporalAddress' | 'TEMPORAL_TLS_CERT_FILE' | 'TEMPORAL_TLS_KEY_FILE' | 'TEMPORAL_TLS_CA_FILE' | 'TEMPORAL_TLS_SERVER_NAME'>;

/** The TLS of a connection to the frontend; undefined: plain (the dev server on loopback). */
export function temporalTls(config: TemporalSettings): TLSConfig | undefined {
  const { TEMPORAL_TLS_CERT_FILE: cert, TEMPORAL_TLS_KEY_FILE: key, TEMPORAL_TLS_CA_FILE: ca, TEMPORAL_TLS_SERVER_NAME: serverName } = config;
  if (!cert && !ca && !serverName) return undefined;
  return {
    ...(serverName ? { serverNameOverride: serverName } : {}),
    ...(ca ? { serverRootCACertificate: fs.readFileSync(ca) } : {}),
    ...(cert && key ? { clientCertPair: { crt: fs.readFileSync(cert), key: fs.readFileSync(key) } } : {}),
  };
}

export const temporalConnectionOptions = (config: TemporalSettings) => ({ address: config.temporalAddress, tls: temporalTls(config) });

/** A client connection (workflow service calls: the console, the worker's activities). */
export const connectTemporal = (config: TemporalSettings): Promise<Connection> => Connection.connect(temporalConnectionOptions(config));

/** A worker's connection. The worker package (native code) is loaded only by the processes that call this. */
export async function connectTemporalWorker(config: TemporalSettings): Promise<NativeConnection> {
  const { NativeConnection } = await import('@temporalio/worker');
  return NativeConnection.connect(temporalConnectionOptions(config));
}

/** A raw gRPC channel's credentials and options, as the SDK's client builds them (the agent door forwards bytes). */
export function temporalChannel(config: TemporalSettings): { credentials: grpc.ChannelCredentials; options: grpc.ChannelOptions } {
  const tls = temporalTls(config);
  if (!tls) return { credentials: grpc.credentials.createInsecure(), options: {} };
  const buffer = (b: Buffer | Uint8Array | undefined) => (b ? Buffer.from(b) : null);
  return {
    credentials: grpc.credentials.createSsl(buffer(tls.serverRootCACertificate), buffer(tls.clientCertPair?.key), buffer(tls.clientCertPair?.crt)),
    options: tls.serverNameOverride ? { 'grpc.ssl_target_name_override': tls.serverNameOverride, 'grpc.default_authority': tls.serverNameOverride } : {},
  };
}

/** What a process logs about its Temporal TLS at start: which files, never their content. */
export const temporalTlsSummary = (config: TemporalSettings) =>
  temporalTls(config)
    ? { serverCa: config.TEMPORAL_TLS_CA_FILE ?? "the machine's roots", clientCertificate: config.TEMPORAL_TLS_CERT_FILE ?? 'none', serverName: config.TEMPORAL_TLS_SERVER_NAME }
    : 'off';
