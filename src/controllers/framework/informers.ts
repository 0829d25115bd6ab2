/**
 * Shared informers: one list + watch cache per resource for every controller in the process.
 * The ReplicaSet, DaemonSet, StatefulSet and Job controllers, the node-lifecycle controller and
 * the garbage collector all read pods; they share one pod cache and one watch, as client-go's
 * SharedInformerFactory does, instead of six.
 *
 * Controllers ask for their informers in their constructors (`informers.for(def)`) and register
 * handlers there; the manager then runs them all (`run`) and waits for every cache to fill
 * (`waitForSync`) before any controller reconciles, so no controller acts on a half-filled cache
 * (a ReplicaSet that sees none of its pods yet would create them all again).
 */
import { setMaxListeners } from 'node:events';
import type { KubeObject } from '../../api/object.js';
import { apiVersionOf, type ResourceDef } from '../../api/resources.js';
import { Informer, withoutManagedFields } from '../../client/informer.js';
import type { Client } from '../../client/rest.js';
import type { Clock } from '../../util/clock.js';

export interface SharedInformersOptions {
  clock?: Clock;
  log?: (line: string) => void;
}

/** Only what identifies an object and its metadata (client-go's metadata informers). */
function metadataOnly<T extends KubeObject>(obj: T): T {
  return { apiVersion: obj.apiVersion, kind: obj.kind, metadata: withoutManagedFields(obj).metadata } as T;
}

export interface InformerRequest {
  /**
   * The reader needs only metadata (the garbage collector reads owner references and
   * finalizers of every kind). The cache keeps whole objects as soon as one reader of the kind
   * wants them, so sharing never hides a spec from anyone.
   */
  metadataOnly?: boolean;
}

export class SharedInformers {
  private readonly informers = new Map<string, Informer>();
  /** Kinds some reader wants whole. */
  private readonly whole = new Set<string>();
  private running: Promise<void>[] | undefined;

  constructor(
    private readonly client: Client,
    private readonly options: SharedInformersOptions = {},
  ) {}

  /** The one informer for `def` (all namespaces), created on first request. */
  for<T extends KubeObject = KubeObject>(def: ResourceDef, request: InformerRequest = {}): Informer<T> {
    const key = `${apiVersionOf(def)}/${def.resource}`;
    let informer = this.informers.get(key);
    if (this.running && (!informer || (!request.metadataOnly && !this.whole.has(key)))) {
      throw new Error(`informer for ${def.resource} requested after the informers started`);
    }
    if (!request.metadataOnly) this.whole.add(key);
    if (!informer) {
      informer = new Informer(this.client, def, {
        // Decided per object, not now: a later reader may still ask for whole objects before run().
        transform: (obj) => (this.whole.has(key) ? withoutManagedFields(obj) : metadataOnly(obj)),
        ...(this.options.clock ? { clock: this.options.clock } : {}),
        onError: (err) => this.options.log?.(`${def.resource} informer: ${String(err)}`),
      });
      this.informers.set(key, informer);
    }
    return informer as unknown as Informer<T>;
  }

  /** Start every informer requested so far; resolves when they have all stopped. */
  run(signal: AbortSignal): Promise<void> {
    // Each informer's watch and backoff sleeps listen on `signal`: with one informer per kind (the
    // garbage collector watches them all) that exceeds Node's leak warning threshold of 10.
    setMaxListeners(0, signal);
    this.running = [...this.informers.values()].map((i) => i.run(signal));
    return Promise.all(this.running).then(() => undefined);
  }

  /** True once every informer has listed; false when `signal` aborted first. */
  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    const synced = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
    return synced.every(Boolean);
  }
}
