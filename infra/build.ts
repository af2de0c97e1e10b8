// `npm run build`: builds the web console (React Router: build/client and build/server), always, even
// when `npm start` would find the build current.
import { buildConsole } from './build-console.ts';
import { progress, timed, UserFacingError } from './progress.ts';

try {
  await timed('Building the web console (react-router build)', buildConsole);
  progress.ok('Web console built into build/ (npm start serves it)');
} catch (err) {
  if (err instanceof UserFacingError) progress.fail(err.message);
  else progress.fail(`Building the web console failed: ${(err as Error).message ?? String(err)}`);
  process.exit(1);
}
