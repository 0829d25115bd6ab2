/**
 * Kubelet's crash-loop backoff, per container of a pod: the first restart after a crash happens at
 * once, each later one waits 10 s, 20 s, 40 s ... up to 5 min after the container finished; a
 * container that ran 10 minutes before it stopped starts the sequence over. While a container
 * waits, its status says `CrashLoopBackOff`.
 *
 * The same shape (with its own keys) paces image pulls that failed (`ImagePullBackOff`).
 */
export interface RestartBackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** A container that ran at least this long before it stopped resets its backoff. */
  resetAfterMs?: number;
}

interface Entry {
  /** The wait that applies after the next failure. */
  delayMs: number;
}

export class RestartBackoff {
  private readonly entries = new Map<string, Entry>();
  readonly initialMs: number;
  readonly maxMs: number;
  readonly resetAfterMs: number;

  constructor(options: RestartBackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 10_000;
    this.maxMs = options.maxMs ?? 300_000;
    this.resetAfterMs = options.resetAfterMs ?? 600_000;
  }

  /**
   * When a container that finished at `finishedAt` (having started at `startedAt`) may start
   * again: a time in ms since the epoch, at or before `now` when it may start at once.
   */
  readyAt(key: string, finishedAt: number, startedAt?: number): number {
    if (startedAt !== undefined && finishedAt - startedAt >= this.resetAfterMs) this.entries.delete(key);
    const entry = this.entries.get(key);
    return entry ? finishedAt + entry.delayMs : 0;
  }

  /** The current wait for `key` (0 before its first restart): what CrashLoopBackOff messages quote. */
  delayMs(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }

  /** A restart happened: the next one waits twice as long (capped). */
  restarted(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) this.entries.set(key, { delayMs: this.initialMs });
    else entry.delayMs = Math.min(this.maxMs, entry.delayMs * 2);
  }

  /** Forget every key that starts with `prefix` (a pod that is gone). */
  forget(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}
