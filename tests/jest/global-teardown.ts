import fs from 'node:fs';

export default async function globalTeardown() {
  const stack = (globalThis as Record<string, unknown>).__AW_TEST_STACK__ as { dir: string; pg: { stop(): Promise<void> }; temporal: { stop(): Promise<void> } } | undefined;
  if (!stack) return;
  await stack.temporal.stop();
  await stack.pg.stop();
  fs.rmSync(stack.dir, { recursive: true, force: true });
}
