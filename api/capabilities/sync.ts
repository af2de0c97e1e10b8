// Writes the built-in catalogue (catalogue.ts) into `capabilities`, by key, after the migrations of a
// release: new entries appear, changed ones are updated, and whether an entry is disabled stays as the
// MSP set it. Idempotent, so every start may run it.
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { capabilities } from '../../db/schema.ts';
import { BUILT_IN_CATALOGUE, CATALOGUE_VERSION } from './catalogue.ts';

export async function syncBuiltInCatalogue(db: Db): Promise<void> {
  const rows = BUILT_IN_CATALOGUE.map((c) => ({
    key: c.key,
    kind: c.kind,
    name: c.name,
    description: c.description,
    version: CATALOGUE_VERSION,
    builtIn: true,
    provider: c.provider ?? null,
    openclawTool: c.openclawTool ?? null,
    actions: c.actions ?? [],
    packItems: c.packItems ?? [],
  }));
  await db
    .insert(capabilities)
    .values(rows)
    .onConflictDoUpdate({
      target: capabilities.key,
      set: {
        kind: sql`excluded.kind`,
        name: sql`excluded.name`,
        description: sql`excluded.description`,
        version: sql`excluded.version`,
        builtIn: sql`true`,
        provider: sql`excluded.provider`,
        openclawTool: sql`excluded.openclaw_tool`,
        actions: sql`excluded.actions`,
        packItems: sql`excluded.pack_items`,
        updatedAt: sql`now()`,
      },
      // A custom entry that took a key a later release uses keeps its own content: the release does not overwrite it.
      setWhere: sql`${capabilities.builtIn}`,
    });
}
