/**
 * A Clock for tests: time stands still until `advance` moves it, and sleepers wake in time order.
 * Shared with the controllers' and scheduler's tests, which drive backoff and delays with it.
 */
import type { Clock } from './clock.js';

interface Sleeper {
  at: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class FakeClock implements Clock {
  private time: number;
  private sleepers: Sleeper[] = [];
  /** Every sleep asked for, in ms, in order (to assert on backoff delays). */
  readonly sleeps: number[] = [];

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const sleeper: Sleeper = { at: this.time + Math.max(0, ms), resolve, reject };
      if (signal) {
        sleeper.signal = signal;
        sleeper.onAbort = () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          reject(signal.reason);
        };
        signal.addEventListener('abort', sleeper.onAbort, { once: true });
      }
      this.sleepers.push(sleeper);
    });
  }

  /** Sleepers not yet woken. */
  get pending(): number {
    return this.sleepers.length;
  }

  /** Move time forward by `ms`, waking sleepers in order and letting their continuations run. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers[0];
      if (!next || next.at > target) break;
      this.sleepers.shift();
      this.time = Math.max(this.time, next.at);
      if (next.onAbort) next.signal?.removeEventListener('abort', next.onAbort);
      next.resolve();
      await settle();
    }
    this.time = target;
    await settle();
  }
}

/** Let pending promise continuations (and I/O callbacks queued meanwhile) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}
