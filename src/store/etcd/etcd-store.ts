/**
 * The etcd backend of the Store: the store's model is etcd's, so most operations are one etcd
 * request. Revisions are etcd's revisions, every write is one etcd transaction whose compares are
 * the write's preconditions, and history (older revisions, watch replay, compaction) is etcd's.
 *
 * Watching: the store keeps ONE etcd watch over its whole key range and fans its events out to any
 * number of watchers through the shared WatchHub. A watcher that starts behind the hub catches up
 * from a window of recent events in memory, or else from a temporary etcd watch on its prefix.
 * The global watch survives disconnects by resuming right after the last revision it published
 * (the hub never sees a revision twice, and nothing is skipped); only when etcd cannot resume it
 * (its start revision was compacted meanwhile) are all watchers ended with `Expired`, so they
 * relist, and the watch restarts from etcd's current revision.
 *
 * Compaction: etcd does not report its compaction revision directly. `compactedRevision()`
 * starts from the highest revision this store compacted to or learnt from etcd's "compacted"
 * errors, confirms it with one cheap read at that revision, and only if someone else compacted
 * further does it bisect with reads to find etcd's oldest readable revision.
 *
 * Deployment note: etcd's default `--max-request-bytes` (1.5 MiB) is smaller than a 1.5 MiB value
 * plus its request; run etcd with at least 2 MiB so every value the store accepts also fits etcd.
 */
import {
  CompareResult,
  CompareTarget,
  Etcd3,
  type ICompare,
  type IRequestOp,
  type ITxnResponse,
  type IWatchResponse,
} from 'etcd3';
import { errorMessage } from '../../util/error-message.js';
import {
  checkKey,
  checkRevision,
  checkTxn,
  encodeContinue,
  listPlan,
  preconditionError,
  preconditionHolds,
} from '../keys.js';
import {
  eventRevision,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  StoreError,
  type TxnOp,
  type TxnResult,
  type Watch,
  type WatchEvent,
  type WatchOptions,
} from '../store.js';
import { WatchHub } from '../watch-hub.js';
import { KeyCodec } from './codec.js';
import { ErrorMapper, isCompactedError, isFutureRevisionError, neverSent, transient } from './errors.js';
import { hostBreaker, RUN_ONCE } from './fault-handling.js';
import { RawWatch } from './raw-watch.js';
import { RecentEvents } from './recent-events.js';

export interface EtcdStoreOptions {
  /** etcd client URLs, e.g. `['http://127.0.0.1:2379']`. */
  endpoints: string[];
  /**
   * Prefix of every etcd key the store uses (default ''): store key `k` is etcd key `prefix + k`.
   * Stores sharing one etcd need prefixes that are not prefixes of each other (end them with '/').
   */
  prefix?: string;
  /** Deadline of each etcd request other than watches (default 10 s). */
  requestTimeoutMs?: number;
  /**
   * Recent events kept in memory so watchers that start a little behind catch up without an etcd
   * watch of their own (default 20,000; 0: always replay from etcd).
   */
  recentEvents?: number;
}

