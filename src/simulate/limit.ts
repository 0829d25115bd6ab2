/**
 * A concurrency limit: at most `concurrency` calls of `run` do their work at once, the rest wait
 * their turn in arrival order. Thousands of hollow nodes must not open thousands of requests to
 * the API server at once (registration, final pod deletes); a queue keeps the server responsive.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** Index of the first waiter in `waiting`: a moving head keeps long queues O(1) per step. */
  private head = 0;

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
  }
}
