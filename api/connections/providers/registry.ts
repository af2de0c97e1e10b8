// Every provider of this release, listed once (like the job types, api/jobs/registry.ts): a duplicate id
// is refused, and every id of the capability catalogue's PROVIDERS has its module (registry.test.ts).
import { NotFoundError } from '../../errors.ts';
import { composio } from './composio.ts';
import { googleDrive } from './google-drive.ts';
import type { ProviderDefinition } from './provider.ts';
import { quickbooks } from './quickbooks.ts';
import { servicetitan } from './servicetitan.ts';

/** A registry of these providers; refuses two definitions of one id. */
export function buildProviderRegistry(definitions: readonly ProviderDefinition[]): ReadonlyMap<string, ProviderDefinition> {
  const all = new Map<string, ProviderDefinition>();
  for (const p of definitions) {
    if (all.has(p.id)) throw new Error(`provider "${p.id}" is defined twice`);
    all.set(p.id, p);
  }
  return all;
}

let registry: ReadonlyMap<string, ProviderDefinition> | undefined;

export const providers = (): ReadonlyMap<string, ProviderDefinition> =>
  (registry ??= buildProviderRegistry([googleDrive, quickbooks, servicetitan, composio] as ProviderDefinition[]));

/** The provider of this id, or a 404 naming it. */
export function providerOf(id: string): ProviderDefinition {
  const p = providers().get(id);
  if (!p) throw new NotFoundError(`provider "${id}"`);
  return p;
}
