// The load balancer in front of several web processes, as production has one: a TCP proxy on loopback
// that hands each connection to the next upstream in turn, and to the one after when that one refuses
// (a killed process); with a certificate it terminates TLS, as a production balancer does for https://.
// PUBLIC_URL names it, so agents enroll and report through it like through the real one.
import net from 'node:net';
import tls from 'node:tls';

export interface TcpBalancer {
  port: number;
  stop(): Promise<void>;
}

export async function startTcpBalancer(upstreams: number[], certificate?: { cert: string; key: string }): Promise<TcpBalancer> {
  let next = 0;
  const sockets = new Set<net.Socket>();
  const onConnection = (client: net.Socket) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.pause();
    const attempt = (tries: number) => {
      const port = upstreams[next++ % upstreams.length]!;
      const upstream = net.connect(port, '127.0.0.1');
      upstream.once('error', () => (tries > 1 ? attempt(tries - 1) : client.destroy()));
      upstream.once('connect', () => {
        sockets.add(upstream);
        upstream.removeAllListeners('error');
        upstream.once('close', () => sockets.delete(upstream));
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      });
    };
    attempt(upstreams.length);
  };
  const server = certificate ? tls.createServer(certificate, onConnection) : net.createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
