// Polling for end-to-end tests: wait until a condition yields a value, or fail naming what was awaited.
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An `until(what, fn, timeoutMs?, everyMs?)` with this file's defaults; resolves with fn's first truthy value. */
export function untilWith(defaultTimeoutMs: number, defaultEveryMs: number) {
  return async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = defaultTimeoutMs, everyMs = defaultEveryMs): Promise<NonNullable<T>> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(everyMs);
    }
  };
}
