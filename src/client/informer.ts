/**
 * An informer: a local cache of one resource (optionally one namespace, optionally filtered by
 * label/field selectors), kept current by list + watch, with handlers called on every change.
 *
 *   run(signal) ─▶ list (paged) ─▶ watch from the list's resourceVersion (with bookmarks)
 *                     ▲                 │ ADDED/MODIFIED/DELETED → cache + onAdd/onUpdate/onDelete
 *                     │ 410 Gone        │ BOOKMARK → remember its resourceVersion
 *                     └─────────────────┤ stream closed by the server → watch again from there
 *                                       └ connection lost → back off (capped, exponential), watch again
 *
 * The backoff starts over once a watch has delivered events for a second, so a short blip after a
 * long outage is retried within a second, not after the 30 s the outage had grown the delay to.
 *
 * A relist compares the new list with the cache and calls the handlers for the difference
 * (objects gone while the informer was away get onDelete with their last known state), so
 * handlers see every change they could have seen, at least at the level of "now it looks like this".
 *
 * **Cached objects are shared and read-only.** Every caller of `get`/`list` and every handler
 * gets the cache's own object; mutating it would corrupt the cache for everyone. Copy
 * (`structuredClone`) before changing anything. By default objects are deep-frozen as they enter
 * the cache, so a mutation throws a TypeError instead of silently corrupting state; pass
 * `freeze: false` on hot paths once the callers are known to behave.
 *
 * The shape follows kubernetes-client/javascript's `cache.ts` and client-go's reflector.
 */
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { apiVersionOf, type ResourceDef } from '../api/resources.js';
import { type Clock, systemClock } from '../util/clock.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import type { Client } from './rest.js';
import { isGone, type WatchEvent } from './watch.js';

export interface InformerOptions<T extends KubeObject = KubeObject> {
  /** Only this namespace (namespaced kinds); all namespaces when unset. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Items per list page (default 500). */
  pageSize?: number;
  /** How long each watch request lasts before it is renewed (default 5–10 min, at random). */
  watchTimeoutSeconds?: number;
  /** Reconnect delays (default 800 ms doubling to 30 s). */
  backoff?: BackoffOptions;
  clock?: Clock;
  /** Deep-freeze cached objects (default true). */
  freeze?: boolean;
  /**
   * Applied to each object as it arrives, before it is cached and handed to the handlers, to drop
   * what no reader needs (client-go's SetTransform): `managedFields` alone is a third of a pod,
   * which counts in a cache of 150,000. It gets the freshly decoded object, which nothing else holds.
   */
  transform?: (obj: T) => T;
  /** Failures the informer recovers from (lost connections, refused requests, throwing handlers). */
  onError?: (err: unknown) => void;
}

export type AddHandler<T> = (obj: T) => void;
export type UpdateHandler<T> = (oldObj: T, newObj: T) => void;
export type DeleteHandler<T> = (obj: T) => void;

