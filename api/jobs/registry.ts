// Every kind of job the product runs, listed once. Adding one is a `defineJobType` in its feature folder,
// its workflow, and a line here. Built on first use, so features may import the kernel freely.
import { agentJobTypes } from '../agents/job-types.ts';
import { fleetJobTypes } from '../fleet/job-types.ts';
import { instanceJobTypes } from '../instances/job-types.ts';
import { systemJobTypes } from '../system/job-types.ts';
import { workflowRunJobTypes } from '../workflow-runs/job-types.ts';
import type { JobTypeDefinition } from './job-type.ts';

let registry: ReadonlyMap<string, JobTypeDefinition> | undefined;

/** A registry of these definitions; refuses two definitions of one type. */
export function buildRegistry(definitions: readonly JobTypeDefinition[]): ReadonlyMap<string, JobTypeDefinition> {
  const all = new Map<string, JobTypeDefinition>();
  for (const definition of definitions) {
    if (all.has(definition.type)) throw new Error(`job type "${definition.type}" is defined twice`);
    all.set(definition.type, definition);
  }
  return all;
}

/** Every job type of this release. */
export const jobTypes = (): ReadonlyMap<string, JobTypeDefinition> =>
  (registry ??= buildRegistry([...instanceJobTypes, ...systemJobTypes, ...agentJobTypes, ...workflowRunJobTypes, ...fleetJobTypes] as JobTypeDefinition[]));

/** A stored job's definition, or undefined for a type this release no longer has. */
export const jobTypeOf = (type: string): JobTypeDefinition | undefined => jobTypes().get(type);
