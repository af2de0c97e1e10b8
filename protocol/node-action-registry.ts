// How node actions are declared, in the manner of Backstage's scaffolder action registry: each action
// once, with its name, a one-line description and zod schemas for its parameters and its output; the
// registry refuses a second action of the same name. The control plane checks parameters with it before
// signing and outputs after verifying the agent's signature; the agent checks parameters before it acts.
import type { z } from 'zod';

export interface NodeActionDefinition<Name extends string = string, Params extends z.ZodType = z.ZodType, Output extends z.ZodType = z.ZodType> {
  /** `<area>.<verb>`, e.g. `openclaw.deploy`: what an envelope's `action` names. */
  name: Name;
  /** One line, for people reading the catalogue, logs and the job page. */
  description: string;
  /**
   * `changes`: it changes what runs on the machine, so the control plane signs it only for a job whose
   * approval was checked (ADR 0010). `reads`: it changes nothing that runs.
   */
  effect: 'reads' | 'changes';
  params: Params;
  output: Output;
  /**
   * Ties the parameters to the job that asks (ADR 0010): for each field that names what the action acts
   * on (the instance, the job, the version, containers, a volume), whether it is what the job's records in
   * Postgres say. The control plane signs nothing with a field false, and names it. Absent: the
   * parameters name nothing of a job's.
   */
  binds?(params: z.output<Params>, job: JobFacts): Record<string, boolean>;
}

/** What Postgres holds of the job that asks for a node action, which its parameters are held to. */
export interface JobFacts {
  jobId: string;
  instanceId: string | null;
  /** The job's parameters as the console recorded them (the instance's name and port, the version asked, …). */
  params: Record<string, unknown>;
  /** The instance the job acts on, as recorded (null before a deployment records it). */
  instance: { name: string; containerIds: readonly string[]; port: number | null } | null;
}

/** The first field of the (checked) parameters that is not the job's, if any. */
export function unboundField(definition: NodeActionDefinition, params: unknown, job: JobFacts): string | undefined {
  const verdicts = definition.binds?.(params, job) ?? {};
  return Object.keys(verdicts).find((field) => !verdicts[field]);
}

/** Declares one action (an identity function that keeps the literal name and the schemas' types). */
export const defineNodeAction = <const Name extends string, Params extends z.ZodType, Output extends z.ZodType>(
  definition: NodeActionDefinition<Name, Params, Output>,
): NodeActionDefinition<Name, Params, Output> => definition;

export type NodeActionCatalogue<D extends NodeActionDefinition> = { readonly [N in D['name']]: Extract<D, { name: N }> };

export class DuplicateNodeActionError extends Error {}

/** The catalogue of `definitions` by name; throws when two share a name. */
export function nodeActionCatalogue<const D extends NodeActionDefinition>(definitions: readonly D[]): NodeActionCatalogue<D> {
  const byName: Record<string, NodeActionDefinition> = Object.create(null) as Record<string, NodeActionDefinition>;
  for (const definition of definitions) {
    if (byName[definition.name]) throw new DuplicateNodeActionError(`the node action ${definition.name} is declared twice`);
    byName[definition.name] = definition;
  }
  return Object.freeze(byName) as NodeActionCatalogue<D>;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Each problem as `field: message`, in one sentence. */
export const zodProblems = (error: z.ZodError): string => error.issues.map((issue) => `${issue.path.join('.') || '(the whole value)'}: ${issue.message}`).join('; ');

/** Parses `value` with one of the action's schemas; the reason names the action and each bad field. */
export function parseWith(schema: z.ZodType, value: unknown, what: string): Parsed<unknown> {
  const parsed = schema.safeParse(value);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, reason: `${what} ${zodProblems(parsed.error)}` };
}
