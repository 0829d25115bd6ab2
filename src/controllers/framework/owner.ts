/**
 * Owner references between a controller's object and what it made (a ReplicaSet and its pods, a
 * Deployment and its ReplicaSets), and claiming: a controller adopts the orphans its selector
 * matches and releases the objects it owns that no longer match, as Kubernetes'
 * ControllerRefManager does. The plan is pure (`planClaims`); `claim` applies it.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { hasCode } from '../../api/errors.js';
import { selectorMatches } from '../../api/labels.js';
import type { KubeObject, OwnerReference } from '../../api/object.js';
import type { ResourceDef } from '../../api/resources.js';
import type { Informer } from '../../client/informer.js';
import type { Client } from '../../client/rest.js';

/** The owner reference with `controller: true`, if any. */
export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** A reference that makes `owner` the controller of what it is put on. */
export function newControllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The informer index of objects by their controller's uid; orphans under `orphan/<namespace>`. */
const CONTROLLER_INDEX = 'controller';

function controllerIndexValues(obj: KubeObject): string[] {
  const ref = controllerRefOf(obj);
  return [ref ? ref.uid : `orphan/${obj.metadata.namespace ?? ''}`];
}

/** Index `informer` by controller (call in the controller's constructor; shared informers keep one index). */
export function indexByController<T extends KubeObject>(informer: Informer<T>): void {
  informer.addIndex(CONTROLLER_INDEX, controllerIndexValues);
}

/** The objects whose controller has uid `uid`; the informer must be indexed with `indexByController`. */
export function controlledBy<T extends KubeObject>(informer: Informer<T>, uid: string): T[] {
  return informer.byIndex(CONTROLLER_INDEX, uid);
}

/**
 * What `owner` may claim: the objects it controls and the orphans of its namespace. Objects of
 * other controllers never matter to it, so a ReplicaSet's pass costs its own pods, not the
 * namespace's 150,000. The informer must be indexed with `indexByController`.
 */
export function ownedOrOrphans<T extends KubeObject>(informer: Informer<T>, owner: KubeObject): T[] {
  return [
    ...controlledBy(informer, owner.metadata.uid!),
    ...informer.byIndex(CONTROLLER_INDEX, `orphan/${owner.metadata.namespace ?? ''}`),
  ];
}

export interface ClaimPlan<T> {
  /** Objects the owner controls and still selects. */
  owned: T[];
  /** Orphans the selector matches: take them. */
  adopt: T[];
  /** Objects the owner controls that the selector no longer matches: let them go. */
  release: T[];
}

/**
 * What `owner` should own among `candidates` (objects of its namespace). Objects controlled by
 * another owner are never touched. Nothing is adopted or released while the owner or the object
 * is being deleted: a deleting owner's dependents are the garbage collector's business.
 */
export function planClaims<T extends KubeObject>(
  owner: KubeObject,
  selector: LabelSelector | undefined,
  candidates: readonly T[],
): ClaimPlan<T> {
  const plan: ClaimPlan<T> = { owned: [], adopt: [], release: [] };
  const ownerDeleting = !!owner.metadata.deletionTimestamp;
  for (const obj of candidates) {
    const ref = controllerRefOf(obj);
    const matches = selector !== undefined && selectorMatches(selector, obj.metadata.labels);
    if (ref) {
      if (ref.uid !== owner.metadata.uid) continue;
      if (matches) plan.owned.push(obj);
      else if (!ownerDeleting && !obj.metadata.deletionTimestamp) plan.release.push(obj);
      continue;
    }
    if (!matches || ownerDeleting || obj.metadata.deletionTimestamp) continue;
    if (obj.metadata.namespace !== owner.metadata.namespace) continue;
    plan.adopt.push(obj);
  }
  return plan;
}

/**
 * Apply a claim plan: adopt and release through merge patches carrying the object's
 * resourceVersion, so a patch based on a stale cache fails (409) instead of overwriting a change
 * the controller has not seen. Returns the objects the owner controls afterwards (owned plus
 * those adopted). An orphan that vanished is skipped; one that changed meanwhile makes `claim`
 * throw the 409 (adoptions made before it stay), as Kubernetes' ControllerRefManager returns the
 * error: the reconcile is retried, rather than acting on a count that misses that object. A
 * release that fails on 404/409 is left for the next pass (the object is not counted as owned).
 */
export async function claim<T extends KubeObject>(
  client: Client,
  def: ResourceDef,
  owner: KubeObject,
  plan: ClaimPlan<T>,
): Promise<T[]> {
  const owned = [...plan.owned];
  const patchRefs = (obj: T, refs: OwnerReference[]) =>
    client.patch<T>(def, obj.metadata.namespace, obj.metadata.name!, 'merge', {
      metadata: { ownerReferences: refs, resourceVersion: obj.metadata.resourceVersion },
    });
  for (const obj of plan.adopt) {
    try {
      owned.push(await patchRefs(obj, [...(obj.metadata.ownerReferences ?? []), newControllerRef(owner)]));
    } catch (err) {
      // Gone: nothing to adopt. Changed since the cache saw it (409): thrown, so the caller
      // retries on a fresher cache instead of counting one pod too few and creating another.
      if (!hasCode(err, 404)) throw err;
    }
  }
  for (const obj of plan.release) {
    const rest = (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
    try {
      await patchRefs(obj, rest);
    } catch (err) {
      if (!hasCode(err, 404, 409)) throw err;
    }
  }
  return owned;
}
