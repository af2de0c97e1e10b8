// Task queue names, shared by workflows, workers and the console. A node's agent polls only its own queue.
export const CONTROL_PLANE_TASK_QUEUE = 'control-plane';
export const nodeTaskQueue = (nodeId: string): string => `node.${nodeId}`;
