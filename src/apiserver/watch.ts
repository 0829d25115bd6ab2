/**
 * Watch over HTTP, as Kubernetes streams it: one JSON object per line
 * (`{"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{...}}`), label and field selectors
 * applied to both the old and the new state so an object moving out of a selector shows up as
 * DELETED, periodic bookmarks, and `410 Gone` as an ERROR event when history is compacted.
 *
 * Store events are shared by every watcher of a prefix, so their decoded objects and serialized
 * lines are computed once per event, not once per watcher, and a watch without selectors never
 * parses an object: it sends the stored text. The events of one store batch go out in one write.
 */
import type { ServerResponse } from 'node:http';
import { errors, type Status } from '../api/errors.js';
import type { FieldRequirement } from '../api/fields.js';
import type { Requirement } from '../api/labels.js';
import type { KubeObject } from '../api/object.js';
import { apiVersionOf, type ResourceDef } from '../api/resources.js';
import { eventRevision, isStoreError, type Store, type WatchEvent } from '../store/store.js';
import { errorMessage } from '../util/error-message.js';
import { waitForDrain } from './large-body.js';
import { collectionPrefix } from './registry/keys.js';
import { decodeObject, objectJson, type ResourceStorage } from './registry/resource-storage.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchRequest {
  def: ResourceDef;
  namespace: string | undefined;
  labels?: Requirement[];
  fields?: FieldRequirement[];
  resourceVersion?: string;
  allowBookmarks: boolean;
  timeoutSeconds?: number;
  /** Render an object for the wire (plain JSON, or a one-row Table). */
  render?: (obj: KubeObject) => unknown;
}

export interface WatchSettings {
  bookmarkIntervalMs: number;
  /** Server-side limit for watches that set no timeout (randomised up to twice this, as Kubernetes does). */
  defaultTimeoutSeconds: number;
}

interface Decoded {
  obj?: KubeObject;
  prev?: KubeObject;
}

const decodedEvents = new WeakMap<WatchEvent, Decoded>();
const eventJson = new WeakMap<WatchEvent, string>();

/** The event's objects, parsed once however many watchers select on them or render them. */
function decodeEvent(e: WatchEvent): Decoded {
  let d = decodedEvents.get(e);
  if (!d) {
    d = {};
    if (e.type === 'put') {
      d.obj = decodeObject(e.kv);
      if (e.prev) d.prev = decodeObject(e.prev);
    } else {
      d.prev = decodeObject(e.prev);
      // A deleted object is reported at the revision of its deletion.
      d.obj = { ...d.prev, metadata: { ...d.prev.metadata, resourceVersion: String(e.revision) } };
    }
    decodedEvents.set(e, d);
  }
  return d;
}

/**
 * The event's object as JSON, from the stored text with its resourceVersion spliced in (as GET and
 * LIST serve it), once per event: a watch without selectors never parses the object at all.
 */
function encodeEvent(e: WatchEvent): string {
  let json = eventJson.get(e);
  if (json === undefined) {
    json = objectJson(e.type === 'put' ? e.kv : { ...e.prev, modRevision: e.revision });
    eventJson.set(e, json);
  }
  return json;
}

function eventLine(type: WatchEventType, objectJson: string): string {
  return `{"type":"${type}","object":${objectJson}}\n`;
}

/** What an event is to one watcher: selected before (prev) and now (obj), or not. */
function eventType(e: WatchEvent, before: boolean, now: boolean): WatchEventType | undefined {
  if (e.type === 'delete') return before ? 'DELETED' : undefined;
  if (now) return before ? 'MODIFIED' : 'ADDED';
  return before ? 'DELETED' : undefined;
}

export class WatchServer {
  constructor(
    private readonly store: Store,
    private readonly storage: ResourceStorage,
    private readonly settings: WatchSettings = { bookmarkIntervalMs: 60_000, defaultTimeoutSeconds: 1800 },
  ) {}

