// The activity tasks the door handed to each agent, by task token: an agent may heartbeat and complete
// only these. A token goes when the task is settled (completed, failed or cancelled), when its attempt
// can no longer be running (its timeout and a grace have passed), or, past a bound per node, oldest first.
export const MAX_TASKS_PER_NODE = 500;
/** How long a task's token is kept when its poll response names no timeout. */
export const DEFAULT_TASK_MS = 24 * 60 * 60 * 1000;
const GRACE_MS = 60_000;

const keyOf = (token: Uint8Array) => Buffer.from(token).toString('base64');

export class HandedTasks {
  private readonly byNode = new Map<string, Map<string, number>>();

  private readonly perNode: number;
  private readonly now: () => number;

  constructor(perNode = MAX_TASKS_PER_NODE, now = Date.now) {
    this.perNode = perNode;
    this.now = now;
  }

  /** Records a task handed to the node's agent, kept for `forMs` (its attempt's timeout) and a grace. */
  hand(nodeId: string, token: Uint8Array, forMs = DEFAULT_TASK_MS): void {
    let tasks = this.byNode.get(nodeId);
    if (!tasks) this.byNode.set(nodeId, (tasks = new Map()));
    const at = this.now();
    if (tasks.size >= this.perNode) {
      for (const [key, until] of tasks) if (until <= at) tasks.delete(key);
      // Still full: the oldest goes (a Map iterates in insertion order).
      while (tasks.size >= this.perNode) tasks.delete(tasks.keys().next().value!);
    }
    tasks.set(keyOf(token), at + forMs + GRACE_MS);
  }

  /** Whether the door handed this task to the node's agent and it may still be running. */
  holds(nodeId: string, token: Uint8Array): boolean {
    const tasks = this.byNode.get(nodeId);
    const key = keyOf(token);
    const until = tasks?.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    tasks!.delete(key);
    return false;
  }

  settle(nodeId: string, token: Uint8Array): void {
    const tasks = this.byNode.get(nodeId);
    tasks?.delete(keyOf(token));
    if (tasks?.size === 0) this.byNode.delete(nodeId);
  }

  /** Drops every task of the node (its agent's door closed). */
  forget(nodeId: string): void {
    this.byNode.delete(nodeId);
  }

  count(nodeId: string): number {
    return this.byNode.get(nodeId)?.size ?? 0;
  }
}
