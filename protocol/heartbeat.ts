// What an agent reports about its machine on each heartbeat (POST /api/v1/agent/heartbeat, a request
// signed as request-signing.ts says), and the container record that the heartbeat and the node action
// inventory.list share. Never environment values or command lines: see agent-worker/docker/inventory.ts.
import { z } from 'zod';

// Any text (null when not text): the control plane keeps the dates it can store (storableDate in
// api/agents/heartbeat.ts). An odd image can claim year 0000; one unusable date must not cost the report.
const ContainerDate = z.string().max(64).nullable().catch(null).describe('ISO 8601; stored as null when not a valid date in years 1-9999');

export const ContainerRecord = z.object({
  id: z.string().min(1).max(128),
  name: z.string().max(256),
  image: z.string().max(512),
  state: z.string().max(32),
  health: z.string().max(32).nullable(),
  status: z.string().max(256),
  ports: z.array(z.object({ privatePort: z.number().int(), publicPort: z.number().int().optional(), type: z.string().max(8), ip: z.string().max(64).optional() })).max(200),
  labels: z.record(z.string().max(256), z.string().max(4096)),
  /** Docker's network mode: `host` (the machine's own network), `none`, a network's name, or `container:<id>`. */
  networkMode: z.string().max(256).optional(),
  created: ContainerDate,
  started: ContainerDate,
});
export type ContainerRecord = z.infer<typeof ContainerRecord>;

type AsReported = Pick<ContainerRecord, 'name' | 'image' | 'state' | 'health' | 'status' | 'ports'>;

/** The fields of a container that the console stores, and shows, exactly as its agent reported them. */
export const asReported = <C extends AsReported>(c: C): AsReported => ({ name: c.name, image: c.image, state: c.state, health: c.health, status: c.status, ports: c.ports });

export const ContainerRecords = z.array(ContainerRecord).max(2000);

export const InstanceConfigReport = z.object({
  /** The instance's id, from its containers' label. */
  instanceId: z.string().uuid(),
  gatewayId: z.string().min(1).max(128),
  /** toolsConfigHash of the file, or unreadableConfigHash when it is not a JSON object. */
  hash: z.string().min(1).max(200),
  /** The file's `tools` section; null when the file is not readable as JSON or the section is too large to report. */
  tools: z.record(z.string(), z.unknown()).nullable(),
  /** When the agent read the file, by the node's clock (compared only with the apply's time, also the node's). */
  readAt: z.string().max(64),
});
export type InstanceConfigReport = z.infer<typeof InstanceConfigReport>;

export const HeartbeatReport = z.object({
  agentVersion: z.string().min(1).max(64),
  hostname: z.string().min(1).max(255),
  os: z.string().max(255),
  cpu: z.object({ count: z.number().int().min(1), model: z.string().max(255).optional(), loadAverage: z.array(z.number()).max(3).optional() }),
  memory: z.object({ totalBytes: z.number().int().min(0), freeBytes: z.number().int().min(0) }),
  dockerVersion: z.string().max(64).nullable(),
  inventoryDigest: z.string().max(128).nullable(),
  /** Sent when the inventory changed (the digest differs from the last one the agent sent). */
  containers: ContainerRecords.optional(),
  /** OpenClaw instances the agent's discovery found among those containers. */
  discovered: z
    .array(
      z.object({
        name: z.string().min(1).max(128),
        containerIds: z.array(z.string().min(1).max(128)).min(1).max(10),
        confidence: z.number().min(0).max(1),
        reasons: z.array(z.string().max(300)).max(20),
      }),
    )
    .max(200)
    .optional(),
  /**
   * Each managed gateway's tool configuration as its file holds it now, read on every beat (so a hand
   * edit shows within one): the hash of its `tools` section (protocol/tool-policy.ts) and that section,
   * never the rest of the file. Optional: agents before it send none.
   */
  instanceConfigs: z.array(InstanceConfigReport).max(200).optional(),
});
export type HeartbeatReport = z.infer<typeof HeartbeatReport>;
