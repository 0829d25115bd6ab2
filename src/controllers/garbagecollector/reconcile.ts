/**
 * The garbage collector's decisions, pure (ARCHITECTURE principle 5): given what the API server
 * said about an object and its owners, what to do with it. The controller (controller.ts) reads,
 * asks these functions, and writes.
 *
 * Kubernetes' rules (pkg/controller/garbagecollector, attemptToDeleteItem):
 * - an owner is *solid* when it exists under the uid, kind and name the reference gives and is
 *   not deleting its dependents; *dangling* when no such object exists; *waiting* when it is
 *   being deleted in the foreground;
 * - an object with a solid owner stays, but loses its references to dangling and waiting owners
 *   (a waiting owner must not wait on an object that is not going away);
 * - an object whose owners are all dangling or waiting is deleted: in the foreground when an
 *   owner waits and the object has dependents of its own (so the owner waits for the whole
 *   subtree), otherwise as its own finalizers ask (orphan, foreground) or in the background.
 */
import type { KubeObject, OwnerReference } from '../../api/object.js';
import type { DependencyGraph } from './graph.js';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from './refs.js';

export type OwnerState = 'solid' | 'dangling' | 'waiting';

export interface ClassifiedRef {
  ref: OwnerReference;
  state: OwnerState;
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export type DependentPlan =
  /** It has an owner: nothing to do. */
  | { action: 'keep' }
  /** It has an owner, and references to gone or foreground-deleting owners to drop. */
  | { action: 'removeOwnerReferences'; uids: string[] }
  /**
   * Garbage: delete it. `unblockFirst` (its dependents are themselves deleting theirs, which
   * could wait on each other in a cycle) clears blockOwnerDeletion on its references first.
   */
  | { action: 'delete'; policy: PropagationPolicy; unblockFirst: boolean };

/** What the live `owner` (undefined: not found) means for the reference `ref`. */
export function classifyOwner(ref: OwnerReference, owner: KubeObject | undefined): OwnerState {
  if (!owner || owner.metadata.uid !== ref.uid) return 'dangling';
  if (owner.metadata.deletionTimestamp && (owner.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER)) {
    return 'waiting';
  }
  return 'solid';
}

export interface DependentFacts {
  /** The object's finalizers as the server has them. */
  finalizers: readonly string[];
  /** Its owners, each classified from a fresh read. */
  owners: readonly ClassifiedRef[];
  /** Whether it has dependents of its own. */
  hasDependents: boolean;
  /** Whether one of its dependents is itself being deleted in the foreground. */
  dependentDeletingDependents: boolean;
}

export function planDependent(facts: DependentFacts): DependentPlan {
  const { owners } = facts;
  if (owners.length === 0) return { action: 'keep' };
  const of = (state: OwnerState) => owners.filter((o) => o.state === state).map((o) => o.ref.uid);
  const dangling = of('dangling');
  const waiting = of('waiting');
  if (of('solid').length > 0) {
    const uids = [...dangling, ...waiting];
    return uids.length === 0 ? { action: 'keep' } : { action: 'removeOwnerReferences', uids };
  }
  if (waiting.length > 0 && facts.hasDependents) {
    return { action: 'delete', policy: 'Foreground', unblockFirst: facts.dependentDeletingDependents };
  }
  const policy: PropagationPolicy = facts.finalizers.includes(ORPHAN_FINALIZER)
    ? 'Orphan'
    : facts.finalizers.includes(FOREGROUND_FINALIZER)
      ? 'Foreground'
      : 'Background';
  return { action: 'delete', policy, unblockFirst: false };
}

export type ForegroundPlan =
  /** No dependent blocks it any more: remove the foregroundDeletion finalizer. */
  | { action: 'finalize' }
  /** Look at these dependents (delete them); the owner waits for the blocking ones. */
  | { action: 'wait'; attempt: string[] };

/** An owner being deleted in the foreground, from the graph's view of its dependents. */
export function planForeground(graph: DependencyGraph, uid: string): ForegroundPlan {
  if (graph.blockingDependents(uid).length === 0) return { action: 'finalize' };
  // Dependents deleting their own dependents are already on their way; the rest are collected.
  const attempt = graph.dependents(uid).filter((d) => !graph.get(d)?.deletingDependents);
  return { action: 'wait', attempt };
}

/** `refs` without the references to `uids`. */
export function withoutOwners(refs: readonly OwnerReference[], uids: readonly string[]): OwnerReference[] {
  const drop = new Set(uids);
  return refs.filter((r) => !drop.has(r.uid));
}

/** `refs` with blockOwnerDeletion cleared wherever it is set. */
export function unblocked(refs: readonly OwnerReference[]): OwnerReference[] {
  return refs.map((r) => (r.blockOwnerDeletion ? { ...r, blockOwnerDeletion: false } : r));
}