  async serve(req: WatchRequest, res: ServerResponse): Promise<void> {
    const { def, namespace } = req;
    const selecting = (req.labels?.length ?? 0) > 0 || (req.fields?.length ?? 0) > 0;
    const selects = (obj: KubeObject | undefined) =>
      obj !== undefined &&
      (!selecting || this.storage.selects(obj, { labels: req.labels, fields: req.fields }));
    const render = req.render;

    // Where to start: a given revision streams what came after it; none (or "0") starts with the
    // current state as ADDED events.
    const rv = req.resourceVersion;
    if (rv !== undefined && rv !== '' && !/^\d+$/.test(rv))
      throw errors.badRequest(`invalid resourceVersion: "${rv}"`);
    let start = rv === undefined || rv === '' ? 0 : Number(rv);
    const initial: KubeObject[] = [];
    if (start === 0) {
      const list = await this.storage.list(def, namespace, { labels: req.labels, fields: req.fields });
      initial.push(...list.items);
      start = Number(list.metadata.resourceVersion);
    } else if (start > (await this.store.currentRevision())) {
      throw errors.timeout(
        `Too large resource version: ${start}, current: ${await this.store.currentRevision()}`,
      );
    }

    const abort = new AbortController();
    const timeoutSeconds =
      req.timeoutSeconds && req.timeoutSeconds > 0
        ? req.timeoutSeconds
        : this.settings.defaultTimeoutSeconds * (1 + Math.random());
    const timer = setTimeout(() => abort.abort(), timeoutSeconds * 1000);
    res.on('close', () => abort.abort());

    res.writeHead(200, {
      'content-type': 'application/json',
      'cache-control': 'no-cache, private',
      'transfer-encoding': 'chunked',
    });
    res.flushHeaders();

    let lastRevision = start;
    const write = (line: string) => res.write(line);
    const objectText = (obj: KubeObject) => JSON.stringify(render ? render(obj) : obj);
    for (const obj of initial) write(eventLine('ADDED', objectText(obj)));

    let bookmarkTimer: NodeJS.Timeout | undefined;
    if (req.allowBookmarks) {
      bookmarkTimer = setInterval(() => {
        const bookmark = {
          kind: def.kind,
          apiVersion: apiVersionOf(def),
          metadata: { resourceVersion: String(lastRevision) },
        };
        write(eventLine('BOOKMARK', JSON.stringify(bookmark)));
      }, this.settings.bookmarkIntervalMs);
    }

    const watch = this.store.watch(collectionPrefix(def, namespace), start, { signal: abort.signal });
    try {
      for await (const batch of watch) {
        // The whole batch (a group commit holds many events) is one write, one chunk: a chunk per
        // event cost the socket a buffer per event and was the largest part of a watch's cost.
        let lines = '';
        for (const e of batch) {
          let type: WatchEventType | undefined;
          if (selecting) {
            const d = decodeEvent(e);
            type = eventType(e, selects(d.prev), e.type === 'put' && selects(d.obj));
          } else type = eventType(e, e.prev !== undefined, true);
          if (!type) continue;
          lines += eventLine(type, render ? objectText(decodeEvent(e).obj!) : encodeEvent(e));
        }
        lastRevision = eventRevision(batch[batch.length - 1]!);
        if (lines !== '' && !write(lines)) await waitForDrain(res, abort.signal);
      }
    } catch (err) {
      if (isStoreError(err, 'Expired')) {
        const status: Status = errors.gone(
          `too old resource version: ${start} (${await this.store.compactedRevision().catch(() => 0)})`,
        ).status;
        status.reason = 'Expired';
        write(eventLine('ERROR', JSON.stringify(status)));
      } else if (!isStoreError(err, 'WatcherTooSlow') && !isStoreError(err, 'Closed')) {
        const status = errors.internal(errorMessage(err)).status;
        write(eventLine('ERROR', JSON.stringify(status)));
      }
    } finally {
      clearTimeout(timer);
      if (bookmarkTimer) clearInterval(bookmarkTimer);
      watch.close();
      if (!res.writableEnded) res.end();
    }
  }
}
