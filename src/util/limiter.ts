/**
 * A concurrency limit: at most `concurrency` calls of `run` do their work at once, the rest wait
 * their turn in arrival order. Thousands of hollow nodes must not open thousands of requests to
 * the API server at once (registration, final pod deletes), and the scheduler bounds its bindings
 * and status writes the same way; a queue keeps the server responsive. `slot()` lets a producer
 * wait for room before it makes more work, `drained()` wait for everything to finish.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** Index of the first waiter in `waiting`: a moving head keeps long queues O(1) per step. */
  private head = 0;
  /** Called whenever a call finishes. */
  private settleListeners: Array<() => void> = [];

  constructor(readonly concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new RangeError(`a concurrency limit must be an integer ≥ 1, got ${concurrency}`);
  }

  /** Calls running now. */
  get running(): number {
    return this.active;
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  /** Every slot is taken. */
  get busy(): boolean {
    return this.active >= this.concurrency;
  }

  /** Resolves once a call could start without waiting. */
  async slot(): Promise<void> {
    while (this.active + this.queued >= this.concurrency) await this.settled();
  }

  /** Resolves once no call runs or waits. */
  async drained(): Promise<void> {
    while (this.active + this.queued > 0) await this.settled();
  }

  private settled(): Promise<void> {
    return new Promise((resolve) => this.settleListeners.push(resolve));
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active < this.concurrency) this.active++;
    // A finishing call hands its slot straight to the next waiter, so `active` stays as it is.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private release(): void {
    if (this.head < this.waiting.length) {
      const next = this.waiting[this.head]!;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      next();
    } else {
      this.active--;
    }
    if (this.settleListeners.length > 0) {
      const listeners = this.settleListeners;
      this.settleListeners = [];
      for (const w of listeners) w();
    }
  }
}