/** The cache key: "namespace/name", or "name" for cluster-scoped objects. */
export function keyOf(obj: { metadata?: { name?: string; namespace?: string } }): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name ?? ''}` : (m.name ?? '');
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/**
 * A `transform` for readers that never look at managedFields (every field of every manager, as a
 * tree of small objects: a third of a pod, and the largest part of a cache of 150,000 of them).
 * It drops them from the freshly decoded object, which nothing else holds yet.
 */
export function withoutManagedFields<T extends { metadata?: { managedFields?: unknown } }>(obj: T): T {
  if (obj.metadata?.managedFields !== undefined) delete obj.metadata.managedFields;
  return obj;
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A watch that ends this fast with no events is treated like a failure (backed off). */
const MIN_HEALTHY_WATCH_MS = 1000;

/** A secondary index: how an object's values are computed, and value → keys of the objects filed under it. */
interface Index<T> {
  fn: (obj: T) => readonly string[];
  keys: Map<string, Set<string>>;
}

export class Informer<T extends KubeObject = KubeObject> {
  private readonly objects = new Map<string, T>();
  /** The built-in index: objects by namespace (what `list(namespace)` reads). */
  private readonly byNamespace: Index<T> = {
    fn: (obj) => (obj.metadata.namespace ? [obj.metadata.namespace] : []),
    keys: new Map(),
  };
  /** Named secondary indexes. */
  private readonly indexes = new Map<string, Index<T>>();
  private readonly addHandlers = new Set<AddHandler<T>>();
  private readonly updateHandlers = new Set<UpdateHandler<T>>();
  private readonly deleteHandlers = new Set<DeleteHandler<T>>();
  private readonly syncWaiters = new Set<() => void>();
  private readonly clock: Clock;
  private readonly freeze: boolean;
  private resourceVersion = '';
  private synced = false;
  private running = false;

  constructor(
    private readonly client: Client,
    readonly def: ResourceDef,
    private readonly options: InformerOptions<T> = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.freeze = options.freeze ?? true;
  }

  // ---- handlers --------------------------------------------------------------------------------

  /** Called for each new object. Registered after the first sync, it is first called for every cached object. Returns an unsubscribe function. */
  onAdd(handler: AddHandler<T>): () => void {
    this.addHandlers.add(handler);
    if (this.synced) for (const obj of this.objects.values()) this.call(() => handler(obj));
    return () => this.addHandlers.delete(handler);
  }

  /** Called when an object changes (a new resourceVersion), with its previous and new state. */
  onUpdate(handler: UpdateHandler<T>): () => void {
    this.updateHandlers.add(handler);
    return () => this.updateHandlers.delete(handler);
  }

  /** Called with the last known state of an object that is gone (or no longer selected). */
  onDelete(handler: DeleteHandler<T>): () => void {
    this.deleteHandlers.add(handler);
    return () => this.deleteHandlers.delete(handler);
  }

  // ---- reads (read-only objects: see the module comment) ---------------------------------------

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once the first list is in the cache, or false if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', aborted);
        resolve(true);
      };
      const aborted = () => {
        this.syncWaiters.delete(done);
        resolve(false);
      };
      this.syncWaiters.add(done);
      signal?.addEventListener('abort', aborted, { once: true });
    });
  }

  /** The newest resourceVersion the cache reflects. */
  lastSyncResourceVersion(): string {
    return this.resourceVersion;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(namespace ? `${namespace}/${name}` : name);
  }

  getByKey(key: string): T | undefined {
    return this.objects.get(key);
  }

  /** Every cached object, or those of one namespace. A new array of shared objects. */
  list(namespace?: string): T[] {
    if (namespace === undefined) return [...this.objects.values()];
    return this.filedUnder(this.byNamespace, namespace);
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  /**
   * Keep a secondary index `name`: `fn` gives the values an object is found under (client-go's
   * Indexers). Adding an index that exists already keeps the first one, so informers shared by
   * several readers can each ask for the index they need.
   */
  addIndex(name: string, fn: (obj: T) => readonly string[]): void {
    if (this.indexes.has(name)) return;
    const index = { fn, keys: new Map<string, Set<string>>() };
    this.indexes.set(name, index);
    for (const [key, obj] of this.objects) this.indexAdd(index, key, obj);
  }

  /** The cached objects an index files under `value`. A new array of shared objects. */
  byIndex(name: string, value: string): T[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`informer for ${this.def.resource} has no index ${name}`);
    return this.filedUnder(index, value);
  }

  private filedUnder(index: Index<T>, value: string): T[] {
    const keys = index.keys.get(value);
    return keys ? [...keys].map((k) => this.objects.get(k)!) : [];
  }

  get size(): number {
    return this.objects.size;
  }

  // ---- the loop --------------------------------------------------------------------------------

  /** List, then watch, until `signal` aborts. Failures are reported to onError and retried. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.running) throw new Error(`informer for ${this.def.resource} is already running`);
    this.running = true;
    const backoff = new Backoff(this.options.backoff);
    let needList = true;
    try {
      while (!signal.aborted) {
        let listing = needList;
        let watchStarted: number | undefined;
        try {
          if (needList) {
            await this.relist(signal);
            needList = false;
            listing = false;
            backoff.reset();
          }
          watchStarted = this.clock.now();
          const events = await this.watchOnce(signal);
          if (events > 0) backoff.reset();
          else if (!signal.aborted && this.clock.now() - watchStarted < MIN_HEALTHY_WATCH_MS) {
            await this.sleep(backoff.next(), signal);
          }
        } catch (err) {
          if (signal.aborted) break;
          // A watch that delivered events for a while was healthy: losing it starts a new outage,
          // retried from the first delay, not from where an earlier outage left the backoff.
          if (
            watchStarted !== undefined &&
            this.watchEvents > 0 &&
            this.clock.now() - watchStarted >= MIN_HEALTHY_WATCH_MS
          ) {
            backoff.reset();
          }
          if (isGone(err) && !listing) {
            // The history we would resume from is compacted: start over from a fresh list.
            needList = true;
            continue;
          }
          this.report(err);
          // The server refused the watch (not just a lost connection): start over from a list.
          if (err instanceof ApiError) needList = true;
          await this.sleep(backoff.next(), signal);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const list = await this.client.listAll<T>(this.def, this.options.namespace, {
      ...this.selectors(),
      pageSize: this.options.pageSize ?? 500,
      signal,
    });
    const fresh = new Map<string, T>();
    for (const item of list.items) {
      const obj = this.prepare(item);
      fresh.set(keyOf(obj), obj);
    }
    for (const [key, old] of this.objects) {
      if (!fresh.has(key)) {
        this.remove(key);
        this.fireDelete(old);
      }
    }
    for (const [key, obj] of fresh) this.upsert(key, obj);
    this.resourceVersion = list.metadata.resourceVersion ?? '';
    if (!this.synced) {
      this.synced = true;
      for (const w of [...this.syncWaiters]) w();
      this.syncWaiters.clear();
    }
  }

  /** Events the current (or last) watch delivered, kept when it ends with an error. */
  private watchEvents = 0;

  private async watchOnce(signal: AbortSignal): Promise<number> {
    const timeoutSeconds = this.options.watchTimeoutSeconds ?? Math.floor(300 * (1 + Math.random()));
    this.watchEvents = 0;
    const events = this.client.watch<T>(this.def, this.options.namespace, {
      ...this.selectors(),
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds,
      signal,
    });
    for await (const event of events) {
      this.watchEvents++;
      this.apply(event);
    }
    return this.watchEvents;
  }

  private apply(event: WatchEvent<T>): void {
    const rv = event.object?.metadata?.resourceVersion;
    switch (event.type) {
      case 'BOOKMARK':
        break;
      case 'ADDED':
      case 'MODIFIED': {
        const obj = this.prepare(event.object);
        this.upsert(keyOf(obj), obj);
        break;
      }
      case 'DELETED': {
        const obj = this.prepare(event.object);
        const key = keyOf(obj);
        if (this.objects.has(key)) {
          this.remove(key);
          this.fireDelete(obj);
        }
        break;
      }
    }
    if (rv) this.resourceVersion = rv;
  }

  /** The label and field selectors the informer was given, as list/watch options. */
  private selectors(): { labelSelector?: string; fieldSelector?: string } {
    const { labelSelector, fieldSelector } = this.options;
    return {
      ...(labelSelector ? { labelSelector } : {}),
      ...(fieldSelector ? { fieldSelector } : {}),
    };
  }

  // ---- the store -------------------------------------------------------------------------------

  /** Cache `obj` and tell the handlers: an add if it is new, an update if its version moved. */
  private upsert(key: string, obj: T): void {
    const old = this.objects.get(key);
    if (!old) {
      this.put(key, obj);
      this.fireAdd(obj);
    } else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) {
      this.put(key, obj);
      this.fireUpdate(old, obj);
    }
  }

  private prepare(item: T): T {
    if (item.apiVersion === undefined || item.kind === undefined) {
      item = { ...item, apiVersion: apiVersionOf(this.def), kind: this.def.kind };
    }
    if (this.options.transform) item = this.options.transform(item);
    return this.freeze ? deepFreeze(item) : item;
  }

  private indexAdd(index: Index<T>, key: string, obj: T): void {
    for (const value of index.fn(obj)) {
      let keys = index.keys.get(value);
      if (!keys) {
        keys = new Set();
        index.keys.set(value, keys);
      }
      keys.add(key);
    }
  }

  private indexRemove(index: Index<T>, key: string, obj: T): void {
    for (const value of index.fn(obj)) {
      const keys = index.keys.get(value);
      keys?.delete(key);
      if (keys?.size === 0) index.keys.delete(value);
    }
  }

  private put(key: string, obj: T): void {
    const old = this.objects.get(key);
    for (const index of this.indexes.values()) {
      if (old) this.indexRemove(index, key, old);
      this.indexAdd(index, key, obj);
    }
    // The namespace is part of the key: an object is filed under it once, when it first comes.
    if (!old) this.indexAdd(this.byNamespace, key, obj);
    this.objects.set(key, obj);
  }

  private remove(key: string): void {
    const obj = this.objects.get(key);
    if (!obj) return;
    for (const index of this.indexes.values()) this.indexRemove(index, key, obj);
    this.indexRemove(this.byNamespace, key, obj);
    this.objects.delete(key);
  }

  // ---- plumbing --------------------------------------------------------------------------------

  private fireAdd(obj: T): void {
    for (const h of this.addHandlers) this.call(() => h(obj));
  }

  private fireUpdate(old: T, obj: T): void {
    for (const h of this.updateHandlers) this.call(() => h(old, obj));
  }

  private fireDelete(obj: T): void {
    for (const h of this.deleteHandlers) this.call(() => h(obj));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.report(err);
    }
  }

  private report(err: unknown): void {
    try {
      this.options.onError?.(err);
    } catch {
      // an error reporter that throws must not stop the informer
    }
  }

  private async sleep(ms: number, signal: AbortSignal): Promise<void> {
    await this.clock.sleep(ms, signal).catch(() => undefined);
  }
}