/** The state of the store's global etcd watch, for health reports and tests. */
export interface EtcdWatchStatus {
  /** etcd has acknowledged the current global watch. */
  connected: boolean;
  /** Revision of the last event handed to watchers. */
  lastRevision: number;
  /** Times the global watch stream failed and was opened again, resuming where it stopped. */
  reconnects: number;
  /** Times every watcher was ended with Expired because etcd could not resume the watch. */
  resyncs: number;
  lastError?: string;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Extra attempts for a request that failed in a way worth retrying. */
const RETRIES = 2;
const RETRY_DELAY_MS = 50;
const WATCH_BACKOFF_MIN_MS = 50;
const WATCH_BACKOFF_MAX_MS = 2_000;
/** etcd sends at most this many revisions in one catch-up response (mvcc watchBatchMaxRevs). */
const ETCD_WATCH_BATCH_MAX_REVS = 1000;

export async function openEtcdStore(options: EtcdStoreOptions): Promise<EtcdStore> {
  const endpoints = options.endpoints;
  if (
    !Array.isArray(endpoints) ||
    endpoints.length === 0 ||
    endpoints.some((e) => typeof e !== 'string' || !e)
  ) {
    throw new StoreError('InvalidArgument', 'the etcd store needs at least one endpoint URL');
  }
  const prefix = options.prefix ?? '';
  if (typeof prefix !== 'string')
    throw new StoreError('InvalidArgument', 'the etcd key prefix must be a string');
  const timeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const client = new Etcd3({
    hosts: endpoints,
    grpcOptions: {
      // A catch-up watch response may hold many revisions of values up to 1.5 MiB (twice, with
      // the previous values); gRPC's default 4 MiB receive limit would break the watch.
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
      // Notice a dead connection under an idle watch (etcd allows pings every 5 s).
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
    },
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeout }),
    // Calls run once (the store retries what is safe); with several endpoints, one that just
    // failed is skipped for a moment.
    faultHandling: {
      host: (host) => (endpoints.length > 1 ? hostBreaker(host) : RUN_ONCE),
      global: RUN_ONCE,
    },
  });
  const codec = new KeyCodec(prefix);
  const errors = new ErrorMapper(endpoints);
  try {
    // The global watch starts at etcd's current revision: etcd syncs a watch without a start
    // revision at once (so no compaction can overtake it), and the header of its `created`
    // response is the revision the store starts from: history up to it, live events after it.
    const { watch, revision } = await retrying(true, async () => {
      const watch = await RawWatch.open(client, { ...codec.range(''), prev_kv: true });
      try {
        const created = await withTimeout(watch.next(), timeout, 'waiting for etcd to accept a watch');
        if (created.canceled || !created.created) {
          throw new Error(`etcd refused the store's watch (${created.cancel_reason || 'no reason'})`);
        }
        return { watch, revision: Number(created.header.revision) };
      } catch (err) {
        watch.close();
        throw err;
      }
    });
    return new EtcdStore(client, codec, errors, revision, watch, options.recentEvents);
  } catch (err) {
    client.close();
    throw errors.map(err, 'opening the store');
  }
}

export class EtcdStore implements Store {
  readonly backend = 'etcd';
  private readonly hub: WatchHub;
  private readonly recent: RecentEvents;
  private closed = false;
  private readonly closing = new AbortController();
  /** The current global watch stream. */
  private globalWatch: RawWatch | undefined;
  /** Temporary watches replaying history for watchers that start behind. */
  private readonly replays = new Set<RawWatch>();
  private readonly watchLoop: Promise<void>;
  /** A lower bound of etcd's compaction revision (exact unless another client compacted). */
  private knownCompacted = 0;
  private readonly status: EtcdWatchStatus;

  /** Use `openEtcdStore`. */
  constructor(
    private readonly client: Etcd3,
    private readonly codec: KeyCodec,
    private readonly errors: ErrorMapper,
    startRevision: number,
    globalWatch: RawWatch,
    recentEvents?: number,
  ) {
    this.hub = new WatchHub(startRevision, {
      checkRetained: (after) => this.checkRetained(after),
      replay: (prefix, after, upTo) => this.replay(prefix, after, upTo),
    });
    this.recent = new RecentEvents(startRevision, recentEvents);
    this.status = { connected: true, lastRevision: startRevision, reconnects: 0, resyncs: 0 };
    this.watchLoop = this.runGlobalWatch(globalWatch, startRevision);
  }

  watchStatus(): EtcdWatchStatus {
    return { ...this.status, lastRevision: this.hub.lastRevision };
  }

  // ---- reads ----

  async get(key: string): Promise<KeyValue | undefined> {
    checkKey(key);
    const res = await this.request(`get ${key}`, true, () =>
      this.client.kv.range({ key: this.codec.encode(key) }),
    );
    const kv = res.kvs[0];
    return kv ? this.codec.toKeyValue(kv) : undefined;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    checkPrefix(prefix);
    const plan = listPlan(prefix, options);
    const range =
      plan.after === undefined ? this.codec.range(prefix) : this.codec.rangeAfter(prefix, plan.after);
    const res = await this.request(
      `list ${prefix || '(all keys)'}`,
      true,
      () => this.client.kv.range({ ...range, revision: plan.revision, limit: plan.limit }),
      plan.revision,
    );
    const revision = plan.revision > 0 ? plan.revision : Number(res.header.revision);
    const items = res.kvs.map((kv) => this.codec.toKeyValue(kv));
    const result: ListResult = { items, revision };
    const last = items[items.length - 1];
    if (res.more && last) result.continue = encodeContinue({ rev: revision, key: last.key, prefix });
    return result;
  }

