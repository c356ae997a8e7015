/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this many milliseconds (default 20 s). */
  timeout?: number;
  /** Pause between attempts in milliseconds (default 100). */
  interval?: number;
}

/**
 * Calls `fn` until it neither throws nor returns `false`, and resolves to what it returned. Written
 * for assertions (`waitFor(() => expect(rows()).toHaveLength(30))`): on timeout the last error is
 * rethrown, so the failure reads like the assertion itself.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, options: WaitForOptions = {}): Promise<T> {
  const { timeout = 20_000, interval = 100 } = options;
  const deadline = Date.now() + timeout;
  for (;;) {
    let failure: unknown;
    try {
      const result = await fn();
      if (result !== false) return result;
      failure = new Error(`waitFor: condition still false after ${timeout} ms`);
    } catch (error) {
      failure = error;
    }
    if (Date.now() >= deadline) throw failure;
    await sleep(interval);
  }
}

/** Waits a fixed time: only for asserting that something does NOT happen. */
export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
