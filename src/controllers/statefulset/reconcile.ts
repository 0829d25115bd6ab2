/**
 * The StatefulSet controller's decisions, pure (ARCHITECTURE principle 5) — Kubernetes'
 * updateStatefulSet. Pods are slots by ordinal: `<set>-0 .. <set>-(replicas-1)` should exist,
 * higher ordinals are condemned. A slot is filled by whatever pod holds the name, terminating or
 * not: a pod is never replaced until its object is gone (a pod Terminating on an unreachable node
 * may still be running there, and two pods with one identity must never run).
 *
 * OrderedReady (monotonic): walk the slots upward and stop at the first that is missing (create
 * it), terminating, or not Running and Ready (wait); then remove condemned pods from the highest
 * ordinal down, one at a time, each only once the ones below are healthy. Parallel: create every
 * missing pod and delete every condemned pod at once, waiting for nothing.
 *
 * RollingUpdate then replaces, from the highest ordinal down to `partition`, one pod at a time,
 * each pod not made from the update revision, waiting for every replaced pod to be healthy again.
 * Pods below the partition (and new pods there) stay at the current revision. OnDelete replaces
 * nothing; a pod a user deletes comes back at the update revision.
 *
 * One pass does one kind of write: create, or delete (plus relabelling pods that lack their
 * identity labels), so one expectations record covers it.
 */
