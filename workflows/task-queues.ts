// Task queue names, shared by workflows, workers and the console. A node's agent polls only its own queue.
/** The default; processes read the configured name through controlPlaneTaskQueue() in api/temporal-client.ts. */
export const CONTROL_PLANE_TASK_QUEUE = 'control-plane';
export const nodeTaskQueue = (nodeId: string): string => `node.${nodeId}`;

/**
 * The activity id of one attempt of a node step (one signed envelope). The payload codec leaves these
 * activities' input plain: the node's agent holds no Temporal key, and the input is the signed envelope,
 * ids and operational parameters only (protocol/envelope.ts, ADR 0016).
 */
export const NODE_JOB_ACTIVITY_PREFIX = 'node-job.';
export const nodeJobActivityId = (envelopeId: string): string => `${NODE_JOB_ACTIVITY_PREFIX}${envelopeId}`;
