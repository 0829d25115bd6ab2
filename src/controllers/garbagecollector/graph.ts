/**
 * The garbage collector's dependency graph: one node per object uid, with the object's owner
 * references and the uids of the objects that name it as an owner (its dependents). It is built
 * incrementally from informer events (`observe` on add/update, `forget` on delete), never by
 * relisting, and each change answers "which uids should the collector look at now".
 *
 * A node for an owner that no informer has shown yet is "virtual" (Kubernetes' term): it exists
 * only to hold its dependents, and goes away when its last dependent does. Nodes keep references
 * into the informers' frozen objects (the ownerReferences arrays) rather than copies, so the graph
 * adds a small record per object to what the shared caches already hold.
 *
 * Pure data: no I/O, no clock, tested on its own (graph.test.ts).
 */
import type { OwnerReference } from '../../api/object.js';
import { FOREGROUND_FINALIZER, groupOf, ORPHAN_FINALIZER } from './refs.js';

/** Where an object lives: what an owner reference must name to mean it. */
export interface ObjectIdentity {
  apiVersion: string;
  kind: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
  uid: string;
}

export interface GraphNode {
  identity: ObjectIdentity;
  /** False for a virtual node: an owner seen only through its dependents' references. */
  observed: boolean;
  owners: readonly OwnerReference[];
  /** Uids of the objects whose ownerReferences name this uid (allocated when the first appears). */
  dependents: Set<string> | undefined;
  beingDeleted: boolean;
  /** Being deleted with the foregroundDeletion finalizer: its dependents go first. */
  deletingDependents: boolean;
  /** Being deleted with the orphan finalizer: its dependents are released first. */
  orphaning: boolean;
}

/** What the graph needs of an object's metadata. */
export interface ObservedMeta {
  uid?: string | undefined;
  ownerReferences?: readonly OwnerReference[] | undefined;
  finalizers?: readonly string[] | undefined;
  deletionTimestamp?: unknown;
}

const NO_OWNERS: readonly OwnerReference[] = Object.freeze([]);

/** True when `ref` names the object `owner` from a dependent in `dependentNamespace`. */
export function refMatches(ref: OwnerReference, owner: ObjectIdentity, dependentNamespace: string): boolean {
  return (
    ref.uid === owner.uid &&
    ref.kind === owner.kind &&
    ref.name === owner.name &&
    groupOf(ref.apiVersion) === groupOf(owner.apiVersion) &&
    (owner.namespace === '' || owner.namespace === dependentNamespace)
  );
}

function blocks(ref: OwnerReference | undefined): boolean {
  return ref?.blockOwnerDeletion === true;
}

export class DependencyGraph {
  private readonly nodes = new Map<string, GraphNode>();

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  /** Nodes in the graph, virtual ones included. */
  get size(): number {
    return this.nodes.size;
  }

  /** The uids naming `uid` as an owner. */
  dependents(uid: string): string[] {
    const deps = this.nodes.get(uid)?.dependents;
    return deps ? [...deps] : [];
  }

  /** The dependents whose reference to `uid` has blockOwnerDeletion: those a foreground deletion waits for. */
  blockingDependents(uid: string): string[] {
    return this.dependents(uid).filter((d) =>
      blocks(this.nodes.get(d)?.owners.find((ref) => ref.uid === uid)),
    );
  }

  /**
   * Whether every owner of `uid` is, as far as the informers show, an existing object that its
   * reference names correctly and that is not deleting its dependents. Such an object is not
   * garbage, and the collector need not ask the API server about it; anything else is checked
   * against the server before a write.
   */
  ownersLookSolid(uid: string): boolean {
    const node = this.nodes.get(uid);
    if (!node) return false;
    return node.owners.every((ref) => {
      const owner = this.nodes.get(ref.uid);
      return (
        owner?.observed &&
        !owner.deletingDependents &&
        refMatches(ref, owner.identity, node.identity.namespace)
      );
    });
  }

