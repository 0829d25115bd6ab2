/**
 * The read side the network parts (cluster DNS, service proxy, ingress) need of the API objects
 * they follow: a synced cache with change notifications. `Informer` (src/client/informer.ts)
 * satisfies it as it is; tests drive the parts with `MapCache` instead of an API server.
 */
import type { KubeObject } from '../api/object.js';
import { keyOf } from '../client/informer.js';

export interface ObjectCache<T extends KubeObject = KubeObject> {
  /** Every cached object, or those of one namespace. Objects are shared: never mutate them. */
  list(namespace?: string): T[];
  get(name: string, namespace?: string): T | undefined;
  /** Each returns a function that removes the handler. */
  onAdd(handler: (obj: T) => void): () => void;
  onUpdate(handler: (oldObj: T, newObj: T) => void): () => void;
  onDelete(handler: (obj: T) => void): () => void;
}

/** An in-memory `ObjectCache` whose contents a test sets with `upsert` and `remove`; keyed as `Informer` keys. */
export class MapCache<T extends KubeObject = KubeObject> implements ObjectCache<T> {
  private readonly objects = new Map<string, T>();
  private readonly adds = new Set<(obj: T) => void>();
  private readonly updates = new Set<(oldObj: T, newObj: T) => void>();
  private readonly deletes = new Set<(obj: T) => void>();

  constructor(initial: readonly T[] = []) {
    for (const obj of initial) this.objects.set(keyOf(obj), obj);
  }

  list(namespace?: string): T[] {
    const all = [...this.objects.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(namespace ? `${namespace}/${name}` : name);
  }

  onAdd(handler: (obj: T) => void): () => void {
    this.adds.add(handler);
    return () => this.adds.delete(handler);
  }

  onUpdate(handler: (oldObj: T, newObj: T) => void): () => void {
    this.updates.add(handler);
    return () => this.updates.delete(handler);
  }

  onDelete(handler: (obj: T) => void): () => void {
    this.deletes.add(handler);
    return () => this.deletes.delete(handler);
  }

  /** Adds or replaces the object and calls the add or update handlers. */
  upsert(obj: T): void {
    const key = keyOf(obj);
    const old = this.objects.get(key);
    this.objects.set(key, obj);
    if (old) for (const h of this.updates) h(old, obj);
    else for (const h of this.adds) h(obj);
  }

  /** Removes the object (if cached) and calls the delete handlers. */
  remove(name: string, namespace?: string): void {
    const key = namespace ? `${namespace}/${name}` : name;
    const old = this.objects.get(key);
    if (!old) return;
    this.objects.delete(key);
    for (const h of this.deletes) h(old);
  }
}
