// What a backup archive holds, said in its manifest.json: the product version, the applied migrations, the
// time, and what is included and what is not (a key configured by environment lives in the operator's
// secret store, never in an archive of the data folder).
import fs from 'node:fs';
import path from 'node:path';
import { APPROVAL_GRANT_KEY_FILE } from '../approval-grant-key.ts';
import { REPO_ROOT } from '../config.ts';
import { CONTROL_PLANE_KEY_FILE } from '../control-plane-key.ts';
import { UserFacingError } from '../progress.ts';
import type { DatabaseDump } from './database.ts';
import type { TemporalDatabaseDump } from './temporal-cluster.ts';

export const MANIFEST_FORMAT = 'anthropy-works-backup';
export const MANIFEST_VERSION = 1;

/** The keys in DATA_DIR/secrets that a variable replaces when it is set. */
export const KEY_VARIABLES = [
  { variable: 'SECRETS_KEY', file: 'secrets.key', opens: 'the organizations’ data keys (connection credentials) and TOTP keys' },
  { variable: 'CONTROL_PLANE_SIGNING_KEY', file: CONTROL_PLANE_KEY_FILE, opens: 'nothing stored: it signs jobs for node agents, which trust its public half' },
  { variable: 'APPROVAL_GRANT_KEY', file: APPROVAL_GRANT_KEY_FILE, opens: 'nothing stored: it signs approval grants, which the worker checks with its public half' },
] as const;

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  formatVersion: typeof MANIFEST_VERSION;
  product: { name: string; version: string };
  createdAt: string;
  database: Omit<DatabaseDump, 'tables'> & { source: 'embedded' | 'DATABASE_URL'; tables: DatabaseDump['tables'] };
  /** The dev server's SQLite file, or a cluster's PostgreSQL databases (TEMPORAL_DATABASE_URL, in temporal-cluster/<name>/), or why neither. */
  temporal:
    { included: true; file: string; namespace: string } | { included: true; cluster: { databases: TemporalDatabaseDump[] }; namespace: string } | { included: false; why: string };
  /** Files of DATA_DIR/secrets and DATA_DIR/agent in the archive, relative to the data folder. */
  files: string[];
  keysNotIncluded: { variable: string; why: string }[];
}

export const productVersion = (): { name: string; version: string } => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
};

/** Reads and checks the manifest of an unpacked archive. */
export function readManifest(dir: string): Manifest {
  const file = path.join(dir, 'manifest.json');
  const manifest = (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined) as Manifest | undefined;
  if (manifest?.format !== MANIFEST_FORMAT)
    throw new UserFacingError('This archive has no manifest of an Anthropy Works backup; it was not made by `npm run backup`. Nothing was restored.');
  if (manifest.formatVersion !== MANIFEST_VERSION)
    throw new UserFacingError(
      `This archive's manifest has version ${manifest.formatVersion}; this release reads version ${MANIFEST_VERSION}: restore it with the release that made it. Nothing was restored.`,
    );
  return manifest;
}
