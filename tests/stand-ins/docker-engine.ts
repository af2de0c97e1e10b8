// A Docker engine on a unix socket that answers the few Engine API calls an agent's inventory makes
// (`GET /version`, `GET /containers/json`, `GET /containers/{id}/json`, `GET /_ping`), for a benchmark's
// simulated agents: the real agent code (dockerode, listContainers, hostReport) is pointed at it by
// socket path, as at a real engine, and sees the same few containers on every node. Anything else is a
// 404 in Docker's own shape, so a call the stand-in does not know fails loudly instead of passing.
import fs from 'node:fs';
import http from 'node:http';

export interface StandInContainer {
  id: string;
  name: string;
  image: string;
  state: 'running' | 'exited';
  labels: Record<string, string>;
}

const CREATED = 1_764_547_200; // 2025-12-01, seconds: a fixed date keeps the inventory's digest stable

function summary(c: StandInContainer) {
  return {
    Id: c.id,
    Names: [`/${c.name}`],
    Image: c.image,
    ImageID: `sha256:${c.id}`,
    Command: 'sleep infinity',
    Created: CREATED,
    State: c.state,
    Status: c.state === 'running' ? 'Up 2 hours' : 'Exited (0) 1 hour ago',
    Ports: [],
    Labels: c.labels,
    HostConfig: { NetworkMode: 'bridge' },
  };
}

function inspect(c: StandInContainer) {
  return {
    Id: c.id,
    Name: `/${c.name}`,
    Image: `sha256:${c.id}`,
    Created: new Date(CREATED * 1000).toISOString(),
    Path: 'sleep',
    Args: ['infinity'],
    State: { Status: c.state, Running: c.state === 'running', StartedAt: new Date(CREATED * 1000 + 60_000).toISOString() },
    Config: { Image: c.image, Labels: c.labels, Cmd: ['sleep', 'infinity'] },
    HostConfig: { NetworkMode: 'bridge' },
    Mounts: [],
    NetworkSettings: { Networks: {} },
  };
}

export async function startDockerEngineStandIn(socketPath: string, containers: StandInContainer[]): Promise<{ socketPath: string; close(): Promise<void> }> {
  fs.rmSync(socketPath, { force: true });
  const server = http.createServer((req, res) => {
    // dockerode may prefix a version (/v1.47/containers/json): the stand-in answers every version alike.
    const url = new URL(req.url ?? '/', 'http://docker');
    const route = url.pathname.replace(/^\/v\d+\.\d+/, '');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return json(404, { message: `the stand-in engine has no ${req.method} ${route}` });
    if (route === '/_ping') return res.end('OK');
    if (route === '/version') return json(200, { Version: '27.5.1', ApiVersion: '1.47', Os: 'linux', Arch: 'amd64' });
    if (route === '/containers/json') return json(200, containers.map(summary));
    const one = /^\/containers\/([^/]+)\/json$/.exec(route);
    const found = one && containers.find((c) => c.id === one[1] || c.name === one[1]);
    if (found) return json(200, inspect(found));
    return json(404, { message: `No such container or route: ${route}` });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, resolve));
  return {
    socketPath,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
