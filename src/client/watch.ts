/**
 * Watch streams as the API server sends them: one JSON event per line,
 * `{"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{...}}`.
 *
 * `decodeWatchStream` turns the bytes into an async iterable of events. BOOKMARK events are
 * passed on (their object carries only `metadata.resourceVersion`, to resume from). An ERROR
 * event ends the stream by throwing: `GoneError` when the server says the requested
 * resourceVersion is too old (410: list again, then watch from the new list), `ApiError` for
 * anything else. An aborted signal ends the iteration quietly.
 *
 * `Client.watch` (rest.ts) opens the request and hands the response to this decoder.
 */
import { StringDecoder } from 'node:string_decoder';
import { ApiError, hasCode, type Status } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent<T = KubeObject> {
  type: WatchEventType;
  /** For BOOKMARK, only `apiVersion`, `kind` and `metadata.resourceVersion` are meaningful. */
  object: T;
}

/** The server no longer has the history asked for (HTTP 410, reason Gone or Expired): relist. */
export class GoneError extends ApiError {
  constructor(status: Status) {
    super(status);
    this.name = 'GoneError';
  }
}

export function isGone(err: unknown): boolean {
  return hasCode(err, 410);
}

/** An ApiError for a Status, as a GoneError when it is a 410. */
export function errorFromStatus(status: Status): ApiError {
  return status.code === 410 ? new GoneError(status) : new ApiError(status);
}

const EVENT_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/** A watch stream that broke mid-way (the connection, not the server's answer). */
export class WatchStreamError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WatchStreamError';
  }
}

/**
 * Decode newline-delimited watch events from `source`. Failures reading the source are thrown
 * as `WatchStreamError` (naming `server`), unless `signal` was aborted: then iteration just ends.
 */
export async function* decodeWatchStream<T = KubeObject>(
  source: AsyncIterable<Buffer | string>,
  options: { server?: string; signal?: AbortSignal } = {},
): AsyncGenerator<WatchEvent<T>, void, undefined> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  const iterator = source[Symbol.asyncIterator]();
  for (;;) {
    let chunk: IteratorResult<Buffer | string>;
    try {
      chunk = await iterator.next();
    } catch (err) {
      if (options.signal?.aborted) return;
      throw new WatchStreamError(
        `watch stream from ${options.server ?? 'the server'} broke: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (chunk.done) break;
    const text = pending + (typeof chunk.value === 'string' ? chunk.value : decoder.write(chunk.value));
    let start = 0;
    let nl = text.indexOf('\n', start);
    while (nl >= 0) {
      const line = text.slice(start, nl);
      start = nl + 1;
      if (line.trim() !== '') yield parseEvent<T>(line);
      nl = text.indexOf('\n', start);
    }
    pending = text.slice(start);
  }
  if (options.signal?.aborted) return;
  const rest = pending + decoder.end();
  if (rest.trim() !== '') yield parseEvent<T>(rest);
}

/** One line of a watch stream. ERROR events are thrown. */
function parseEvent<T = KubeObject>(line: string): WatchEvent<T> {
  let event: { type?: unknown; object?: unknown };
  try {
    event = JSON.parse(line);
  } catch (err) {
    throw new WatchStreamError(`malformed watch event (${(err as Error).message}): ${line.slice(0, 200)}`);
  }
  const type = event?.type;
  if (typeof type !== 'string' || !EVENT_TYPES.has(type) || typeof event.object !== 'object') {
    throw new WatchStreamError(`malformed watch event: ${line.slice(0, 200)}`);
  }
  if (type === 'ERROR') {
    const obj = (event.object ?? {}) as Partial<Status>;
    const status: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: obj.message ?? 'watch failed',
      reason: obj.reason ?? '',
      code: typeof obj.code === 'number' ? obj.code : 500,
      ...(obj.details ? { details: obj.details } : {}),
    };
    throw errorFromStatus(status);
  }
  return { type: type as WatchEventType, object: event.object as T };
}