  async count(prefix: string): Promise<number> {
    checkPrefix(prefix);
    const range = this.codec.range(prefix);
    const res = await this.request(`count ${prefix || '(all keys)'}`, true, () =>
      this.client.kv.range({ ...range, count_only: true }),
    );
    return Number(res.count);
  }

  async currentRevision(): Promise<number> {
    const res = await this.request('reading the current revision', true, () =>
      this.client.kv.range({ key: this.codec.probeKey(), count_only: true }),
    );
    return Number(res.header.revision);
  }

  // ---- writes ----

  async create(key: string, value: string): Promise<KeyValue> {
    return (await this.txn([{ op: 'create', key, value }])).results[0]!;
  }

  async update(key: string, value: string, modRevision: number): Promise<KeyValue> {
    return (await this.txn([{ op: 'update', key, value, modRevision }])).results[0]!;
  }

  async delete(key: string, modRevision?: number): Promise<KeyValue> {
    const op: TxnOp = modRevision === undefined ? { op: 'delete', key } : { op: 'delete', key, modRevision };
    return (await this.txn([op])).results[0]!;
  }

  /**
   * One etcd transaction: the compares are every op's precondition, the success branch does the
   * writes (returning the removed or previous state), and the failure branch reads every key, so
   * the error can name the first op (in op order) whose precondition failed, from the same
   * snapshot the compares saw.
   */
  async txn(ops: TxnOp[]): Promise<TxnResult> {
    checkTxn(ops);
    this.checkOpen();
    const compare: ICompare[] = [];
    const success: IRequestOp[] = [];
    const failure: IRequestOp[] = [];
    for (const op of ops) {
      const key = this.codec.encode(op.key);
      switch (op.op) {
        case 'create':
          compare.push({
            key,
            target: CompareTarget.Create,
            result: CompareResult.Equal,
            create_revision: 0,
          });
          success.push({ request_put: { key, value: Buffer.from(op.value, 'utf8') } });
          break;
        case 'update':
          compare.push(...modRevisionIs(key, op.modRevision));
          success.push({ request_put: { key, value: Buffer.from(op.value, 'utf8'), prev_kv: true } });
          break;
        case 'delete':
          compare.push(
            ...(op.modRevision === undefined ? [exists(key)] : modRevisionIs(key, op.modRevision)),
          );
          success.push({ request_delete_range: { key, prev_kv: true } });
          break;
        case 'check':
          // mod_revision of an absent key is 0, so `0` means "must not exist".
          compare.push({
            key,
            target: CompareTarget.Mod,
            result: CompareResult.Equal,
            mod_revision: op.modRevision,
          });
          success.push({ request_range: { key } });
          break;
      }
      failure.push({ request_range: { key, keys_only: true } });
    }
    const readOnly = ops.every((op) => op.op === 'check');
    const res = await this.request(describeTxn(ops), readOnly, () =>
      this.client.kv.txn({ compare, success, failure }),
    );
    if (!res.succeeded) throw this.preconditionFailure(ops, res);
    const revision = Number(res.header.revision);
    const results = ops.map((op, i): KeyValue | undefined => {
      const r = res.responses[i]!;
      if (op.op === 'create') {
        return { key: op.key, value: op.value, createRevision: revision, modRevision: revision };
      }
      if (op.op === 'update') {
        const created = Number(r.response_put.prev_kv.create_revision);
        return { key: op.key, value: op.value, createRevision: created, modRevision: revision };
      }
      if (op.op === 'delete') return this.codec.toKeyValue(r.response_delete_range.prev_kvs[0]!);
      const kv = r.response_range.kvs[0];
      return kv ? this.codec.toKeyValue(kv) : undefined;
    });
    return { revision, results };
  }

