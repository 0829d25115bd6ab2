/**
 * What deleting a namespace still has to do, decided from what is left in it: the pure half of
 * the namespace controller (ARCHITECTURE principle 5).
 */
import type { KubeObject } from '../../api/object.js';

export type NamespacePlan =
  /** Not being deleted, or already gone: nothing to do. */
  | { action: 'none' }
  /** Delete these objects (those not already being deleted); wait for the rest. */
  | { action: 'delete'; objects: KubeObject[] }
  /** Everything is gone: clear spec.finalizers so the namespace itself goes. */
  | { action: 'finalize' };

export function planNamespaceCleanup(
  namespace: KubeObject | undefined,
  contents: KubeObject[],
): NamespacePlan {
  if (!namespace?.metadata.deletionTimestamp) return { action: 'none' };
  if (contents.length === 0) return { action: 'finalize' };
  const objects = contents.filter((o) => !o.metadata.deletionTimestamp);
  return { action: 'delete', objects };
}
