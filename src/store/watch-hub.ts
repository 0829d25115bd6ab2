/**
 * In-process fan-out of committed events to many watchers, shared by both backends.
 *
 * A backend publishes each committed revision's events exactly once, in revision order; the hub
 * hands them to every watcher whose prefix matches. A watcher that starts behind the hub first
 * replays history from the backend and buffers live events meanwhile, then switches to live
 * delivery, skipping anything it already delivered. This is what keeps 1,000 watchers cheap:
 * the backend produces one stream, not one per watcher.
 */
import {
  eventKey,
  eventRevision,
  StoreError,
  type Watch,
  type WatchEvent,
  type WatchOptions,
} from './store.js';

/** Where a watcher that starts behind the hub gets the events it missed. */
export interface HistorySource {
  /** Throw `StoreError('Expired')` when events after `afterRevision` are no longer all retained. */
  checkRetained(afterRevision: number): Promise<void>;
  /**
   * Events under `prefix` with revision > `afterRevision`, in order, grouped by revision. It must
   * cover at least up to `upToRevision`; it may run further (the hub stops reading once it sees a
   * revision past `upToRevision`), and it may end early only after `upToRevision`.
   */
  replay(prefix: string, afterRevision: number, upToRevision: number): AsyncIterable<WatchEvent[]>;
}

const DEFAULT_MAX_PENDING = 10_000;

export class WatchHub {
  private readonly watchers = new Set<HubWatcher>();
  private revision: number;
  private failure: StoreError | undefined;

  constructor(
    startRevision: number,
    private readonly history: HistorySource,
  ) {
    this.revision = startRevision;
  }

  /** The newest revision published. */
  get lastRevision(): number {
    return this.revision;
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  /** Publish the events of one or more consecutive revisions, in order. */
  publish(events: WatchEvent[]): void {
    if (events.length === 0) return;
    const last = eventRevision(events[events.length - 1]!);
    if (last <= this.revision) return; // already published (a backend reconnect may repeat)
    this.revision = last;
    // Watchers on the same prefix share one filtered copy of the batch.
    const byPrefix = new Map<string, WatchEvent[]>();
    for (const w of this.watchers) {
      let matching = byPrefix.get(w.prefix);
      if (!matching) {
        const prefix = w.prefix;
        matching = events.every((e) => eventKey(e).startsWith(prefix))
          ? events
          : events.filter((e) => eventKey(e).startsWith(prefix));
        byPrefix.set(prefix, matching);
      }
      if (matching.length > 0) w.offer(matching);
    }
  }

  /** Advance the revision without events (writes outside the watched key space). */
  advance(revision: number): void {
    if (revision > this.revision) this.revision = revision;
  }

  /** End every watcher with `err` (the backend lost its event stream). */
  failAll(err: StoreError): void {
    for (const w of [...this.watchers]) w.fail(err);
  }

  /** End every watcher and refuse new ones (the store is closing). */
  close(): void {
    this.failure = new StoreError('Closed', 'store is closed');
    this.failAll(this.failure);
  }

  watch(prefix: string, afterRevision: number, options: WatchOptions = {}): Watch {
    const w = new HubWatcher(prefix, afterRevision, options.maxPending ?? DEFAULT_MAX_PENDING, (x) =>
      this.watchers.delete(x),
    );
    if (this.failure) {
      w.fail(this.failure);
      return w;
    }
    if (!Number.isSafeInteger(afterRevision) || afterRevision < 0) {
      w.fail(
        new StoreError(
          'InvalidArgument',
          `watch revision must be a non-negative integer, got ${afterRevision}`,
        ),
      );
      return w;
    }
    if (options.signal) {
      if (options.signal.aborted) {
        w.close();
        return w;
      }
      options.signal.addEventListener('abort', () => w.close(), { once: true });
    }
    // Register before anything asynchronous happens: from here on, every published event
    // reaches the watcher (buffered until the catch-up below finishes).
    this.watchers.add(w);
    void this.catchUp(w, this.revision);
    return w;
  }

  private async catchUp(w: HubWatcher, upTo: number): Promise<void> {
    try {
      await this.history.checkRetained(w.after);
      if (w.after < upTo) {
        for await (const batch of this.history.replay(w.prefix, w.after, upTo)) {
          if (w.ended) return;
          const inRange = batch.filter((e) => eventRevision(e) <= upTo);
          if (inRange.length > 0) w.deliver(inRange);
          if (inRange.length < batch.length) break;
        }
      }
      w.goLive();
    } catch (err) {
      w.fail(
        err instanceof StoreError
          ? err
          : new StoreError('Unavailable', `watch replay failed: ${String(err)}`),
      );
    }
  }
}

type Waiter = { resolve: (r: IteratorResult<WatchEvent[]>) => void; reject: (e: unknown) => void };

class HubWatcher implements Watch {
  /** Events ready for the consumer. */
  private ready: WatchEvent[] = [];
  /** `ready` is a batch shared with other watchers: copy before appending. */
  private readyShared = false;
  /** Live events that arrived while history was still replaying. */
  private buffered: WatchEvent[] | undefined = [];
  private waiter: Waiter | undefined;
  private error: StoreError | undefined;
  ended = false;
  /** Highest revision handed to `ready`; nothing at or below it is delivered again. */
  private delivered: number;

