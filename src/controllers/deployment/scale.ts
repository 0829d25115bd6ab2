/**
 * Resizing a Deployment whose replicas changed while several ReplicaSets have pods (Kubernetes'
 * deployment/sync.go `scale`): with one active RS it simply takes the new size; in the middle of
 * a rolling update the surplus or deficit is shared out in proportion to each RS's size, so that
 * scaling 10 → 15 during a 5/5 rollout gives 8/8 (with the surge), not 5/10 or 10/5.
 */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import {
  activeReplicaSets,
  byCreation,
  bySizeNewer,
  bySizeOlder,
  desiredReplicas,
  desiredReplicasAnnotation,
  isRollingUpdate,
  maxReplicasAnnotation,
  maxSurge,
  replicasOf,
  specReplicas,
} from './replicasets.js';

/** The one active RS, or when none is active the newest (FindActiveOrLatest); undefined with several active. */
export function activeOrLatest(
  newRS: ReplicaSet | undefined,
  oldRSs: readonly ReplicaSet[],
): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = activeReplicaSets([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  return active.length === 1 ? active[0] : undefined;
}

/** The RS has all the Deployment's replicas, all available, for the current size (IsSaturated). */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const replicas = desiredReplicas(d);
  return (
    desiredReplicasAnnotation(rs) === replicas &&
    replicasOf(rs) === replicas &&
    (rs.status?.availableReplicas ?? 0) === replicas
  );
}

/**
 * How many replicas `rs` gains (or loses) when the Deployment's allowed size becomes
 * replicas + maxSurge (getReplicaSetFraction): its share of the new size, judged from the size
 * the Deployment had when the RS was last sized (its max-replicas annotation).
 */
function fraction(rs: ReplicaSet, d: Deployment): number {
  if (desiredReplicas(d) === 0) return -replicasOf(rs);
  const allowed = desiredReplicas(d) + maxSurge(d);
  const annotated = maxReplicasAnnotation(rs) ?? d.status?.replicas ?? 0;
  if (annotated === 0) return 0;
  // Go's math.Round: halves away from zero (the sizes here are never negative).
  return Math.round((replicasOf(rs) * allowed) / annotated) - replicasOf(rs);
}

/** Change of `rs` bounded by what is left to share out (GetProportion). */
function proportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const share = fraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(share, allowed) : Math.max(share, allowed);
}

/**
 * New sizes for the active RSes of a rolling update whose Deployment was resized, in the order
 * they should be written; leftovers of the rounding go to the first (largest) one.
 */
export function proportionalSizes(
  d: Deployment,
  newRS: ReplicaSet | undefined,
  oldRSs: readonly ReplicaSet[],
): { rs: ReplicaSet; size: number; direction: string }[] {
  if (!isRollingUpdate(d)) return [];
  const active = activeReplicaSets([...oldRSs, newRS]);
  const allowedSize = desiredReplicas(d) > 0 ? desiredReplicas(d) + maxSurge(d) : 0;
  const toAdd = allowedSize - specReplicas(active);
  const direction = toAdd > 0 ? 'up' : toAdd < 0 ? 'down' : '';
  if (toAdd > 0) active.sort(bySizeNewer);
  else if (toAdd < 0) active.sort(bySizeOlder);
  let added = 0;
  const sizes = active.map((rs) => {
    const change = proportion(rs, d, toAdd, added);
    added += change;
    return { rs, size: replicasOf(rs) + change, direction };
  });
  if (sizes.length > 0 && toAdd !== 0) sizes[0]!.size = Math.max(0, sizes[0]!.size + toAdd - added);
  return sizes;
}
