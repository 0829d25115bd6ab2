/**
 * Periodic compaction: keep a window of history (default 5 minutes, as Kubernetes does) so that
 * watchers can resume after short disconnects, and forget what is older so the store stays small.
 *
 * Every interval the compactor notes the store's revision; it compacts to the newest revision it
 * noted at least `windowMs` ago. Several servers compacting one etcd is harmless: compacting to a
 * revision at or below the current compaction is a no-op.
 */
import { type Clock, systemClock } from '../util/clock.js';
import type { Store } from './store.js';

export interface RevisionSample {
  at: number;
  revision: number;
}

export interface CompactorOptions {
  /** History kept, in milliseconds (default 5 minutes). */
  windowMs?: number;
  /** How often to sample and compact (default 30 s). */
  intervalMs?: number;
  clock?: Clock;
  onError?: (err: unknown) => void;
}

/**
 * The revision to compact to: the newest sample at least `windowMs` old, if it is newer than what
 * was already compacted. Also returns the samples still worth keeping.
 */
export function planCompaction(
  samples: RevisionSample[],
  now: number,
  windowMs: number,
  compacted: number,
): { revision: number | undefined; keep: RevisionSample[] } {
  let chosen: RevisionSample | undefined;
  for (const s of samples)
    if (s.at <= now - windowMs && (!chosen || s.revision > chosen.revision)) chosen = s;
  const keep = chosen ? samples.filter((s) => s.at > (chosen as RevisionSample).at) : samples;
  const revision = chosen && chosen.revision > compacted ? chosen.revision : undefined;
  return { revision, keep };
}

export class Compactor {
  private samples: RevisionSample[] = [];
  private readonly windowMs: number;
  private readonly intervalMs: number;
  private readonly clock: Clock;

  constructor(
    private readonly store: Store,
    private readonly options: CompactorOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 5 * 60_000;
    this.intervalMs = options.intervalMs ?? 30_000;
    this.clock = options.clock ?? systemClock;
  }

  /** Sample the revision and compact if a sample has aged past the window. Returns the revision compacted to. */
  async tick(): Promise<number | undefined> {
    const now = this.clock.now();
    this.samples.push({ at: now, revision: await this.store.currentRevision() });
    const plan = planCompaction(this.samples, now, this.windowMs, await this.store.compactedRevision());
    this.samples = plan.keep;
    if (plan.revision !== undefined) await this.store.compact(plan.revision);
    return plan.revision;
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.tick();
      } catch (err) {
        this.options.onError?.(err);
      }
      await this.clock.sleep(this.intervalMs, signal).catch(() => undefined);
    }
  }
}
