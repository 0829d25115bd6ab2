/**
 * The most recent events the store's global etcd watch published, kept in memory so that a
 * watcher starting a little behind (the usual list-then-watch) catches up without opening an
 * etcd watch of its own. Like the Kubernetes watch cache, but only a replay accelerator: whether a
 * revision is still retained is always decided by etcd's compaction, never by this window.
 */
import { eventKey, eventRevision, type WatchEvent } from '../store.js';

interface Batch {
  /** Revision of the batch's last event. */
  last: number;
  events: WatchEvent[];
  bytes: number;
}

export class RecentEvents {
  private batches: Batch[] = [];
  /** Index of the oldest live batch in `batches` (evicted ones are dropped lazily). */
  private head = 0;
  private eventCount = 0;
  private byteCount = 0;
  /** Every published event with a revision above `floor` is held. */
  private floorRevision: number;

  constructor(
    startRevision: number,
    private readonly maxEvents = 20_000,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {
    this.floorRevision = startRevision;
  }

  get floor(): number {
    return this.floorRevision;
  }

  /** Record one published batch (whole revisions, in order, all above the previous ones). */
  add(events: WatchEvent[]): void {
    if (events.length === 0 || this.maxEvents === 0) return;
    let bytes = 0;
    for (const e of events) {
      bytes += e.type === 'put' ? e.kv.key.length + e.kv.value.length : e.key.length;
      if (e.prev) bytes += e.prev.value.length;
    }
    this.batches.push({ last: eventRevision(events[events.length - 1]!), events, bytes });
    this.eventCount += events.length;
    this.byteCount += bytes;
    while (this.eventCount > this.maxEvents || this.byteCount > this.maxBytes) {
      const oldest = this.batches[this.head]!;
      this.batches[this.head] = undefined as unknown as Batch;
      this.head += 1;
      this.eventCount -= oldest.events.length;
      this.byteCount -= oldest.bytes;
      this.floorRevision = oldest.last;
    }
    if (this.head > 1024 && this.head * 2 > this.batches.length) {
      this.batches = this.batches.slice(this.head);
      this.head = 0;
    }
  }

  /** Forget everything; events above `revision` will be added again from there. */
  reset(revision: number): void {
    this.batches = [];
    this.head = 0;
    this.eventCount = 0;
    this.byteCount = 0;
    this.floorRevision = revision;
  }

  /**
   * The events under `prefix` in (`after`, `upTo`], grouped as published, or undefined when the
   * window no longer reaches back to `after`. Copied out at once, so later publishes and evictions
   * do not affect the result.
   */
  between(prefix: string, after: number, upTo: number): WatchEvent[][] | undefined {
    if (after < this.floorRevision || this.maxEvents === 0) return undefined;
    // First batch whose last revision is above `after`.
    let lo = this.head;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.batches[mid]!.last <= after) lo = mid + 1;
      else hi = mid;
    }
    const out: WatchEvent[][] = [];
    for (let i = lo; i < this.batches.length; i++) {
      const batch = this.batches[i]!;
      const selected = batch.events.filter((e) => {
        const rev = eventRevision(e);
        return rev > after && rev <= upTo && eventKey(e).startsWith(prefix);
      });
      if (selected.length > 0) out.push(selected);
      if (batch.last >= upTo) break;
    }
    return out;
  }
}
