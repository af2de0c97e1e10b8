// The one way both sides of suite 2 are watched: GET /healthz (and /readyz) on the gateway's published
// port every POLL_MS, from this process, so the product and the bare run are timed by the same clock and
// the same requests.

export const POLL_MS = 100;

const answers = async (url: string): Promise<boolean> => {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The first time (Date.now()) after `from` at which `path` answers 2xx; throws after `withinMs`. */
export async function firstAnswer(port: number, path: '/healthz' | '/readyz', withinMs = 180_000): Promise<number> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (await answers(`http://127.0.0.1:${port}${path}`)) return Date.now();
    if (Date.now() > deadline) throw new Error(`127.0.0.1:${port}${path} did not answer within ${withinMs / 1000} s`);
    await sleep(POLL_MS);
  }
}

/**
 * Watches /healthz through a restart: started before it, stopped by `stop()`. Reports when the gateway
 * first stopped answering and when it answered again after that (Date.now() values).
 */
export function watchOutage(port: number): { upAgain(withinMs?: number): Promise<void>; stop(): Promise<{ downAt?: number; upAt?: number }> } {
  let running = true;
  let downAt: number | undefined;
  let upAt: number | undefined;
  const loop = (async () => {
    while (running) {
      const ok = await answers(`http://127.0.0.1:${port}/healthz`);
      if (!ok) downAt ??= Date.now();
      else if (downAt !== undefined) upAt ??= Date.now();
      await sleep(POLL_MS);
    }
  })();
  return {
    async upAgain(withinMs = 180_000) {
      const deadline = Date.now() + withinMs;
      while (upAt === undefined) {
        if (Date.now() > deadline) throw new Error(`127.0.0.1:${port}/healthz did not answer again within ${withinMs / 1000} s`);
        await sleep(20);
      }
    },
    async stop() {
      running = false;
      await loop;
      return { downAt, upAt };
    },
  };
}
