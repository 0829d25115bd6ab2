/**
 * The SQLite layout of the store.
 *
 * - `kv` holds the newest state of every live key: what `get` and `list` read.
 * - `log` holds every retained revision of every key, tombstones included: what watch replays
 *   and historical reads use. A row's id is `rev * 1024 + position in its transaction`, so the
 *   primary key orders the log by revision and a range of revisions is a range of ids, with no
 *   extra index. (A transaction holds at most 128 operations.)
 * - `meta` holds the newest revision, the compaction revision, and how far compaction has swept.
 *
 * Compaction at C logically forgets every revision below C at once (`meta.compact`), then
 * sweeps: for each log row up to C it deletes the row it superseded, and the row itself when it
 * is a tombstone. What stays is, per key, the newest state at or before C plus everything after.
 */
import type Database from 'better-sqlite3';

const ROWS_PER_REVISION = 1024;

export function firstIdOf(revision: number): number {
  return revision * ROWS_PER_REVISION;
}

export function lastIdOf(revision: number): number {
  return revision * ROWS_PER_REVISION + ROWS_PER_REVISION - 1;
}

/** Upper bound for key ranges with no end: the largest code point, above any valid key. */
export const KEY_MAX = '\u{10FFFF}';

export function migrate(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS kv (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL,
      create_rev INTEGER NOT NULL,
      mod_rev INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS log (
      id INTEGER PRIMARY KEY,
      rev INTEGER NOT NULL,
      key TEXT NOT NULL,
      deleted INTEGER NOT NULL,
      create_rev INTEGER NOT NULL,
      prev_rev INTEGER NOT NULL,
      value TEXT
    );
    CREATE UNIQUE INDEX IF NOT EXISTS log_key_rev ON log(key, rev);
    CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT OR IGNORE INTO meta(name, value) VALUES ('rev', 0), ('compact', 0), ('swept_id', 0);
  `);
}

/** Connection settings: WAL for concurrent readers, FULL sync so an acknowledged commit survives power loss. */
export function configure(db: Database.Database, role: 'writer' | 'reader'): void {
  db.pragma('busy_timeout = 5000');
  if (role === 'writer') {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('wal_autocheckpoint = 4000');
  }
  db.pragma('cache_size = -65536');
}