  /**
   * An informer showed the object (added or changed). Returns the uids to look at: this object if
   * its deletion waits for the collector, dependents whose references turned out to name another
   * object, owners a removed or unblocked reference may have freed, and this object again when
   * one of its owners is unknown, mismatched or deleting its dependents.
   */
  observe(identity: ObjectIdentity, meta: ObservedMeta): string[] {
    const uid = identity.uid;
    const owners = meta.ownerReferences ?? NO_OWNERS;
    const out = new Set<string>();
    let node = this.nodes.get(uid);
    if (!node) {
      node = {
        identity,
        observed: true,
        owners,
        dependents: undefined,
        beingDeleted: false,
        deletingDependents: false,
        orphaning: false,
      };
      this.nodes.set(uid, node);
      this.addToOwners(node, owners, out);
    } else {
      if (!node.observed) {
        // Dependents that referred to this uid by other coordinates (another name, kind or
        // namespace) named an owner that does not exist: look at them again.
        for (const dep of node.dependents ?? []) {
          const d = this.nodes.get(dep);
          const ref = d?.owners.find((r) => r.uid === uid);
          if (d && ref && !refMatches(ref, identity, d.identity.namespace)) out.add(dep);
        }
        node.observed = true;
      }
      node.identity = identity;
      this.updateOwners(node, owners, out);
    }
    node.beingDeleted = Boolean(meta.deletionTimestamp);
    node.deletingDependents = node.beingDeleted && (meta.finalizers ?? []).includes(FOREGROUND_FINALIZER);
    node.orphaning = node.beingDeleted && (meta.finalizers ?? []).includes(ORPHAN_FINALIZER);
    if (node.deletingDependents || node.orphaning) out.add(uid);
    return [...out];
  }

  /**
   * An informer showed the object deleted. Returns its dependents (their owner is gone) and its
   * owners that wait for their dependents to go.
   */
  forget(uid: string): string[] {
    const node = this.nodes.get(uid);
    if (!node?.observed) return [];
    this.nodes.delete(uid);
    const out = new Set<string>(node.dependents ?? []);
    for (const ref of node.owners) {
      const owner = this.nodes.get(ref.uid);
      if (!owner) continue;
      owner.dependents?.delete(uid);
      if (owner.deletingDependents) out.add(ref.uid);
      this.dropIfUnused(owner);
    }
    // Its dependents may still name it; a later reference to this uid makes a virtual node,
    // which the collector checks against the server.
    return [...out];
  }

  private addToOwners(node: GraphNode, refs: readonly OwnerReference[], out: Set<string>): void {
    for (const ref of refs) {
      let owner = this.nodes.get(ref.uid);
      if (!owner) {
        owner = {
          identity: {
            apiVersion: ref.apiVersion,
            kind: ref.kind,
            namespace: node.identity.namespace,
            name: ref.name,
            uid: ref.uid,
          },
          observed: false,
          owners: NO_OWNERS,
          dependents: undefined,
          beingDeleted: false,
          deletingDependents: false,
          orphaning: false,
        };
        this.nodes.set(ref.uid, owner);
      }
      owner.dependents ??= new Set();
      owner.dependents.add(node.identity.uid);
      if (
        !owner.observed ||
        owner.deletingDependents ||
        !refMatches(ref, owner.identity, node.identity.namespace)
      ) {
        out.add(node.identity.uid);
      }
    }
  }

  private updateOwners(node: GraphNode, next: readonly OwnerReference[], out: Set<string>): void {
    const prev = node.owners;
    if (prev === next) return;
    const before = new Map(prev.map((r) => [r.uid, r]));
    const after = new Map(next.map((r) => [r.uid, r]));
    const added: OwnerReference[] = [];
    for (const ref of next) {
      const old = before.get(ref.uid);
      if (!old) {
        added.push(ref);
        continue;
      }
      // A reference that stops blocking may be what a foreground deletion waits for.
      if (blocks(old) && !blocks(ref)) out.add(ref.uid);
      if (
        old.kind !== ref.kind ||
        old.name !== ref.name ||
        groupOf(old.apiVersion) !== groupOf(ref.apiVersion)
      ) {
        out.add(node.identity.uid);
      }
    }
    for (const old of prev) {
      if (after.has(old.uid)) continue;
      const owner = this.nodes.get(old.uid);
      if (!owner) continue;
      owner.dependents?.delete(node.identity.uid);
      if (blocks(old)) out.add(old.uid);
      this.dropIfUnused(owner);
    }
    node.owners = next;
    this.addToOwners(node, added, out);
  }

  private dropIfUnused(node: GraphNode): void {
    if (node.dependents?.size === 0) node.dependents = undefined;
    if (!node.observed && node.dependents === undefined) this.nodes.delete(node.identity.uid);
  }
}