  private preconditionFailure(ops: TxnOp[], res: ITxnResponse): StoreError {
    for (const [i, op] of ops.entries()) {
      const kv = res.responses[i]?.response_range?.kvs[0];
      const actual = kv ? Number(kv.mod_revision) : 0;
      if (!preconditionHolds(op, actual)) return preconditionError(op, actual);
    }
    // Cannot happen: etcd evaluated the same compares on the same snapshot.
    return new StoreError('Conflict', 'transaction preconditions failed');
  }

  // ---- compaction ----

  async compact(revision: number): Promise<void> {
    checkRevision('revision', revision);
    this.checkOpen();
    if (revision <= this.knownCompacted || revision === 0) return;
    try {
      await retrying(true, () => this.client.kv.compact({ revision, physical: false }), this.closing.signal);
    } catch (err) {
      if (this.closed) throw closedError();
      if (isCompactedError(err)) {
        // Already compacted at or past `revision` (by another client): nothing to do.
        this.learnCompacted(revision);
        return;
      }
      if (isFutureRevisionError(err)) {
        const current = await this.currentRevision().catch(() => undefined);
        throw new StoreError(
          'InvalidArgument',
          `cannot compact to revision ${revision}: newest is ${current ?? 'older'}`,
        );
      }
      throw this.errors.map(err, `compacting to revision ${revision}`);
    }
    this.learnCompacted(revision);
  }

