// How the command-line scripts (admin:create, secrets:rotate) end: the code `main` returns; bad input from
// the person running it (a ConfigError or the script's own kinds) is one sentence and exit code 2; anything
// else one line (redacted: a failed query's message can carry its values) and exit code 1.
import { ConfigError } from './config.ts';
import { progress, UserFacingError } from './progress.ts';
import { redactString } from './redact.ts';

type ErrorClass = abstract new (...args: never[]) => Error;

export function runScriptMain(main: () => Promise<number>, opts: { badInput?: ErrorClass[]; failed: string }): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof ConfigError || (opts.badInput ?? []).some((kind) => err instanceof kind)) {
        progress.fail((err as Error).message);
        process.exit(2);
      }
      progress.fail(err instanceof UserFacingError ? err.message : `${opts.failed}: ${redactString((err as Error).stack ?? String(err))}`);
      process.exit(1);
    },
  );
}
