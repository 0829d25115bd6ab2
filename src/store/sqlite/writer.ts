/**
 * The single writer of a SQLite store. It runs in a worker thread (writer-worker.ts) so that
 * fsync never blocks the server's event loop, and it commits many transactions at once (group
 * commit): one fsync acknowledges a whole batch.
 *
 * Each transaction in a batch is checked and applied in order, so later ones see earlier ones;
 * a transaction whose preconditions fail writes nothing and takes no revision, without
 * affecting the rest of the batch.
 */
import type Database from 'better-sqlite3';
import { preconditionError, preconditionHolds } from '../keys.js';
import type { KeyValue, StoreErrorCode, TxnOp, WatchEvent } from '../store.js';
import { firstIdOf, lastIdOf } from './schema.js';

export type TxnOutcome =
  | { ok: true; revision: number; results: (KeyValue | undefined)[]; events: WatchEvent[] }
  | { ok: false; code: StoreErrorCode; message: string; key?: string };

interface KvRow {
  value: string;
  create_rev: number;
  mod_rev: number;
}

interface LogRow {
  id: number;
  rev: number;
  key: string;
  deleted: number;
  prev_rev: number;
}

const SWEEP_CHUNK = 2000;

export class Writer {
  private revision: number;
  private compacted: number;
  private readonly stmt;
  private readonly applyAll: (txns: TxnOp[][]) => TxnOutcome[];

  constructor(private readonly db: Database.Database) {
    this.stmt = {
      getKv: db.prepare<[string], KvRow>('SELECT value, create_rev, mod_rev FROM kv WHERE key = ?'),
      putKv: db.prepare(
        `INSERT INTO kv(key, value, create_rev, mod_rev) VALUES (?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, create_rev = excluded.create_rev, mod_rev = excluded.mod_rev`,
      ),
      deleteKv: db.prepare('DELETE FROM kv WHERE key = ?'),
      insertLog: db.prepare(
        'INSERT INTO log(id, rev, key, deleted, create_rev, prev_rev, value) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      setMeta: db.prepare('UPDATE meta SET value = ? WHERE name = ?'),
      getMeta: db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE name = ?'),
      sweepScan: db.prepare<[number, number, number], LogRow>(
        'SELECT id, rev, key, deleted, prev_rev FROM log WHERE id > ? AND id <= ? ORDER BY id LIMIT ?',
      ),
      deleteLogAt: db.prepare('DELETE FROM log WHERE key = ? AND rev = ?'),
      deleteLogId: db.prepare('DELETE FROM log WHERE id = ?'),
    };
    this.revision = this.meta('rev');
    this.compacted = this.meta('compact');
    this.applyAll = db.transaction((txns: TxnOp[][]) => {
      const outcomes = txns.map((ops) => this.applyOne(ops));
      this.stmt.setMeta.run(this.revision, 'rev');
      return outcomes;
    });
  }

  get currentRevision(): number {
    return this.revision;
  }

  private meta(name: string): number {
    return this.stmt.getMeta.get(name)?.value ?? 0;
  }

  /** Apply and commit a batch of transactions; one outcome per transaction. */
  applyBatch(txns: TxnOp[][]): TxnOutcome[] {
    const startRevision = this.revision;
    try {
      return this.applyAll(txns);
    } catch (err) {
      // The SQLite transaction rolled back: nothing of this batch exists, so neither do its revisions.
      this.revision = startRevision;
      throw err;
    }
  }

  private applyOne(ops: TxnOp[]): TxnOutcome {
    const current = ops.map((op) => this.stmt.getKv.get(op.key));
    for (const [i, op] of ops.entries()) {
      const row = current[i];
      if (!preconditionHolds(op, row?.mod_rev ?? 0)) {
        const err = preconditionError(op, row?.mod_rev ?? 0);
        return { ok: false, code: err.code, message: err.message, key: op.key };
      }
    }
    const writes = ops.some((op) => op.op !== 'check');
    const revision = writes ? this.revision + 1 : this.revision;
    const results: (KeyValue | undefined)[] = [];
    const events: WatchEvent[] = [];
    let position = 0;
    for (const [i, op] of ops.entries()) {
      const row = current[i];
      const prev: KeyValue | undefined = row && {
        key: op.key,
        value: row.value,
        createRevision: row.create_rev,
        modRevision: row.mod_rev,
      };
      const id = firstIdOf(revision) + position;
      switch (op.op) {
        case 'check':
          results.push(prev);
          continue;
        case 'create':
        case 'update': {
          const createRevision = prev ? prev.createRevision : revision;
          this.stmt.putKv.run(op.key, op.value, createRevision, revision);
          this.stmt.insertLog.run(id, revision, op.key, 0, createRevision, prev?.modRevision ?? 0, op.value);
          const kv: KeyValue = { key: op.key, value: op.value, createRevision, modRevision: revision };
          results.push(kv);
          events.push(prev ? { type: 'put', kv, prev } : { type: 'put', kv });
          break;
        }
        case 'delete': {
          // preconditionHolds guarantees the key exists.
          const removed = prev!;
          this.stmt.deleteKv.run(op.key);
          this.stmt.insertLog.run(id, revision, op.key, 1, removed.createRevision, removed.modRevision, null);
          results.push(removed);
          events.push({ type: 'delete', key: op.key, revision, prev: removed });
          break;
        }
      }
      position += 1;
    }
    this.revision = revision;
    return { ok: true, revision, results, events };
  }

  /**
   * Mark history before `revision` as gone. Returns false when there is nothing to do (already
   * compacted at least that far). The physical sweep follows in `sweep` steps.
   */
  compact(revision: number): boolean {
    if (revision <= this.compacted) return false;
    if (revision > this.revision) {
      throw new RangeError(`cannot compact to ${revision}: the newest revision is ${this.revision}`);
    }
    this.stmt.setMeta.run(revision, 'compact');
    this.compacted = revision;
    return true;
  }

  /**
   * Physically remove up to one chunk of history made unreachable by compaction. Returns true
   * while more remains. Each step is its own short transaction so writes interleave.
   */
  sweep(): boolean {
    return this.db.transaction(() => {
      const from = this.meta('swept_id');
      const to = lastIdOf(this.compacted);
      if (from >= to) return false;
      const rows = this.stmt.sweepScan.all(from, to, SWEEP_CHUNK);
      for (const row of rows) {
        // The row's predecessor is superseded at or before the compaction revision.
        if (row.prev_rev > 0) this.stmt.deleteLogAt.run(row.key, row.prev_rev);
        // A tombstone at or before it means the key is simply absent from then on.
        if (row.deleted) this.stmt.deleteLogId.run(row.id);
      }
      const last = rows[rows.length - 1];
      const done = rows.length < SWEEP_CHUNK || !last;
      this.stmt.setMeta.run(done ? to : last.id, 'swept_id');
      return !done;
    })();
  }
}