  /**
   * The oldest readable revision (0 if etcd has never compacted). Exact: a read at the revision
   * this store knows confirms it; if another client compacted further, reads bisect for etcd's.
   */
  async compactedRevision(): Promise<number> {
    this.checkOpen();
    const known = this.knownCompacted;
    let lo = Math.max(known, 1);
    if (await this.readableAt(lo)) return known;
    // etcd compacted past `lo`: the oldest readable revision lies in (lo, current].
    let hi = await this.currentRevision();
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (await this.readableAt(mid)) hi = mid;
      else lo = mid;
    }
    this.learnCompacted(hi);
    return hi;
  }

  private async readableAt(revision: number): Promise<boolean> {
    try {
      await retrying(
        true,
        () => this.client.kv.range({ key: this.codec.probeKey(), revision, count_only: true }),
        this.closing.signal,
      );
      return true;
    } catch (err) {
      if (this.closed) throw closedError();
      if (isCompactedError(err)) return false;
      if (isFutureRevisionError(err)) return true;
      throw this.errors.map(err, `reading revision ${revision}`);
    }
  }

  private learnCompacted(revision: number): void {
    if (revision > this.knownCompacted) this.knownCompacted = revision;
  }

  private expired(revision: number): StoreError {
    const oldest = Math.max(this.knownCompacted, revision + 1);
    return new StoreError(
      'Expired',
      `revision ${revision} has been compacted (oldest available is ${oldest} or newer); list again and watch from there`,
    );
  }

  // ---- watch ----

  watch(prefix: string, afterRevision: number, options?: WatchOptions): Watch {
    return this.hub.watch(prefix, afterRevision, options);
  }

  /** HistorySource.checkRetained: one cheap read at `after` tells whether etcd still has it. */
  private async checkRetained(after: number): Promise<void> {
    this.checkOpen();
    if (after < this.knownCompacted) throw this.expired(after);
    if (!(await this.readableAt(Math.max(after, 1)))) {
      this.learnCompacted(after + 1);
      throw this.expired(after);
    }
  }

  /** HistorySource.replay: from the recent-events window if it reaches back far enough, else etcd. */
  private async *replay(prefix: string, after: number, upTo: number): AsyncGenerator<WatchEvent[]> {
    const recent = this.recent.between(prefix, after, upTo);
    if (recent) {
      yield* recent;
      return;
    }
    yield* this.replayFromEtcd(prefix, after, upTo);
  }

  /**
   * A temporary etcd watch on `prefix` from `after + 1`. It ends once etcd has shown everything up
   * to `upTo`: an event at or past it, or a response whose header says so (a catch-up response
   * holds every event up to its header revision unless etcd cut it at 1000 revisions). When
   * nothing under the prefix changed, it ends with the next event under the prefix: until then
   * the watcher has nothing to deliver anyway.
   */
  private async *replayFromEtcd(prefix: string, after: number, upTo: number): AsyncGenerator<WatchEvent[]> {
    this.checkOpen();
    const what = `replaying ${prefix || '(all keys)'} after revision ${after}`;
    let watch: RawWatch;
    try {
      watch = await RawWatch.open(this.client, {
        ...this.codec.range(prefix),
        start_revision: after + 1,
        prev_kv: true,
      });
    } catch (err) {
      throw this.closed ? closedError() : this.errors.map(err, what);
    }
    this.replays.add(watch);
    try {
      for (;;) {
        let res: IWatchResponse;
        try {
          res = await watch.next();
        } catch (err) {
          throw this.closed ? closedError() : this.errors.map(err, what);
        }
        if (res.canceled) {
          const compacted = Number(res.compact_revision);
          if (compacted > 0) {
            this.learnCompacted(compacted);
            throw this.expired(after);
          }
          throw new StoreError(
            'Unavailable',
            `${what}: etcd cancelled the watch (${res.cancel_reason || 'no reason'})`,
          );
        }
        if (res.events.length === 0) continue;
        const events = this.codec.toWatchEvents(res.events);
        if (!events) throw this.expired(after);
        yield events;
        if (coveredRevision(res) >= upTo) return;
      }
    } finally {
      this.replays.delete(watch);
      watch.close();
    }
  }

  /**
   * The global watch: one etcd watch over the store's key range, resumed after the last published
   * revision whenever its stream fails, restarted from etcd's current revision (ending every
   * watcher with Expired) when etcd can no longer resume it.
   */
  private async runGlobalWatch(initial: RawWatch, initialCreatedAt: number): Promise<void> {
    const range = this.codec.range('');
    let failures = 0;
    let opened: RawWatch | undefined = initial;
    while (!this.closed) {
      const from = this.hub.lastRevision + 1;
      let createdAt = opened ? initialCreatedAt : undefined;
      let watch: RawWatch | undefined = opened;
      opened = undefined;
      try {
        watch ??= await RawWatch.open(this.client, { ...range, start_revision: from, prev_kv: true });
        if (this.closed) break;
        this.globalWatch = watch;
        for (;;) {
          // Everything etcd has sent so far goes to the hub as one batch (consecutive revisions):
          // under load, watchers then wake once per batch instead of once per revision.
          const first = await watch.next();
          // Let the responses that arrive in the same turn of the event loop join this one.
          await new Promise((resolve) => setImmediate(resolve));
          const responses = [first, ...watch.takeQueued()];
          const events: WatchEvent[] = [];
          let stop: StoreError | undefined;
          for (const res of responses) {
            if (res.created && !res.canceled) {
              createdAt = Number(res.header.revision);
              this.status.connected = true;
              failures = 0;
              continue;
            }
            if (res.canceled) {
              const compacted = Number(res.compact_revision);
              if (compacted > 0) this.learnCompacted(compacted);
              const why =
                compacted > 0
                  ? `etcd compacted history to revision ${compacted} while the store's watch was behind at revision ${from - 1}`
                  : `etcd cancelled the store's watch (${res.cancel_reason || 'no reason'})`;
              stop = new StoreError('Expired', `${why}; list again and watch from there`);
              break;
            }
            if (res.events.length === 0) continue;
            const translated = this.codec.toWatchEvents(res.events);
            if (!translated) {
              stop = new StoreError(
                'Expired',
                'etcd no longer has the state before a change; list again and watch from there',
              );
              break;
            }
            for (const e of translated) events.push(e);
          }
          if (events.length > 0) this.publish(events);
          if (stop) {
            await this.resync(stop, createdAt);
            break;
          }
        }
      } catch (err) {
        if (this.closed) break;
        this.status.lastError = errorMessage(err);
        this.status.reconnects += 1;
        failures += 1;
      } finally {
        watch?.close();
        if (this.globalWatch === watch) this.globalWatch = undefined;
        this.status.connected = false;
      }
      if (failures > 0) await this.sleep(backoff(failures));
    }
  }

  private publish(events: WatchEvent[]): void {
    const last = this.hub.lastRevision;
    const fresh = eventRevision(events[0]!) > last ? events : events.filter((e) => eventRevision(e) > last);
    if (fresh.length === 0) return;
    this.recent.add(fresh);
    this.hub.publish(fresh);
  }

  /**
   * End every watcher with `reason` and continue from etcd's current revision: new watchers catch
   * up from etcd's history, and the next global watch starts right after that revision. Ending and
   * advancing happen in one synchronous step, so no watcher can start in between and miss events.
   */
  private async resync(reason: StoreError, knownRevision: number | undefined): Promise<void> {
    let revision = knownRevision;
    if (revision === undefined) {
      this.hub.failAll(reason);
      while (revision === undefined) {
        if (this.closed) return;
        try {
          revision = await this.currentRevision();
        } catch {
          await this.sleep(WATCH_BACKOFF_MAX_MS);
        }
      }
    }
    this.hub.failAll(reason);
    this.hub.advance(revision);
    this.recent.reset(this.hub.lastRevision);
    this.status.resyncs += 1;
  }

  // ---- lifecycle ----

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    this.globalWatch?.close();
    for (const replay of this.replays) replay.close();
    this.hub.close();
    await this.watchLoop.catch(() => undefined);
    this.client.close();
  }

  private checkOpen(): void {
    if (this.closed) throw closedError();
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.closing.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
    });
  }

  /**
   * Run one etcd request, retrying when that is safe (reads after any transient failure, writes
   * only when they provably never reached etcd), and turn failures into StoreErrors. `revision` is
   * the revision a read asked for, for precise Expired/InvalidArgument errors.
   */
  private async request<T>(
    what: string,
    idempotent: boolean,
    fn: () => Promise<T>,
    revision = 0,
  ): Promise<T> {
    this.checkOpen();
    try {
      return await retrying(idempotent, fn, this.closing.signal);
    } catch (err) {
      if (this.closed) throw closedError();
      if (revision > 0 && isCompactedError(err)) {
        this.learnCompacted(revision + 1);
        throw this.expired(revision);
      }
      if (revision > 0 && isFutureRevisionError(err)) {
        throw new StoreError('InvalidArgument', `${what}: revision ${revision} is in the future`);
      }
      throw this.errors.map(err, what);
    }
  }
}

