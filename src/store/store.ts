/**
 * The versioned key-value store every other part of Shoal stands on.
 *
 * The model is etcd's, so that the embedded SQLite backend and the etcd backend are two true
 * implementations of one contract (see contract.test.ts):
 *
 * - One global revision that only grows. Every successful transaction takes the next revision;
 *   every key it writes carries that revision as its `modRevision`.
 * - Every write is a compare-and-swap: `create` fails if the key exists, `update`/`delete` take
 *   the `modRevision` the caller last saw and fail with a conflict if it moved on.
 * - `watch(prefix, afterRevision)` replays every event after `afterRevision`, then streams new
 *   ones: ordered by revision, never duplicated, never missing. A revision older than the
 *   compacted history fails with `StoreError('Expired')`; a watcher that falls too far behind is
 *   ended with `StoreError('WatcherTooSlow')`, never silently skipped.
 *
 * Values are UTF-8 text (Shoal stores JSON objects); keys are `/`-separated paths.
 */

/** The largest value the store accepts, in bytes (etcd's default request limit). */
export const MAX_VALUE_BYTES = 1.5 * 1024 * 1024;

export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the transaction that created this incarnation of the key. */
  createRevision: number;
  /** Revision of the transaction that last wrote the key. */
  modRevision: number;
}

/** One change to one key. Events of one transaction share a revision. */
export type WatchEvent =
  | { type: 'put'; kv: KeyValue; prev?: KeyValue }
  | { type: 'delete'; key: string; revision: number; prev: KeyValue };

export function eventRevision(event: WatchEvent): number {
  return event.type === 'put' ? event.kv.modRevision : event.revision;
}

export function eventKey(event: WatchEvent): string {
  return event.type === 'put' ? event.kv.key : event.key;
}

/**
 * One step of a transaction. Every precondition of every step is checked before anything is
 * written; if any fails, nothing is written.
 */
export type TxnOp =
  /** Write `value` at `key`; the key must not exist. */
  | { op: 'create'; key: string; value: string }
  /** Write `value` at `key`; the key must exist with exactly `modRevision`. */
  | { op: 'update'; key: string; value: string; modRevision: number }
  /** Remove `key`; it must exist, with exactly `modRevision` when one is given. */
  | { op: 'delete'; key: string; modRevision?: number }
  /** Write nothing; require `key` at `modRevision` (0: require that it does not exist). */
  | { op: 'check'; key: string; modRevision: number };

export interface TxnResult {
  /** The revision of the transaction (the store's revision if it wrote nothing). */
  revision: number;
  /** One entry per op: the key's new state, or for deletes the state that was removed. */
  results: (KeyValue | undefined)[];
}

export interface ListOptions {
  /** At most this many items; `continue` in the result resumes after the last one. */
  limit?: number;
  /** Token from a previous page; the listing continues at that page's revision. */
  continue?: string;
  /** Read the state as of this revision instead of the newest one. */
  revision?: number;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list reflects; watch from here to miss nothing. */
  revision: number;
  /** Set when more items follow. */
  continue?: string;
}

export interface WatchOptions {
  /** Events buffered for a consumer before it is ended as too slow (default 10,000). */
  maxPending?: number;
  signal?: AbortSignal;
}

/**
 * A running watch. Iterate it for batches of events (all events of a revision arrive in the same
 * batch, in revision order); the iteration throws `StoreError` when the watch cannot continue.
 * Batches and events may be shared with other watchers: treat them as read-only.
 */
export interface Watch extends AsyncIterable<WatchEvent[]> {
  close(): void;
}

export interface Store {
  readonly backend: string;
  get(key: string): Promise<KeyValue | undefined>;
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /** Count keys under a prefix at the newest revision. */
  count(prefix: string): Promise<number>;
  currentRevision(): Promise<number>;
  create(key: string, value: string): Promise<KeyValue>;
  update(key: string, value: string, modRevision: number): Promise<KeyValue>;
  delete(key: string, modRevision?: number): Promise<KeyValue>;
  txn(ops: TxnOp[]): Promise<TxnResult>;
  watch(prefix: string, afterRevision: number, options?: WatchOptions): Watch;
  /** Forget history before `revision`; reads and watches below it fail with `Expired`. */
  compact(revision: number): Promise<void>;
  /** The oldest revision still readable. */
  compactedRevision(): Promise<number>;
  close(): Promise<void>;
}

export type StoreErrorCode =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Expired'
  | 'TooLarge'
  | 'InvalidArgument'
  | 'WatcherTooSlow'
  | 'Unavailable'
  | 'Closed';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly key?: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}
