/**
 * The controllers' work queue (client-go's workqueue semantics): keys, not objects.
 *
 * - De-duplicating: a key added many times before a worker takes it is processed once.
 * - Never concurrent per key: a key added while a worker processes it waits in "dirty" and is
 *   queued again when the worker calls `done`, so one key is never reconciled twice at once.
 * - Rate-limited retries: `addRateLimited(key)` re-adds after a per-key exponential delay
 *   (5 ms doubling up to 1000 s by default) and an overall token bucket (10/s, burst 100); `forget(key)`
 *   after a success resets the key's delay.
 * - `run(signal, handler, {workers})` takes keys with N workers; a handler that throws has its key
 *   re-added rate-limited, one that returns has its key forgotten.
 *
 * Time comes from an injectable Clock, so backoff is tested without sleeping.
 */
import { type Clock, systemClock } from '../util/clock.js';

export interface RateLimiter {
  /** How long to wait before `key` is retried; each call counts a failure. */
  when(key: string): number;
  forget(key: string): void;
  numRequeues(key: string): number;
}

/** base·2^failures ms per key, capped at max. */
export class ItemExponentialRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly baseMs = 5,
    private readonly maxMs = 1_000_000,
  ) {}

  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.min(n, 62));
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/** An overall token bucket: `qps` tokens a second, up to `burst` saved. Not per key. */
export class BucketRateLimiter implements RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly qps = 10,
    private readonly burst = 100,
    private readonly clock: Clock = systemClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_key: string): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    // A negative balance is a reservation: wait until it is paid back.
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }

  forget(_key: string): void {}

  numRequeues(_key: string): number {
    return 0;
  }
}

/** The longest delay any of the limiters asks for. */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }

  when(key: string): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.when(key));
    return max;
  }

  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }

  numRequeues(key: string): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.numRequeues(key));
    return max;
  }
}

export function defaultControllerRateLimiter(clock: Clock = systemClock): RateLimiter {
  return new MaxOfRateLimiter(
    new ItemExponentialRateLimiter(5, 1_000_000),
    new BucketRateLimiter(10, 100, clock),
  );
}

export interface WorkQueueOptions {
  clock?: Clock;
  rateLimiter?: RateLimiter;
}

export interface RunOptions {
  /** Concurrent handlers (default 1). Each key is still handled by one worker at a time. */
  workers?: number;
  /** A handler failed (its key is retried rate-limited). */
  onError?: (key: string, err: unknown) => void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private head = 0;
  /** Keys waiting to be processed (queued, or re-added while processing). */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  /** Keys scheduled by addAfter: when each becomes ready. */
  private readonly waiting = new Map<string, number>();
  private readonly takers: ((key: string | undefined) => void)[] = [];
  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter;
  private readonly stopTimers = new AbortController();
  private shutdown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter(this.clock);
  }

  add(key: string): void {
    if (this.shutdown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const taker = this.takers.shift();
    if (taker) {
      this.dirty.delete(key);
      this.processing.add(key);
      taker(key);
    } else {
      this.queue.push(key);
    }
  }

  /** Add `key` once `delayMs` has passed (an earlier pending time for the key wins). */
  addAfter(key: string, delayMs: number): void {
    if (this.shutdown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const readyAt = this.clock.now() + delayMs;
    const pending = this.waiting.get(key);
    if (pending !== undefined && pending <= readyAt) return;
    this.waiting.set(key, readyAt);
    this.clock.sleep(delayMs, this.stopTimers.signal).then(
      () => {
        if (this.waiting.get(key) !== readyAt) return; // superseded by an earlier time
        this.waiting.delete(key);
        this.add(key);
      },
      () => undefined,
    );
  }

  /** Retry `key` after its rate-limited delay. */
  addRateLimited(key: string): void {
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** `key` succeeded: its next failure starts from the base delay. */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.rateLimiter.numRequeues(key);
  }

  /** Keys ready to be taken. */
  len(): number {
    return this.queue.length - this.head;
  }

  /** Take the next key (waiting for one); undefined once the queue shuts down. Call `done(key)` after. */
  get(signal?: AbortSignal): Promise<string | undefined> {
    if (this.len() > 0) {
      const key = this.queue[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.shutdown || signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const taker = (key: string | undefined) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(key);
      };
      const onAbort = () => {
        const i = this.takers.indexOf(taker);
        if (i >= 0) this.takers.splice(i, 1);
        resolve(undefined);
      };
      this.takers.push(taker);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Processing of `key` finished; if it was added meanwhile, it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  /** Stop: pending and delayed keys are dropped, waiting `get`s get undefined. */
  shutDown(): void {
    if (this.shutdown) return;
    this.shutdown = true;
    this.stopTimers.abort();
    this.waiting.clear();
    this.queue.length = 0;
    this.head = 0;
    this.dirty.clear();
    for (const taker of this.takers.splice(0)) taker(undefined);
  }

  get shuttingDown(): boolean {
    return this.shutdown;
  }

  /**
   * Process keys with `handler` until `signal` aborts; then shut the queue down and resolve once
   * the handlers in flight have finished.
   */
  async run(
    signal: AbortSignal,
    handler: (key: string) => Promise<void>,
    options: RunOptions = {},
  ): Promise<void> {
    const stop = () => this.shutDown();
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    const worker = async () => {
      for (;;) {
        const key = await this.get();
        if (key === undefined) return;
        try {
          await handler(key);
          this.forget(key);
        } catch (err) {
          try {
            options.onError?.(key, err);
          } catch {
            // a failing reporter must not stop the worker
          }
          this.addRateLimited(key);
        } finally {
          this.done(key);
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, options.workers ?? 1) }, worker));
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }
}
