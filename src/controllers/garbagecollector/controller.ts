/**
 * The garbage collector (Kubernetes' pkg/controller/garbagecollector): deletes objects whose
 * owners are all gone, and carries out the foreground and orphan deletions the API server asks
 * for with the `foregroundDeletion` and `orphan` finalizers.
 *
 *   shared informers (every kind with list+watch+delete, Events excepted)
 *        │ add / update / delete
 *        ▼
 *   DependencyGraph (uid → owners, dependents) ──▶ uids to look at ──▶ work queue (by uid)
 *                                                                        │
 *   reconcile(uid):  orphaning  → drop the owner's reference from each dependent, then the finalizer
 *                    deletingDependents → delete the dependents; once none blocks, the finalizer
 *                    has owners → unless the graph shows them all present: read the object and
 *                                 each owner from the API server, then keep / drop references /
 *                                 delete (reconcile.ts decides)
 *
 * Nothing is deleted on the cache's word: an owner is "gone" only when a fresh GET (a read from
 * the store, never a cache) finds no object with its uid, and the delete carries the object's uid
 * and resourceVersion as preconditions, so an object that changed since it was judged is judged
 * again. Events are not watched: there are many and they never own or are owned in practice (as
 * Kubernetes' ignoredResources).
 */
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import { hasCode } from '../../api/errors.js';
import type { KubeObject, OwnerReference } from '../../api/object.js';
import { apiVersionOf, RESOURCES, type ResourceDef } from '../../api/resources.js';
import type { Recorder } from '../../client/events.js';
import type { Client } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import { type Controller, type ControllerContext, runWorkers } from '../framework/controller.js';
import { DependencyGraph, type GraphNode, type ObjectIdentity } from './graph.js';
import {
  type ClassifiedRef,
  classifyOwner,
  type OwnerState,
  type PropagationPolicy,
  planDependent,
  planForeground,
  unblocked,
  withoutOwners,
} from './reconcile.js';
import {
  FOREGROUND_FINALIZER,
  invalidNamespaceMessage,
  ORPHAN_FINALIZER,
  resolveOwner,
  resourceFor,
} from './refs.js';

/** Kubernetes' DefaultIgnoredResources: events, in both groups that serve them. */
const IGNORED = new Set(['/events', 'events.k8s.io/events']);

/** The kinds the collector watches: every kind it could delete, Events excepted. */
export const GC_RESOURCES: readonly ResourceDef[] = RESOURCES.filter(
  (r) =>
    (['list', 'watch', 'delete'] as const).every((v) => r.verbs.includes(v)) &&
    !IGNORED.has(`${r.group}/${r.resource}`),
);

/** Concurrent reconciles (kube-controller-manager's --concurrent-gc-syncs is 20; this machine is smaller). */
const WORKERS = 5;
/** Tries of one read-modify-write, or of one judge-then-delete, before the key is retried later. */
const ATTEMPTS = 3;
/** Owners known absent (as Kubernetes' absentOwnerCache): a uid never comes back, so this never goes stale. */
const ABSENT_OWNERS_REMEMBERED = 500;

