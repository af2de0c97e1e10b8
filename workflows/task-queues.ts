// Task queue names, shared by workflows, workers and the console. A node's agent polls only its own queue.
/** The default; processes read the configured name through controlPlaneTaskQueue() in api/temporal-client.ts. */
export const CONTROL_PLANE_TASK_QUEUE = 'control-plane';
export const nodeTaskQueue = (nodeId: string): string => `node.${nodeId}`;
