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

/** How much of each process's output a timeout message ends with. */
const OUTPUT_TAIL_CHARS = 4000;

/**
 * An `eventually` for tests that drive real processes: a throwing check counts as "not yet"
 * (kubectl failing while a server restarts, say), and a timeout message ends with the tail of
 * each named process's output, so it shows what they were doing. `timeoutMs` of a call
 * overrides the default.
 */
export function eventuallyShowing(
  outputs: Record<string, () => string>,
  defaults: { timeoutMs: number; intervalMs: number },
): <T>(what: string, check: () => Promise<T | undefined>, timeoutMs?: number) => Promise<T> {
  const context = () =>
    Object.entries(outputs)
      .map(([name, output]) => `${name}:\n${output().slice(-OUTPUT_TAIL_CHARS)}`)
      .join('\n');
  return (what, check, timeoutMs = defaults.timeoutMs) =>
    eventually(what, check, { timeoutMs, intervalMs: defaults.intervalMs, retryOnError: true, context });
}
