/**
 * Capped exponential backoff with jitter, for reconnecting (informers) and retrying. Pure: the
 * caller sleeps on its Clock, so tests drive the delays with a fake clock.
 */

export interface BackoffOptions {
  /** First delay, ms (default 800, as client-go's reflector). */
  initialMs?: number;
  /** Largest delay, ms (default 30 s). */
  maxMs?: number;
  /** Growth per failure (default 2). */
  factor?: number;
  /** Up to this fraction added at random (default 0.2); 0 for exact delays. */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 800;
    this.maxMs = options.maxMs ?? 30_000;
    this.factor = options.factor ?? 2;
    this.jitter = options.jitter ?? 0.2;
    this.random = options.random ?? Math.random;
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** Math.min(this.attempt, 64));
    this.attempt++;
    return Math.min(this.maxMs, Math.round(base * (1 + this.jitter * this.random())));
  }

  /** After a success: the next failure waits the initial delay again. */
  reset(): void {
    this.attempt = 0;
  }

  /** Failures since the last reset. */
  get failures(): number {
    return this.attempt;
  }
}
