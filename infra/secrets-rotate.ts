// `npm run secrets:rotate`: re-wraps every organization's data key under a new key-encryption key, while
// the product runs (ADR 0013). SECRETS_KEY is the current KEK (else the data folder's secrets.key, as
// `npm start` uses it), SECRETS_KEY_NEW the new one. Counts only: no key is ever printed.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDb } from '../db/client.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { withDatabaseForScript } from './database-for-scripts.ts';
import { readKeyFileIfPresent } from './key-file.ts';
import { progress } from './progress.ts';
import { runScriptMain } from './script-exit.ts';
import { localKek } from './secrets/kek.ts';
import { finishRotation, rewrapDataKeys } from './secrets/rotate.ts';
import { moveTotpKeys } from './secrets/totp-keys.ts';

const USAGE = `Usage: SECRETS_KEY_NEW=<new key> npm run secrets:rotate
       npm run secrets:rotate -- --finish

Re-wraps every organization's data key under the key-encryption key SECRETS_KEY_NEW (32 random bytes,
base64: \`openssl rand -base64 32\`), online: each data key keeps its old wrapping too, so the web and
worker processes running with the old SECRETS_KEY go on working. Safe to run again (what is done is
skipped). Then:
  1. replace SECRETS_KEY with the new key wherever web and worker get it (the data folder's
     secrets/secrets.key when SECRETS_KEY is unset) and restart them, one at a time;
  2. run \`npm run secrets:rotate -- --finish\` with the new SECRETS_KEY: it drops the old wrappings, so
     the old key opens nothing any more.`;

const secretsKeyOf = (config: Config): string => {
  const key = config.SECRETS_KEY ?? readKeyFileIfPresent(path.join(config.DATA_DIR, 'secrets', 'secrets.key'));
  if (!key) throw new ConfigError('SECRETS_KEY is not set and the data folder has no secrets/secrets.key: there is nothing sealed to rotate.');
  return key;
};

async function main(): Promise<number> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { finish: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig();
  const current = secretsKeyOf(config);
  if (!values.finish && !config.SECRETS_KEY_NEW) throw new ConfigError(`SECRETS_KEY_NEW is not set: it is the key to rotate to.\n\n${USAGE}`);
  await withDatabaseForScript(config, async (url) => {
    await migrateDatabase(url);
    const db = createDb(url, { max: 1 });
    try {
      if (values.finish) {
        const { dropped } = await finishRotation(db, localKek(current));
        progress.ok(`Dropped the old wrapping of ${dropped} data key(s): only SECRETS_KEY opens them now.`);
        return;
      }
      const totp = await moveTotpKeys(db, current, config.SECRETS_KEY_NEW!);
      const report = await rewrapDataKeys(db, localKek(current), localKek(config.SECRETS_KEY_NEW!));
      progress.ok(`Re-wrapped ${report.rewrapped} data key(s) under SECRETS_KEY_NEW (${report.alreadyRewrapped} already were; ${report.total} in all).`);
      if (totp.moved || totp.unreadable) {
        progress.ok(
          `Moved ${totp.moved} two-factor key(s) under their organization's data key${totp.unreadable ? `; ${totp.unreadable} opened with neither key (those people turn two-factor on again)` : ''}.`,
        );
      }
      console.log(
        "\nNext: set SECRETS_KEY to the value of SECRETS_KEY_NEW (or write it into the data folder's secrets/secrets.key when SECRETS_KEY is unset), " +
          'restart the web and worker processes, then run `npm run secrets:rotate -- --finish`.',
      );
    } finally {
      await db.$client.end({ timeout: 5 });
    }
  });
  return 0;
}

runScriptMain(main, { failed: 'The rotation failed' });
