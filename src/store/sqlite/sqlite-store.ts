/**
 * The embedded store: one SQLite file, written by a worker thread with group commit, read on
 * the calling thread through a second connection (WAL lets reads run beside the writer).
 *
 * Writes queue up while a batch is being committed and go out together as the next batch, so
 * under load one fsync acknowledges many writes. Nothing is acknowledged before its batch is
 * durable (synchronous=FULL), and a batch's events are queued for every watcher before any of
 * its writers can act on the answer.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { checkKey, checkRevision, checkTxn, encodeContinue, listPlan, prefixEnd } from '../keys.js';
import {
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
import { type HistorySource, WatchHub } from '../watch-hub.js';
import { LatestValues } from './latest-values.js';
import { configure, KEY_MAX, lastIdOf } from './schema.js';
import type { TxnOutcome } from './writer.js';
import type { WriterReply, WriterRequest } from './writer-protocol.js';

export interface SqliteStoreOptions {
  /** Directory that holds `store.db` (created if missing). */
  dataDir: string;
  /** Most transactions committed together (default 1,000). */
  maxBatch?: number;
  /** Characters of recently used values kept in memory for reads (default 8 Mi; 0 turns it off). */
  cacheChars?: number;
}

// About 2,500 pods: seconds of a busy cluster's writes, the time in which a pod is created, bound
// and reported running.
const DEFAULT_CACHE_CHARS = 8 * 1024 * 1024;

interface Pending {
  ops: TxnOp[];
  resolve: (r: TxnResult) => void;
  reject: (e: unknown) => void;
}

interface RowKv {
  key: string;
  value: string;
  create_rev: number;
  mod_rev: number;
}

interface RowLog {
  id: number;
  rev: number;
  key: string;
  deleted: number;
  create_rev: number;
  prev_rev: number;
  value: string | null;
  prev_value: string | null;
  prev_create: number | null;
}

const REPLAY_CHUNK = 1000;

export async function openSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  fs.mkdirSync(options.dataDir, { recursive: true });
  const file = path.join(options.dataDir, 'store.db');
  const worker = new Worker(new URL('./writer-worker.js', import.meta.url), { workerData: { path: file } });
  const revision = await new Promise<number>((resolve, reject) => {
    const onMessage = (msg: WriterReply) => {
      if (msg.type === 'ready') {
        worker.off('error', onError);
        worker.off('message', onMessage);
        resolve(msg.revision);
      }
    };
    const onError = (err: Error) =>
      reject(new StoreError('Unavailable', `cannot open store at ${file}: ${err.message}`));
    worker.on('message', onMessage);
    worker.once('error', onError);
  });
  const reader = new Database(file, { readonly: true, fileMustExist: true });
  configure(reader, 'reader');
  return new SqliteStore(
    file,
    worker,
    reader,
    revision,
    options.maxBatch ?? 1000,
    options.cacheChars ?? DEFAULT_CACHE_CHARS,
  );
}

export class SqliteStore implements Store {
  readonly backend = 'sqlite';
  private readonly hub: WatchHub;
  private queue: Pending[] = [];
  private inFlight: Pending[] | undefined;
  private flushScheduled = false;
  private nextId = 1;
  private readonly calls = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>();
  private closed = false;
  private broken: StoreError | undefined;
  private readonly q;
  private readonly latest: LatestValues;

  constructor(
    readonly file: string,
    private readonly worker: Worker,
    private readonly reader: Database.Database,
    startRevision: number,
    private readonly maxBatch: number,
    cacheChars: number,
  ) {
    this.latest = new LatestValues(cacheChars);
    const db = reader;
    this.q = {
      get: db.prepare<[string], RowKv>('SELECT key, value, create_rev, mod_rev FROM kv WHERE key = ?'),
      meta: db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE name = ?'),
      listLatest: db.prepare<[string, string, string, number], RowKv>(
        'SELECT key, value, create_rev, mod_rev FROM kv WHERE key >= ? AND key < ? AND key > ? ORDER BY key LIMIT ?',
      ),
      // The newest row of each key at or before a revision, unless that row is a tombstone.
      listAt: db.prepare<[string, string, string, number, number, number], RowKv>(
        `SELECT l.key, l.value, l.create_rev, l.rev AS mod_rev FROM log l
         WHERE l.key >= ? AND l.key < ? AND l.key > ? AND l.rev <= ? AND l.deleted = 0
           AND NOT EXISTS (SELECT 1 FROM log n WHERE n.key = l.key AND n.rev > l.rev AND n.rev <= ?)
         ORDER BY l.key LIMIT ?`,
      ),
      count: db.prepare<[string, string], { n: number }>(
        'SELECT COUNT(*) AS n FROM kv WHERE key >= ? AND key < ?',
      ),
      replay: db.prepare<[number, number, string, string, number], RowLog>(
        `SELECT l.id, l.rev, l.key, l.deleted, l.create_rev, l.prev_rev, l.value,
                p.value AS prev_value, p.create_rev AS prev_create
         FROM log l LEFT JOIN log p ON p.key = l.key AND p.rev = l.prev_rev
         WHERE l.id > ? AND l.id <= ? AND l.key >= ? AND l.key < ?
         ORDER BY l.id LIMIT ?`,
      ),
    };
    const history: HistorySource = {
      checkRetained: async (after) => this.checkRetained(after),
      replay: (prefix, after, upTo) => this.replay(prefix, after, upTo),
    };
    this.hub = new WatchHub(startRevision, history);
    worker.on('message', (msg: WriterReply) => this.onReply(msg));
    worker.on('error', (err) =>
      this.fail(new StoreError('Unavailable', `store writer failed: ${err.message}`)),
    );
    worker.on('exit', (code) => {
      if (!this.closed) this.fail(new StoreError('Unavailable', `store writer exited with code ${code}`));
    });
  }