export class GarbageCollector implements Controller {
  readonly name = 'garbagecollector';
  readonly graph = new DependencyGraph();
  private readonly client: Client;
  private readonly log: (line: string) => void;
  private readonly recorder: Recorder;
  private readonly queue: WorkQueue;
  /** Owner coordinates a fresh read found absent, oldest first. */
  private readonly absentOwners = new Set<string>();

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.log = ctx.log;
    this.recorder = ctx.recorder('garbage-collector-controller');
    this.queue = new WorkQueue({ clock: ctx.clock });
    for (const def of GC_RESOURCES) this.watch(ctx, def);
  }

  run(signal: AbortSignal): Promise<void> {
    return runWorkers(this.name, this.queue, signal, (uid) => this.reconcile(uid), {
      workers: WORKERS,
      log: this.log,
    });
  }

  /** Feed one kind's informer into the graph. Handlers only update the graph and enqueue uids. */
  private watch(ctx: ControllerContext, def: ResourceDef): void {
    const informer = ctx.informers.for(def, { metadataOnly: true });
    const apiVersion = apiVersionOf(def);
    const observe = (obj: KubeObject) => {
      const m = obj.metadata;
      if (!m.uid) return;
      const identity = {
        apiVersion,
        kind: def.kind,
        namespace: m.namespace ?? '',
        name: m.name ?? '',
        uid: m.uid,
      };
      this.enqueue(this.graph.observe(identity, m));
    };
    const forget = (obj: KubeObject) => {
      if (obj.metadata.uid) this.enqueue(this.graph.forget(obj.metadata.uid));
    };
    informer.onAdd(observe);
    informer.onUpdate((old, obj) => {
      // The cache is keyed by name: a delete and re-create the watch missed shows as an update.
      if (old.metadata.uid !== obj.metadata.uid) forget(old);
      observe(obj);
    });
    informer.onDelete(forget);
  }

  private enqueue(uids: readonly string[]): void {
    for (const uid of uids) this.queue.add(uid);
  }

  async reconcile(uid: string): Promise<void> {
    const node = this.graph.get(uid);
    if (!node?.observed) return;
    if (node.orphaning) return this.orphanDependents(node);
    if (node.deletingDependents) return this.deleteDependents(node);
    // Being deleted without waiting on us: its dependents are looked at once it is gone.
    if (node.beingDeleted || node.owners.length === 0) return;
    if (this.graph.ownersLookSolid(uid)) return;
    return this.collect(node);
  }

  /** An owner deleted with propagationPolicy=Orphan: release its dependents, then let it go. */
  private async orphanDependents(owner: GraphNode): Promise<void> {
    const uid = owner.identity.uid;
    for (const dep of this.graph.dependents(uid)) {
      const node = this.graph.get(dep);
      if (!node) continue;
      await this.modify(node.identity, (obj) => {
        const refs = obj.metadata.ownerReferences ?? [];
        if (!refs.some((r) => r.uid === uid)) return undefined;
        return { ownerReferences: orNull(withoutOwners(refs, [uid])) };
      });
    }
    await this.removeFinalizer(owner.identity, ORPHAN_FINALIZER);
  }

  /** An owner deleted with propagationPolicy=Foreground: its dependents go first. */
  private async deleteDependents(owner: GraphNode): Promise<void> {
    const plan = planForeground(this.graph, owner.identity.uid);
    if (plan.action === 'finalize') {
      await this.removeFinalizer(owner.identity, FOREGROUND_FINALIZER);
      return;
    }
    // Each dependent's deletion (seen by its informer) brings the owner back here.
    this.enqueue(plan.attempt);
  }

  /** An object some of whose owners may be gone: judge it from fresh reads, then act. */
  private async collect(node: GraphNode): Promise<void> {
    const id = node.identity;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const latest = await this.getLive(id);
      if (!latest || latest.metadata.deletionTimestamp) return;
      const refs = latest.metadata.ownerReferences ?? [];
      const owners: ClassifiedRef[] = [];
      for (const ref of refs) {
        const state = await this.ownerState(id, ref);
        if (state === undefined) return;
        owners.push({ ref, state });
      }
      const dependents = this.graph.dependents(id.uid);
      const plan = planDependent({
        finalizers: latest.metadata.finalizers ?? [],
        owners,
        hasDependents: dependents.length > 0,
        dependentDeletingDependents: dependents.some((d) => this.graph.get(d)?.deletingDependents),
      });
      switch (plan.action) {
        case 'keep':
          return;
        case 'removeOwnerReferences':
          await this.modify(id, (obj) => {
            const current = obj.metadata.ownerReferences ?? [];
            const rest = withoutOwners(current, plan.uids);
            return rest.length === current.length ? undefined : { ownerReferences: orNull(rest) };
          });
          return;
        case 'delete':
          if (plan.unblockFirst) {
            const changed = await this.modify(id, (obj) => {
              const current = obj.metadata.ownerReferences ?? [];
              return current.some((r) => r.blockOwnerDeletion)
                ? { ownerReferences: unblocked(current) }
                : undefined;
            });
            if (changed) continue; // judged again from its new version
          }
          if (await this.deleteUnchanged(id, latest, plan.policy)) return;
      }
    }
    throw new Error(`${describe(id)} kept changing while its owners were checked; will look again`);
  }

  /**
   * The owner `ref` of `dependent` as a fresh read finds it; undefined when the reference can
   * never be resolved (a namespaced owner of a cluster-scoped object): such an object is never
   * collected, as in Kubernetes, and a Warning event says why.
   */
  private async ownerState(dependent: ObjectIdentity, ref: OwnerReference): Promise<OwnerState | undefined> {
    const where = resolveOwner(ref, dependent.namespace);
    if ('invalid' in where) {
      if (where.invalid === 'namespaced-owner-of-cluster-scoped') {
        this.recorder.event(objectRef(dependent), 'Warning', 'OwnerRefInvalidNamespace', where.message);
        return undefined;
      }
      throw new Error(`${describe(dependent)}: ${where.message}`);
    }
    const key = `${ref.uid}/${where.def.group}/${ref.kind}/${where.namespace ?? ''}/${ref.name}`;
    if (this.absentOwners.has(key)) return 'dangling';
    let owner: KubeObject | undefined;
    try {
      owner = await this.client.get(where.def, where.namespace, ref.name);
    } catch (err) {
      if (!hasCode(err, 404)) throw err;
    }
    const state = classifyOwner(ref, owner);
    if (state === 'dangling') {
      this.rememberAbsent(key);
      // The uid exists, in another namespace: a reference Kubernetes reports as invalid.
      const elsewhere = this.graph.get(ref.uid);
      if (
        elsewhere?.observed &&
        elsewhere.identity.namespace !== '' &&
        elsewhere.identity.namespace !== dependent.namespace
      ) {
        this.recorder.event(
          objectRef(dependent),
          'Warning',
          'OwnerRefInvalidNamespace',
          invalidNamespaceMessage(ref, dependent.namespace),
        );
      }
    }
    return state;
  }

  private rememberAbsent(key: string): void {
    this.absentOwners.add(key);
    if (this.absentOwners.size > ABSENT_OWNERS_REMEMBERED) {
      const oldest = this.absentOwners.values().next().value;
      if (oldest !== undefined) this.absentOwners.delete(oldest);
    }
  }

  /** The object as the store has it now; undefined when it is gone (or replaced: another uid). */
  private async getLive(id: ObjectIdentity): Promise<KubeObject | undefined> {
    try {
      const obj = await this.client.get(defOf(id), id.namespace || undefined, id.name);
      return obj.metadata.uid === id.uid ? obj : undefined;
    } catch (err) {
      if (hasCode(err, 404)) return undefined;
      throw err;
    }
  }

  /**
   * Delete `latest` unless it changed since it was read: true when it is deleted (or already
   * gone), false when it changed and must be judged again.
   */
  private async deleteUnchanged(
    id: ObjectIdentity,
    latest: KubeObject,
    policy: PropagationPolicy,
  ): Promise<boolean> {
    try {
      await this.client.delete(defOf(id), id.namespace || undefined, id.name, {
        propagationPolicy: policy,
        preconditions: { uid: id.uid, resourceVersion: latest.metadata.resourceVersion! },
      });
      return true;
    } catch (err) {
      if (hasCode(err, 404)) return true;
      if (hasCode(err, 409)) return false;
      throw err;
    }
  }

  private removeFinalizer(id: ObjectIdentity, finalizer: string): Promise<boolean> {
    return this.modify(id, (obj) => {
      const finalizers = obj.metadata.finalizers ?? [];
      if (!finalizers.includes(finalizer)) return undefined;
      return { finalizers: orNull(finalizers.filter((f) => f !== finalizer)) };
    });
  }

  /**
   * Read-modify-write of metadata: `change` gets the live object and returns the metadata fields
   * to merge-patch (undefined: nothing to change). The patch carries the resourceVersion read,
   * so it applies only to what `change` saw; a conflict reads again. True when a patch was written.
   */
  private async modify(
    id: ObjectIdentity,
    change: (obj: KubeObject) => Record<string, unknown> | undefined,
  ): Promise<boolean> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const obj = await this.getLive(id);
      if (!obj) return false;
      const metadata = change(obj);
      if (!metadata) return false;
      try {
        await this.client.patch(defOf(id), id.namespace || undefined, id.name, 'merge', {
          metadata: { ...metadata, resourceVersion: obj.metadata.resourceVersion },
        });
        return true;
      } catch (err) {
        if (hasCode(err, 404)) return false;
        if (!hasCode(err, 409)) throw err;
      }
    }
    throw new Error(`${describe(id)} kept changing while the garbage collector updated it; will try again`);
  }
}

/** An empty list as null, which a merge patch turns into "no such field". */
function orNull<T>(list: T[]): T[] | null {
  return list.length > 0 ? list : null;
}

function defOf(id: ObjectIdentity): ResourceDef {
  const def = resourceFor(id.apiVersion, id.kind);
  if (!def) throw new Error(`${describe(id)}: no such kind is served`);
  return def;
}

function describe(id: ObjectIdentity): string {
  return `${id.kind} ${id.namespace ? `${id.namespace}/` : ''}${id.name}`;
}

function objectRef(id: ObjectIdentity): ObjectReference {
  return {
    apiVersion: id.apiVersion,
    kind: id.kind,
    name: id.name,
    uid: id.uid,
    ...(id.namespace ? { namespace: id.namespace } : {}),
  };
}
