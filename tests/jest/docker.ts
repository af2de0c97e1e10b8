// A private Docker engine for one test file. Its data root lives in the machine's cache (outside the
// clone), so images built by an earlier run, above all the 700 MB OpenClaw bundle image, are still there;
// containers, volumes and networks never outlive a run: those of an earlier run are removed at start,
// containers and networks also at stop.
import path from 'node:path';
import { loadConfig } from '../../infra/config.ts';
import { startDockerEngine, type RunningDockerEngine } from '../../infra/services/docker-engine.ts';

export async function startTestEngine(name: string): Promise<RunningDockerEngine> {
  const engine = await startDockerEngine({ dir: path.join(loadConfig().cacheDir, 'test-engines', name), name });
  for (const c of await engine.docker.listContainers({ all: true })) await engine.docker.getContainer(c.Id).remove({ force: true });
  for (const v of (await engine.docker.listVolumes()).Volumes ?? []) await engine.docker.getVolume(v.Name).remove();
  await engine.docker.pruneNetworks();
  return engine;
}
