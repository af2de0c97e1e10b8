// What the step model (protocol/workflow-definition.ts) cannot check alone: each step against the
// catalogue, its provider's action schema and the organization's own records. Every error names the field
// (`steps.1.input.folderId`, the API's usual dotted path) and the step by its id. What the policy engine
// decides (a permission, a connection's status) is not an error here: the policy preview shows it.
import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, Tx } from '../../db/client.ts';
import { capabilities, connections, instances } from '../../db/schema.ts';
import { holdsReference, type InstanceAction, type Step } from '../../protocol/workflow-definition.ts';
import { displayTextProblem } from '../display-text.ts';
import { InvalidInputError, type FieldErrors } from '../errors.ts';
import { providerOf } from '../connections/providers/registry.ts';

/** The input each lifecycle step takes: none (the instance is the step's own field). */
export const LIFECYCLE_INPUTS: Record<InstanceAction, z.ZodObject> = { health: z.object({}), restart: z.object({}) };

type Path = PropertyKey[];

/** Whether the value at `path` (or one on the way to it) is a string holding a reference: known only at run time. */
function atReference(input: unknown, path: Path): boolean {
  let current = input;
  for (const part of [undefined, ...path]) {
    if (part !== undefined) current = current !== null && typeof current === 'object' ? (current as Record<PropertyKey, unknown>)[part] : undefined;
    if (typeof current === 'string' && holdsReference(current)) return true;
  }
  return false;
}

/** The input's problems against the action's schema, by path: references stand for any value; unknown fields are named. */
function inputProblems(schema: z.ZodObject, input: Record<string, unknown>, what: string): [Path, string][] {
  const unknown = Object.keys(input)
    .filter((k) => !Object.hasOwn(schema.shape, k))
    .map((k): [Path, string] => [[k], `${what} has no input "${k}"`]);
  const parsed = schema.safeParse(input);
  const issues = parsed.success ? [] : parsed.error.issues.filter((i) => i.code !== 'unrecognized_keys' && !atReference(input, i.path));
  return [...unknown, ...issues.map((i): [Path, string] => [i.path, i.message])];
}

interface Organization {
  id: string;
  name: string;
}

/** Throws InvalidInputError naming every bad field of every step (`prefix` is where the steps are in the body). */
export async function checkStepsAgainstRecords(db: Db | Tx, org: Organization, steps: Step[], prefix = 'steps'): Promise<void> {
  const errors: FieldErrors = {};
  const connectionSteps = steps.filter((s) => s.kind === 'connection_action');
  const instanceSteps = steps.filter((s) => s.kind === 'instance_action');
  const byId = <T extends { id: string }>(rows: T[]) => new Map(rows.map((r) => [r.id, r]));
  const capabilityRows = await db
    .select()
    .from(capabilities)
    .where(inArray(capabilities.key, [...new Set(connectionSteps.map((s) => s.capabilityKey))]));
  const caps = new Map(capabilityRows.map((c) => [c.key, c]));
  // Only the organization's own records: another organization's id reads as "no such record here".
  const conns = byId(
    await db
      .select()
      .from(connections)
      .where(
        and(
          eq(connections.organizationId, org.id),
          inArray(
            connections.id,
            connectionSteps.map((s) => s.connectionId),
          ),
        ),
      ),
  );
  const insts = byId(
    await db
      .select()
      .from(instances)
      .where(
        and(
          eq(instances.organizationId, org.id),
          inArray(
            instances.id,
            instanceSteps.map((s) => s.instanceId),
          ),
        ),
      ),
  );

  steps.forEach((step, i) => {
    const fail = (path: Path, message: string) => (errors[[prefix, i, ...path].join('.')] ??= `step "${step.id}": ${message}`);
    const nameProblem = displayTextProblem(step.name);
    if (nameProblem) fail(['name'], `name ${nameProblem}`);
    if (step.kind === 'wait_for_person' || step.kind === 'notify') {
      const problem = displayTextProblem(step.message, { lineBreaks: true });
      if (problem) fail(['message'], `message ${problem}`);
      return;
    }
    if (step.kind === 'instance_action') {
      const instance = insts.get(step.instanceId);
      if (!instance) fail(['instanceId'], `no instance with this id in ${org.name}`);
      else if (instance.state !== 'managed') fail(['instanceId'], `${instance.name} is discovered, not managed: adopt it first`);
      for (const [path, message] of inputProblems(LIFECYCLE_INPUTS[step.action], step.input, `the lifecycle action ${step.action}`)) fail(['input', ...path], message);
      return;
    }
    const cap = caps.get(step.capabilityKey);
    if (!cap) return void fail(['capabilityKey'], `no capability "${step.capabilityKey}" is in the catalogue`);
    if (!cap.provider) return void fail(['capabilityKey'], `${cap.name} does not act through a connection (an OpenClaw lifecycle action is an instance_action step)`);
    const provider = providerOf(cap.provider);
    const action = cap.actions.some((a) => a.key === step.action) ? provider.actions[step.action] : undefined;
    if (!action) return void fail(['action'], `${cap.name} has no action "${step.action}"`);
    const connection = conns.get(step.connectionId);
    if (!connection) fail(['connectionId'], `no connection with this id in ${org.name}`);
    else if (connection.provider !== cap.provider)
      fail(['connectionId'], `${connection.name} is a ${providerOf(connection.provider).name} connection; ${cap.name} needs a ${provider.name} one`);
    if (action.input instanceof z.ZodObject) {
      for (const [path, message] of inputProblems(action.input, step.input, `${cap.name}: ${step.action}`)) fail(['input', ...path], message);
    }
  });
  if (Object.keys(errors).length) throw new InvalidInputError(errors);
}
