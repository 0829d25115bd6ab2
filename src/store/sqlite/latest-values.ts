/**
 * The newest value of recently used keys, kept in memory in front of the SQLite reader.
 *
 * Why: the reader connection's page cache is of little use while the writer commits. SQLite
 * drops a WAL reader's whole cache whenever another connection has written since its last read,
 * which under load is every batch. So each point read walks the B-tree through the OS again.
 * Updates read the object they change, usually one written moments before (a pod is created,
 * bound, then reported Running within seconds), and every create in a namespace reads the
 * namespace.
 *
 * Exact, not a guess: the store is the file's only writer, and every committed change passes
 * through `apply` in commit order, so an entry is never older than the last batch this thread
 * has published. Bounded by the characters of the values it holds; the least recently used go
 * first.
 */
import type { KeyValue, WatchEvent } from '../store.js';

export class LatestValues {
  /** Insertion order is recency order: a hit moves its key to the end. */
  private readonly entries = new Map<string, KeyValue>();
  private size = 0;

  constructor(private readonly maxChars: number) {}

  get(key: string): KeyValue | undefined {
    const kv = this.entries.get(key);
    if (kv) {
      this.entries.delete(key);
      this.entries.set(key, kv);
    }
    return kv;
  }

  /** Remember `kv`, read from the store or just written, as the newest value of its key. */
  remember(kv: KeyValue): void {
    this.forget(kv.key);
    if (kv.value.length > this.maxChars) return;
    this.entries.set(kv.key, kv);
    this.size += kv.value.length;
    for (const key of this.entries.keys()) {
      if (this.size <= this.maxChars) break;
      this.forget(key);
    }
  }

  forget(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.size -= old.value.length;
  }

  /** Follow committed changes, in commit order. */
  apply(events: readonly WatchEvent[]): void {
    for (const e of events) {
      if (e.type === 'put') this.remember(e.kv);
      else this.forget(e.key);
    }
  }

  clear(): void {
    this.entries.clear();
    this.size = 0;
  }

  /** Characters of the values held (for tests). */
  get chars(): number {
    return this.size;
  }

  get count(): number {
    return this.entries.size;
  }
}
