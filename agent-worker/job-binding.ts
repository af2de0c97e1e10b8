// What the agent holds a signed job's parameters to, besides the control plane's signature (ADR 0010):
// a job id in them is the envelope's own, a snapshot volume is the named instance's own, and the
// containers a changing action names were made for that instance (the bundle's label). The control plane
// checks the same against Postgres before it signs; here the machine's own facts are the check, so a
// wrongly signed job still acts on nothing of another instance's.
import type Dockerode from 'dockerode';
import type { JobEnvelope } from '../protocol/envelope.ts';
import { NODE_ACTIONS, stateVolumeOf, type NodeActionName } from '../protocol/node-actions.ts';
import { LABELS } from './openclaw/containers.ts';

interface Named {
  jobId?: unknown;
  instanceId?: unknown;
  snapshotVolume?: unknown;
  gatewayId?: unknown;
  cliId?: unknown;
  previous?: { gatewayId?: unknown; cliId?: unknown };
}

/** Why the (checked) parameters are not the envelope's job's, in one sentence; undefined when they are. */
export async function bindingProblem(docker: Dockerode, envelope: JobEnvelope, action: NodeActionName, params: unknown): Promise<string | undefined> {
  const p = params as Named;
  if (p.jobId !== undefined && p.jobId !== envelope.jobId) return `the parameters are for job ${String(p.jobId).slice(0, 60)}, not this envelope's job ${envelope.jobId}`;
  if (typeof p.instanceId !== 'string') return undefined;
  if (typeof p.snapshotVolume === 'string' && !p.snapshotVolume.startsWith(`${stateVolumeOf(p.instanceId)}-snap-`))
    return `snapshot volume ${p.snapshotVolume} is not one of instance ${p.instanceId}'s`;
  if (NODE_ACTIONS[action].effect !== 'changes') return undefined;
  for (const id of [p.gatewayId, p.cliId, p.previous?.gatewayId, p.previous?.cliId]) {
    if (typeof id !== 'string') continue;
    // A container already gone is the handler's to find (a retried step after it removed it).
    const info = await docker
      .getContainer(id)
      .inspect()
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode === 404) return undefined;
        throw err;
      });
    if (info && info.Config.Labels?.[LABELS.instance] !== p.instanceId) return `container ${id.slice(0, 12)} was not made for instance ${p.instanceId}`;
  }
  return undefined;
}
