/**
 * Poll until a check yields a value (not undefined), for end-to-end tests that wait on real
 * processes. Bounded: past the timeout it throws, naming what it waited for.
 */
export interface EventuallyOptions {
  /** Default 20 s. */
  timeoutMs?: number;
  /** Default 200 ms. */
  intervalMs?: number;
  /** Treat a throwing check as "not yet" (its last error goes into the timeout message). */
  retryOnError?: boolean;
  /** More to print on timeout (a process's output, say). */
  context?: () => string;
}

export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      if (!options.retryOnError) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last ? `: ${String(last)}` : '';
      const context = options.context ? `\n${options.context()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}${context}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}
