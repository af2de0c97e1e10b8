// Human-readable progress lines for the start and test scripts (the services themselves log JSON).
const colour = (code: number, s: string) => (process.stdout.isTTY ? `\u001b[${code}m${s}\u001b[0m` : s);

export const progress = {
  step: (msg: string) => console.log(`${colour(36, '==>')} ${msg}`),
  ok: (msg: string) => console.log(`${colour(32, ' ✓ ')} ${msg}`),
  warn: (msg: string) => console.log(`${colour(33, ' ! ')} ${msg}`),
  fail: (msg: string) => console.error(`${colour(31, ' ✗ ')} ${msg}`),
};

/** Thrown for a failure the user can act on: printed as one sentence, without a stack trace. */
export class UserFacingError extends Error {}

export async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  progress.step(`${label}…`);
  const result = await fn();
  progress.ok(`${label} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return result;
}
