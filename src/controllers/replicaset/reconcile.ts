/**
 * The ReplicaSet controller's decisions, pure: which pods to remove when there are too many
 * (Kubernetes' getPodsToDelete ranking), and the status the owned pods add up to.
 */

import type { ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { selectorMatches } from '../../api/labels.js';
import { isPodAvailable, isPodReady, podReadySince, podRestarts } from '../framework/pods.js';

/** At most this many creations or deletions in one pass (client-go's burstReplicas). */
export const BURST_REPLICAS = 500;

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * Order pods from first-to-delete to last, as Kubernetes' ActivePods sort does:
 * unscheduled before scheduled, Pending before Unknown before Running, not Ready before Ready,
 * lower `controller.kubernetes.io/pod-deletion-cost` first, Ready for less time first, more
 * restarts first, newer first.
 */
export function deletionOrder(a: Pod, b: Pod): number {
  const scheduled = (p: Pod) => (p.spec?.nodeName ? 1 : 0);
  if (scheduled(a) !== scheduled(b)) return scheduled(a) - scheduled(b);
  const phase = (p: Pod) => PHASE_RANK[p.status?.phase ?? 'Pending'] ?? 0;
  if (phase(a) !== phase(b)) return phase(a) - phase(b);
  const ready = (p: Pod) => (isPodReady(p) ? 1 : 0);
  if (ready(a) !== ready(b)) return ready(a) - ready(b);
  const cost = (p: Pod) =>
    Number.parseInt(p.metadata?.annotations?.['controller.kubernetes.io/pod-deletion-cost'] ?? '0', 10) || 0;
  if (cost(a) !== cost(b)) return cost(a) - cost(b);
  if (isPodReady(a) && isPodReady(b)) {
    const since = (p: Pod) => podReadySince(p) || 0;
    if (since(a) !== since(b)) return since(b) - since(a);
  }
  if (podRestarts(a) !== podRestarts(b)) return podRestarts(b) - podRestarts(a);
  const created = (p: Pod) => Date.parse(p.metadata?.creationTimestamp ?? '') || 0;
  return created(b) - created(a);
}

/** The `n` pods to delete first. */
export function podsToDelete(pods: readonly Pod[], n: number): Pod[] {
  return [...pods].sort(deletionOrder).slice(0, n);
}

/** How many pods to create (positive) or delete (negative), at most BURST_REPLICAS either way. */
export function replicaDiff(rs: ReplicaSet, activePods: number): number {
  const diff = (rs.spec?.replicas ?? 1) - activePods;
  return Math.max(-BURST_REPLICAS, Math.min(BURST_REPLICAS, diff));
}

/** Why this pass's creations or deletions failed: the ReplicaFailure condition's reason and message. */
export interface ReplicaFailure {
  reason: 'FailedCreate' | 'FailedDelete';
  message: string;
}

/**
 * The status of `rs` given its active pods, the failure of this pass's creations or deletions
 * (the ReplicaFailure condition) and the time.
 */
export function computeStatus(
  rs: ReplicaSet,
  pods: readonly Pod[],
  failure: ReplicaFailure | undefined,
  now: number,
  nowText: string,
): ReplicaSetStatus {
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  const conditions: ReplicaSetCondition[] = (rs.status?.conditions ?? []).filter(
    (c) => c.type !== 'ReplicaFailure',
  );
  const previous = rs.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
  if (failure) {
    conditions.push(
      previous && previous.reason === failure.reason && previous.message === failure.message
        ? previous
        : {
            type: 'ReplicaFailure',
            status: 'True',
            reason: failure.reason,
            message: failure.message,
            lastTransitionTime: nowText,
          },
    );
  }
  return {
    replicas: pods.length,
    fullyLabeledReplicas: pods.filter((p) =>
      selectorMatches({ matchLabels: templateLabels }, p.metadata?.labels),
    ).length,
    readyReplicas: pods.filter(isPodReady).length,
    availableReplicas: pods.filter((p) => isPodAvailable(p, minReady, now)).length,
    ...(rs.metadata?.generation !== undefined ? { observedGeneration: rs.metadata.generation } : {}),
    ...(conditions.length > 0 ? { conditions } : {}),
  };
}

/** Whether two statuses differ in anything a reader would see. */
export function statusChanged(a: ReplicaSetStatus | undefined, b: ReplicaSetStatus): boolean {
  const norm = (s: ReplicaSetStatus | undefined) =>
    JSON.stringify({
      replicas: s?.replicas ?? 0,
      fullyLabeledReplicas: s?.fullyLabeledReplicas ?? 0,
      readyReplicas: s?.readyReplicas ?? 0,
      availableReplicas: s?.availableReplicas ?? 0,
      observedGeneration: s?.observedGeneration,
      conditions: s?.conditions ?? [],
    });
  return norm(a) !== norm(b);
}
