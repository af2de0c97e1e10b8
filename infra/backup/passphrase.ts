// The operator's backup passphrase: BACKUP_PASSPHRASE, or typed on the terminal without echo (twice when
// making a backup, so a typo does not make an archive nobody can open). Never printed, never logged.
import { assertPassphraseStrongEnough, WrongPassphraseError } from './encryption.ts';

/** Reads one line from the terminal without showing it. */
function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (data: string) => {
      for (const ch of data) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new WrongPassphraseError('Cancelled: no passphrase was given.'));
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += ch;
      }
    };
    stdin.setEncoding('utf8');
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/** The passphrase; `confirm` asks twice on a terminal. Refuses an empty or short one. */
export async function backupPassphrase(opts: { confirm: boolean }): Promise<string> {
  const fromEnv = process.env.BACKUP_PASSPHRASE;
  if (fromEnv !== undefined && fromEnv !== '') {
    assertPassphraseStrongEnough(fromEnv);
    return fromEnv;
  }
  if (!process.stdin.isTTY) {
    throw new WrongPassphraseError('No backup passphrase: set BACKUP_PASSPHRASE (from your secret store), or run this in a terminal to type it.');
  }
  const passphrase = await readHidden('Backup passphrase: ');
  assertPassphraseStrongEnough(passphrase);
  if (opts.confirm && (await readHidden('The same passphrase again: ')) !== passphrase) {
    throw new WrongPassphraseError('The two passphrases differ: nothing was written. Run this again.');
  }
  return passphrase;
}