async function retrying<T>(idempotent: boolean, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const retry = attempt < RETRIES && !signal?.aborted && (idempotent ? transient(err) : neverSent(err));
      if (!retry) throw err;
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS * 2 ** attempt));
    }
  }
}

function closedError(): StoreError {
  return new StoreError('Closed', 'store is closed');
}

function checkPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw new StoreError('InvalidArgument', 'prefix must be a string');
}

/** Compares requiring `key` to exist at exactly `modRevision`. */
function modRevisionIs(key: Buffer, modRevision: number): ICompare[] {
  const compares: ICompare[] = [
    { key, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: modRevision },
  ];
  // An absent key has mod_revision 0; expecting 0 must still require the key to exist.
  if (modRevision === 0) compares.push(exists(key));
  return compares;
}

function exists(key: Buffer): ICompare {
  return { key, target: CompareTarget.Version, result: CompareResult.Greater, version: 0 };
}

function describeTxn(ops: TxnOp[]): string {
  if (ops.length === 1) return `${ops[0]!.op} ${ops[0]!.key}`;
  return `transaction on ${ops.length} keys`;
}

/** Every event up to the returned revision has been sent in or before `res`. */
function coveredRevision(res: IWatchResponse): number {
  const events = res.events;
  const lastEvent = events.length > 0 ? Number(events[events.length - 1]!.kv.mod_revision) : 0;
  let revisions = 0;
  let previous = '';
  for (const e of events) {
    if (e.kv.mod_revision !== previous) {
      revisions += 1;
      previous = e.kv.mod_revision;
    }
  }
  // A catch-up response cut at etcd's batch limit does not reach its header revision.
  if (revisions >= ETCD_WATCH_BATCH_MAX_REVS) return lastEvent;
  return Math.max(lastEvent, Number(res.header.revision));
}

function backoff(failures: number): number {
  const ms = Math.min(WATCH_BACKOFF_MAX_MS, WATCH_BACKOFF_MIN_MS * 2 ** (failures - 1));
  return ms / 2 + Math.random() * (ms / 2);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