  constructor(
    readonly prefix: string,
    readonly after: number,
    private readonly maxPending: number,
    private readonly onEnd: (w: HubWatcher) => void,
  ) {
    this.delivered = after;
  }

  /** A published batch from the hub, already filtered to this watcher's prefix. Not to be modified. */
  offer(events: WatchEvent[]): void {
    if (this.ended) return;
    if (this.buffered) {
      for (const e of events) if (eventRevision(e) > this.delivered) this.buffered.push(e);
      this.checkPending(this.buffered.length + this.ready.length);
    } else {
      this.deliver(events);
    }
  }

  /** Queue events (in order) for the consumer, dropping any already delivered. Never modifies `events`. */
  deliver(events: WatchEvent[]): void {
    if (this.ended || events.length === 0) return;
    if (this.ready.length === 0 && eventRevision(events[0]!) > this.delivered) {
      // The common case: nothing queued and nothing old, so hand over the batch as it is.
      this.ready = events;
      this.readyShared = true;
      this.delivered = eventRevision(events[events.length - 1]!);
      if (this.checkPending(events.length + (this.buffered?.length ?? 0))) this.wake();
      return;
    }
    if (this.readyShared) {
      this.ready = [...this.ready];
      this.readyShared = false;
    }
    for (const e of events) {
      const rev = eventRevision(e);
      // A revision always arrives whole within one call, so anything at or below the last
      // delivered revision is a duplicate.
      if (rev > this.delivered) this.ready.push(e);
    }
    const last = this.ready[this.ready.length - 1];
    if (last) this.delivered = Math.max(this.delivered, eventRevision(last));
    if (this.checkPending(this.ready.length + (this.buffered?.length ?? 0))) this.wake();
  }

  goLive(): void {
    if (this.ended || !this.buffered) return;
    const buffered = this.buffered;
    this.buffered = undefined;
    this.deliver(buffered);
  }

  fail(err: StoreError): void {
    if (this.ended) return;
    this.error = err;
    this.ready = [];
    this.readyShared = false;
    this.end();
  }

  close(): void {
    if (this.ended) return;
    this.ready = [];
    this.readyShared = false;
    this.end();
  }

  private end(): void {
    this.ended = true;
    this.buffered = undefined;
    this.onEnd(this);
    this.wake();
  }

  /** Returns false (and ends the watch) when the consumer has fallen too far behind. */
  private checkPending(pending: number): boolean {
    if (pending <= this.maxPending) return true;
    this.fail(
      new StoreError(
        'WatcherTooSlow',
        `watcher on ${this.prefix || '(all keys)'} fell ${pending} events behind (limit ${this.maxPending}); restart it from its last revision`,
      ),
    );
    return false;
  }

  private wake(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    if (this.ready.length > 0) {
      this.waiter = undefined;
      const batch = this.ready;
      this.ready = [];
      this.readyShared = false;
      waiter.resolve({ value: batch, done: false });
    } else if (this.ended) {
      this.waiter = undefined;
      if (this.error) waiter.reject(this.error);
      else waiter.resolve({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent[]> {
    return {
      next: () =>
        new Promise<IteratorResult<WatchEvent[]>>((resolve, reject) => {
          if (this.waiter) {
            reject(new StoreError('InvalidArgument', 'a watch has a single consumer'));
            return;
          }
          this.waiter = { resolve, reject };
          this.wake();
        }),
      return: async () => {
        this.close();
        return { value: undefined, done: true };
      },
    };
  }
}
