/**
 * Owner references as the garbage collector reads them: the finalizers that ask it to act, and
 * where an owner reference points (which resource, which namespace), as Kubernetes resolves it.
 */
import type { OwnerReference } from '../../api/object.js';
import { RESOURCES, type ResourceDef } from '../../api/resources.js';

/** metav1.FinalizerDeleteDependents: delete the dependents first (propagationPolicy=Foreground). */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
/** metav1.FinalizerOrphanDependents: release the dependents first (propagationPolicy=Orphan). */
export const ORPHAN_FINALIZER = 'orphan';

/** The group of an apiVersion ("apps/v1" → "apps", "v1" → ""). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** The served resource of a kind, matched by group and kind whatever the version. */
export function resourceFor(apiVersion: string, kind: string): ResourceDef | undefined {
  const group = groupOf(apiVersion);
  return RESOURCES.find((r) => r.group === group && r.kind === kind);
}

export type ResolvedOwner =
  /** GET the owner here. */
  | { def: ResourceDef; namespace: string | undefined }
  /** A kind Shoal does not serve: the reference cannot be checked. */
  | { invalid: 'unknown-kind'; message: string }
  /** A cluster-scoped object cannot be owned by a namespaced one (Kubernetes never collects it). */
  | { invalid: 'namespaced-owner-of-cluster-scoped'; message: string };

/**
 * Where the owner `ref` of an object in `dependentNamespace` ('' when cluster-scoped) lives. A
 * namespaced owner is always looked up in the dependent's own namespace, so a reference to an
 * object in another namespace names an owner that does not exist. The kind is matched by group
 * and kind, not version, as Kubernetes' REST mapping does.
 */
export function resolveOwner(ref: OwnerReference, dependentNamespace: string): ResolvedOwner {
  const def = resourceFor(ref.apiVersion, ref.kind);
  if (!def) {
    return {
      invalid: 'unknown-kind',
      message: `owner reference to ${ref.apiVersion}/${ref.kind} "${ref.name}": no such kind is served`,
    };
  }
  if (!def.namespaced) return { def, namespace: undefined };
  if (dependentNamespace === '') {
    return {
      invalid: 'namespaced-owner-of-cluster-scoped',
      message: invalidNamespaceMessage(ref, ''),
    };
  }
  return { def, namespace: dependentNamespace };
}

/** The message of Kubernetes' OwnerRefInvalidNamespace event. */
export function invalidNamespaceMessage(ref: OwnerReference, dependentNamespace: string): string {
  return `ownerRef [${ref.apiVersion}/${ref.kind}, namespace: ${dependentNamespace}, name: ${ref.name}, uid: ${ref.uid}] does not exist in namespace "${dependentNamespace}"`;
}