import type { StatefulSet, StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import {
  earliest,
  isPodAvailable,
  isRunningAndReady,
  isTerminal,
  isTerminating,
  msUntilAvailable,
} from '../framework/pods.js';
import { REVISION_HASH_LABEL } from '../workloads/revisions.js';
import { missingIdentity, newStatefulPod, ordinalOf } from './pods.js';

export interface Revision {
  name: string;
  template: PodTemplateSpec;
}

export interface StatefulSetInput {
  set: StatefulSet;
  /** The set's pods (owned after claiming). */
  pods: readonly Pod[];
  /** The revision the pods below the update are at (status.currentRevision, or `update` at first). */
  current: Revision;
  /** The revision of the current template. */
  update: Revision;
  collisionCount?: number;
  nowMs: number;
}

export interface StatefulSetPlan {
  create: Pod[];
  delete: { pod: Pod; reason: 'failed' | 'condemned' | 'update' }[];
  relabel: { pod: Pod; labels: Record<string, string> }[];
  /** What an OrderedReady pass stopped at, for the log ("waiting for web-1 to be Running and Ready"). */
  waiting?: string;
  status: StatefulSetStatus;
  /** Look again after this long: a Ready pod becomes available (minReadySeconds). */
  requeueAfterMs?: number;
}

const revisionOf = (pod: Pod) => pod.metadata?.labels?.[REVISION_HASH_LABEL];

export function planStatefulSet(input: StatefulSetInput): StatefulSetPlan {
  const { set, current, update, nowMs } = input;
  const replicas = set.spec?.replicas ?? 1;
  const minReady = set.spec?.minReadySeconds ?? 0;
  const monotonic = (set.spec?.podManagementPolicy ?? 'OrderedReady') !== 'Parallel';
  const strategy = set.spec?.updateStrategy;
  const rolling = (strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  const partition = strategy?.rollingUpdate?.partition ?? 0;
  const healthy = (p: Pod) => !isTerminating(p) && isRunningAndReady(p) && isPodAvailable(p, minReady, nowMs);

  const slots: (Pod | undefined)[] = Array.from({ length: replicas });
  const condemned: { pod: Pod; ordinal: number }[] = [];
  for (const pod of input.pods) {
    const ordinal = ordinalOf(set, pod);
    if (ordinal === undefined) continue;
    if (ordinal < replicas) slots[ordinal] = pod;
    else condemned.push({ pod, ordinal });
  }
  condemned.sort((a, b) => b.ordinal - a.ordinal);

  const plan: StatefulSetPlan = { create: [], delete: [], relabel: [], status: statusOf(input) };
  for (const { pod, ordinal } of [...slots.map((pod, ordinal) => ({ pod, ordinal })), ...condemned]) {
    if (pod && isRunningAndReady(pod)) {
      const wait = msUntilAvailable(pod, minReady, nowMs);
      if (wait) plan.requeueAfterMs = earliest(plan.requeueAfterMs, wait);
    }
    if (pod && ordinal < replicas && !isTerminating(pod)) {
      const labels = missingIdentity(set, pod, ordinal);
      if (Object.keys(labels).length > 0) plan.relabel.push({ pod, labels });
    }
  }
  // A set being deleted is the garbage collector's.
  if (set.metadata?.deletionTimestamp) return plan;

  const firstUnhealthy = [...slots, ...condemned.map((c) => c.pod)].find((p) => p && !healthy(p));
  const wait = (what: string) => {
    plan.waiting = what;
    return plan;
  };

  // ---- the slots: create what is missing, replace what failed ----
  for (let ordinal = 0; ordinal < replicas; ordinal++) {
    const pod = slots[ordinal];
    if (!pod) {
      const atCurrent =
        rolling && ordinal < (strategy?.rollingUpdate ? partition : (set.status?.currentReplicas ?? 0));
      const rev = atCurrent ? current : update;
      plan.create.push(newStatefulPod(set, rev.template, rev.name, ordinal));
      if (monotonic) return plan;
      continue;
    }
    const name = pod.metadata!.name!;
    if (isTerminal(pod) && !isTerminating(pod)) {
      // Its replacement is created once the failed pod is gone.
      plan.delete.push({ pod, reason: 'failed' });
      if (monotonic) return plan;
      continue;
    }
    if (!monotonic) continue;
    if (isTerminating(pod)) return wait(`waiting for ${name} to terminate`);
    if (!healthy(pod)) return wait(`waiting for ${name} to be Running and Ready`);
  }
  if (plan.create.length > 0 || plan.delete.length > 0) return plan;

  // ---- condemned pods: highest ordinal first ----
  for (const { pod } of condemned) {
    const name = pod.metadata!.name!;
    if (isTerminating(pod)) {
      if (monotonic) return wait(`waiting for ${name} to terminate`);
      continue;
    }
    if (monotonic && !healthy(pod) && pod !== firstUnhealthy) {
      return wait(`waiting for ${firstUnhealthy?.metadata?.name} to be Running and Ready`);
    }
    plan.delete.push({ pod, reason: 'condemned' });
    if (monotonic) return plan;
  }
  if (plan.delete.length > 0 || !rolling) return plan;

  // ---- rolling update: highest ordinal first, down to the partition ----
  for (let ordinal = replicas - 1; ordinal >= partition; ordinal--) {
    const pod = slots[ordinal];
    if (!pod) continue;
    if (revisionOf(pod) !== update.name && !isTerminating(pod)) {
      plan.delete.push({ pod, reason: 'update' });
      return plan;
    }
    if (!healthy(pod)) return wait(`waiting for ${pod.metadata!.name} to be Running and Ready`);
  }
  return plan;
}

/** The status the pods show (Kubernetes' computeReplicaStatus and completeRollingUpdate). */
function statusOf(input: StatefulSetInput): StatefulSetStatus {
  const { set, current, update, nowMs } = input;
  const minReady = set.spec?.minReadySeconds ?? 0;
  const status: StatefulSetStatus = {
    replicas: 0,
    readyReplicas: 0,
    availableReplicas: 0,
    currentReplicas: 0,
    updatedReplicas: 0,
    currentRevision: current.name,
    updateRevision: update.name,
    ...(set.metadata?.generation !== undefined ? { observedGeneration: set.metadata.generation } : {}),
    ...(input.collisionCount ? { collisionCount: input.collisionCount } : {}),
  };
  for (const pod of input.pods) {
    if (ordinalOf(set, pod) === undefined) continue;
    status.replicas++;
    if (isRunningAndReady(pod)) {
      status.readyReplicas!++;
      if (isPodAvailable(pod, minReady, nowMs)) status.availableReplicas!++;
    }
    if (isTerminating(pod)) continue;
    if (revisionOf(pod) === current.name) status.currentReplicas!++;
    if (revisionOf(pod) === update.name) status.updatedReplicas!++;
  }
  // Every pod at the update revision and Ready: the update revision is now the current one.
  const rolling = (set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  if (rolling && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision;
  }
  return status;
}
