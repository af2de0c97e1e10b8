// `npm start`, the control-plane worker and the web process, each with APP_ENV=production on development
// defaults: each refuses before it starts anything (no data folder, no database, no Temporal dev server)
// and lists every problem at once.
import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../infra/config.ts';
import { runCommand } from '../jest/run-command.ts';

const scripts = ['infra/start.ts', 'infra/control-plane-worker.ts', 'web/server.ts'];

describe('APP_ENV=production on development defaults', () => {
  it.each(scripts)('%s refuses to start, naming every problem, and creates nothing', async (script) => {
    const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'aw-prod-')), 'data');
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, APP_ENV: 'production', DATA_DIR: dataDir, LOCAL_AGENT: 'off' };
    const result = await runCommand(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, script)], { cwd: REPO_ROOT, env });
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('APP_ENV=production refuses to start on development defaults (9 problems)');
    for (const name of [
      'SECRETS_KEY',
      'CONTROL_PLANE_SIGNING_KEY',
      'APPROVAL_GRANT_KEY',
      'ADMIN_EMAIL',
      'ADMIN_PASSWORD',
      'PUBLIC_URL',
      'TEMPORAL_ADDRESS',
      'DATABASE_URL',
      'No TLS to Temporal',
    ]) {
      expect(result.output).toContain(`- ${name}`);
    }
    expect(fs.existsSync(dataDir)).toBe(false);
  });
});