  // ---- reads -------------------------------------------------------------------------------

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    checkKey(key);
    const cached = this.latest.get(key);
    if (cached) return cached;
    const row = this.q.get.get(key);
    if (!row) return undefined;
    // Possibly from a batch committed but not yet answered: its own `apply` follows, in order.
    const kv = toKv(row);
    this.latest.remember(kv);
    return kv;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    const plan = listPlan(prefix, options);
    const end = prefixEnd(prefix) || KEY_MAX;
    return this.reader.transaction(() => {
      const current = this.metaValue('rev');
      const revision = plan.revision || current;
      this.checkReadable(revision, current);
      const fetch = plan.limit > 0 ? plan.limit + 1 : -1;
      const rows =
        revision >= current
          ? this.q.listLatest.all(prefix, end, plan.after ?? '', fetch)
          : this.q.listAt.all(prefix, end, plan.after ?? '', revision, revision, fetch);
      const more = plan.limit > 0 && rows.length > plan.limit;
      if (more) rows.length = plan.limit;
      const items = rows.map(toKv);
      const result: ListResult = { items, revision };
      const last = items[items.length - 1];
      if (more && last) result.continue = encodeContinue({ rev: revision, key: last.key, prefix });
      return result;
    })();
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    return this.q.count.get(prefix, prefixEnd(prefix) || KEY_MAX)?.n ?? 0;
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.metaValue('rev');
  }

  async compactedRevision(): Promise<number> {
    this.checkOpen();
    return this.metaValue('compact');
  }

  private metaValue(name: string): number {
    return this.q.meta.get(name)?.value ?? 0;
  }

  private checkReadable(revision: number, current: number): void {
    const compacted = this.metaValue('compact');
    if (revision < compacted) {
      throw new StoreError(
        'Expired',
        `revision ${revision} has been compacted (oldest available is ${compacted})`,
      );
    }
    if (revision > current) {
      throw new StoreError('InvalidArgument', `revision ${revision} is in the future (newest is ${current})`);
    }
  }

  // ---- writes ------------------------------------------------------------------------------

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

  txn(ops: TxnOp[]): Promise<TxnResult> {
    try {
      this.checkOpen();
      checkTxn(ops);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ ops, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.inFlight) return;
    this.flushScheduled = true;
    // Let everything that arrives in this turn of the event loop join the batch.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.inFlight || this.queue.length === 0 || this.broken) return;
    const batch = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
    this.queue = batch === this.queue ? [] : this.queue.slice(this.maxBatch);
    this.inFlight = batch;
    this.post({ type: 'batch', id: 0, txns: batch.map((p) => p.ops) });
  }

  private onReply(msg: WriterReply): void {
    switch (msg.type) {
      case 'batch':
        this.onBatch(msg.outcomes);
        return;
      case 'failed': {
        if (msg.id === 0) {
          const batch = this.inFlight ?? [];
          this.inFlight = undefined;
          const err = new StoreError('Unavailable', `store write failed: ${msg.message}`);
          for (const p of batch) p.reject(err);
          this.flush();
          return;
        }
        const call = this.calls.get(msg.id);
        this.calls.delete(msg.id);
        call?.reject(new StoreError('InvalidArgument', msg.message));
        return;
      }
      case 'done': {
        const call = this.calls.get(msg.id);
        this.calls.delete(msg.id);
        call?.resolve();
        return;
      }
      case 'log':
        process.emitWarning(msg.message, 'ShoalStoreWarning');
        return;
      case 'ready':
        return;
    }
  }

  private onBatch(outcomes: TxnOutcome[]): void {
    const batch = this.inFlight ?? [];
    this.inFlight = undefined;
    const events: WatchEvent[] = [];
    for (const [i, o] of outcomes.entries()) {
      const p = batch[i]!;
      if (o.ok) {
        for (const e of o.events) events.push(e);
        p.resolve({ revision: o.revision, results: o.results });
      } else {
        p.reject(new StoreError(o.code, o.message, o.key));
      }
    }
    // In the same synchronous step: no writer can act on its answer before the events are
    // queued for every watcher and the cache holds them. Writers are answered first (their
    // continuations run after this step) so their next requests go out first.
    this.latest.apply(events);
    this.hub.publish(events);
    this.flush();
  }

  private post(req: WriterRequest): void {
    this.worker.postMessage(req);
  }

  private call(req: { type: 'compact'; revision: number } | { type: 'close' }): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.post({ ...req, id } as WriterRequest);
    });
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    checkRevision('revision', revision);
    const current = this.metaValue('rev');
    if (revision > current) {
      throw new StoreError('InvalidArgument', `cannot compact to revision ${revision}: newest is ${current}`);
    }
    await this.call({ type: 'compact', revision });
  }

  // ---- watch -------------------------------------------------------------------------------

  watch(prefix: string, afterRevision: number, options: WatchOptions = {}): Watch {
    return this.hub.watch(prefix, afterRevision, options);
  }

  private checkRetained(after: number): void {
    const compacted = this.metaValue('compact');
    if (after < compacted) {
      throw new StoreError(
        'Expired',
        `revision ${after} has been compacted (oldest available is ${compacted}); list again and watch from there`,
      );
    }
  }

  private async *replay(prefix: string, after: number, upTo: number): AsyncGenerator<WatchEvent[]> {
    const end = prefixEnd(prefix) || KEY_MAX;
    let cursor = lastIdOf(after);
    const lastId = lastIdOf(upTo);
    const readChunk = this.reader.transaction(() => {
      // Compaction may have started since the watch began: never hand out a history with holes.
      this.checkRetained(after);
      return this.q.replay.all(cursor, lastId, prefix, end, REPLAY_CHUNK);
    });
    for (;;) {
      this.checkOpen();
      const rows = readChunk();
      if (rows.length === 0) return;
      const full = rows.length === REPLAY_CHUNK;
      // Keep each revision whole: hold back a trailing revision that may continue in the next chunk.
      let take = rows.length;
      if (full) {
        const lastRev = rows[rows.length - 1]!.rev;
        while (take > 0 && rows[take - 1]!.rev === lastRev) take -= 1;
        if (take === 0) take = rows.length; // a single revision larger than a chunk cannot happen (≤ 128 ops)
      }
      const events = rows.slice(0, take).map(toEvent);
      cursor = rows[take - 1]!.id;
      if (!full) cursor = lastId;
      yield events;
      if (!full) return;
      // Let writes and other watchers run between chunks of a long replay.
      await new Promise((r) => setImmediate(r));
    }
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  private checkOpen(): void {
    if (this.broken) throw this.broken;
    if (this.closed) throw new StoreError('Closed', 'store is closed');
  }

  private fail(err: StoreError): void {
    if (this.broken) return;
    this.broken = err;
    const pending = [...(this.inFlight ?? []), ...this.queue];
    this.inFlight = undefined;
    this.queue = [];
    for (const p of pending) p.reject(err);
    for (const call of this.calls.values()) call.reject(err);
    this.calls.clear();
    this.latest.clear();
    this.hub.failAll(err);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let queued writes finish: they may already be acknowledged to nobody yet, but they are accepted.
    while ((this.inFlight || this.queue.length > 0) && !this.broken) {
      await new Promise((r) => setTimeout(r, 1));
    }
    this.closed = true;
    this.hub.close();
    if (!this.broken) await this.call({ type: 'close' }).catch(() => undefined);
    this.reader.close();
    await this.worker.terminate();
  }
}

function toKv(row: RowKv): KeyValue {
  return { key: row.key, value: row.value, createRevision: row.create_rev, modRevision: row.mod_rev };
}

function toEvent(row: RowLog): WatchEvent {
  const prev: KeyValue | undefined =
    row.prev_rev > 0 && row.prev_value !== null
      ? {
          key: row.key,
          value: row.prev_value,
          createRevision: row.prev_create ?? row.create_rev,
          modRevision: row.prev_rev,
        }
      : undefined;
  if (row.deleted) {
    return { type: 'delete', key: row.key, revision: row.rev, prev: prev! };
  }
  const kv: KeyValue = {
    key: row.key,
    value: row.value ?? '',
    createRevision: row.create_rev,
    modRevision: row.rev,
  };
  return prev ? { type: 'put', kv, prev } : { type: 'put', kv };
}
