/**
 * Translation between the store's string keys and etcd's byte keys under the store's key prefix,
 * and between etcd's protobuf records and the store's `KeyValue`/`WatchEvent`.
 *
 * etcd orders keys by their bytes; ranges are therefore computed on the UTF-8 encoding of the full
 * key (store prefix + key), never on UTF-16 strings.
 */
import type { IEvent, IKeyValue } from 'etcd3';
import type { KeyValue, WatchEvent } from '../store.js';

/** `[0x00]` as a range end means "no upper bound" to etcd. */
const NO_END = Buffer.from([0]);

export interface ByteRange {
  key: Buffer;
  range_end: Buffer;
}

/** The smallest byte string greater than every byte string starting with `prefix` (`NO_END` if none). */
function bytesPrefixEnd(prefix: Buffer): Buffer {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i]! < 0xff) {
      const end = Buffer.from(prefix.subarray(0, i + 1));
      end[i] = prefix[i]! + 1;
      return end;
    }
  }
  return NO_END;
}

/** Maps store keys to etcd keys under a fixed prefix, and back. */
export class KeyCodec {
  private readonly prefixBytes: Buffer;

  constructor(readonly prefix: string) {
    this.prefixBytes = Buffer.from(prefix, 'utf8');
  }

  encode(key: string): Buffer {
    return Buffer.from(this.prefix + key, 'utf8');
  }

  decode(key: Buffer): string {
    return key.subarray(this.prefixBytes.length).toString('utf8');
  }

  /** The etcd range holding every store key that starts with `prefix` ('' = the whole store). */
  range(prefix: string): ByteRange {
    const start = this.encode(prefix);
    // etcd rejects an empty key; '\0' is the smallest non-empty key, and with range_end '\0' the
    // range is "every key".
    if (start.length === 0) return { key: NO_END, range_end: NO_END };
    return { key: start, range_end: bytesPrefixEnd(start) };
  }

  /** The range of store keys under `prefix` that sort strictly after `after`. */
  rangeAfter(prefix: string, after: string): ByteRange {
    const { range_end } = this.range(prefix);
    return { key: Buffer.concat([this.encode(after), NO_END]), range_end };
  }

  /** A single key that is cheap to read (for requests made only for their response header). */
  probeKey(): Buffer {
    return this.prefixBytes.length > 0 ? this.prefixBytes : NO_END;
  }

  toKeyValue(kv: IKeyValue): KeyValue {
    return {
      key: this.decode(kv.key),
      value: kv.value.toString('utf8'),
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
    };
  }

  /**
   * Translate the events of one watch response. Returns undefined when an event lacks the previous
   * state etcd should have sent with it: that only happens when the watch started at the compaction
   * revision itself, and a delete without its removed state cannot be reported.
   */
  toWatchEvents(events: IEvent[]): WatchEvent[] | undefined {
    const out: WatchEvent[] = [];
    for (const ev of events) {
      const hasPrev = ev.prev_kv !== null && ev.prev_kv !== undefined && ev.prev_kv.key.length > 0;
      if (ev.type === 'Delete') {
        if (!hasPrev) return undefined;
        out.push({
          type: 'delete',
          key: this.decode(ev.kv.key),
          revision: Number(ev.kv.mod_revision),
          prev: this.toKeyValue(ev.prev_kv),
        });
      } else if (hasPrev) {
        out.push({ type: 'put', kv: this.toKeyValue(ev.kv), prev: this.toKeyValue(ev.prev_kv) });
      } else {
        // A put of an existing key (version > 1) must come with its previous state.
        if (ev.kv.version !== '1') return undefined;
        out.push({ type: 'put', kv: this.toKeyValue(ev.kv) });
      }
    }
    return out;
  }
}
