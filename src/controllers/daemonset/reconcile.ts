/**
 * The DaemonSet controller's decisions, pure (ARCHITECTURE principle 5): from the DaemonSet, the
 * nodes, the DaemonSet's pods and the hash of its current revision, which nodes get a new pod,
 * which pods go, and the status — Kubernetes' manage, rollingUpdate and updateDaemonSetStatus.
 *
 * Per node (pods mapped to nodes by targetNodeOf, so a pod the scheduler has not bound yet counts
 * for its node and is never created twice):
 * - the pod belongs and the node has none running → create one (from the current revision);
 * - a Failed pod → delete it (its replacement comes once it is gone);
 * - more than one pod → keep the oldest (during a surge rollout, the oldest old and oldest new);
 * - the pod no longer belongs (labels, affinity, an untolerated NoExecute taint) → delete them all.
 * Unbound pods whose node is gone are deleted too: the scheduler could never bind them.
 *
 * RollingUpdate replaces out-of-date pods within budgets resolved against desiredNumberScheduled
 * (percentages round up; both 0 means maxUnavailable 1): with maxSurge 0, delete up to
 * maxUnavailable available old pods at a time (unavailable old pods go at once, they cost
 * nothing); with maxSurge > 0, start up to maxSurge new pods next to available old ones and delete
 * each old pod once its new pod is available. OnDelete replaces nothing: new pods only come where
 * a user deleted the old one.
 */
import type { DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { scaledValue } from '../../api/int-or-percent.js';
import {
  earliest,
  isPodAvailable,
  isPodReady,
  isTerminal,
  msUntilAvailable,
  olderFirst,
} from '../framework/pods.js';
import { REVISION_HASH_LABEL } from '../workloads/revisions.js';
import { nodeFit, targetNodeOf } from './placement.js';

export interface DaemonSetInput {
  ds: DaemonSet;
  nodes: readonly Node[];
  /** The DaemonSet's pods (owned after claiming), terminating ones included. */
  pods: readonly Pod[];
  /** The hash of the revision the current template is (its pods' controller-revision-hash). */
  hash: string;
  nowMs: number;
}

export interface DaemonSetPlan {
  /** Nodes to create a current pod on. */
  create: string[];
  /** Pods to delete, each with why (for the log and events). */
  delete: { pod: Pod; reason: 'failed' | 'misscheduled' | 'excess' | 'orphaned' | 'update' }[];
  status: DaemonSetStatus;
  /** Look again after this long: a Ready pod becomes available (minReadySeconds). */
  requeueAfterMs?: number;
}

/** The rolling-update budgets (util.UnavailableCount / SurgeCount). */
export function rollingBudgets(ds: DaemonSet, desired: number): { maxSurge: number; maxUnavailable: number } {
  const ru = ds.spec?.updateStrategy?.rollingUpdate;
  const maxSurge = scaledValue(ru?.maxSurge as number | string | undefined, desired, true, 0);
  let maxUnavailable = scaledValue(ru?.maxUnavailable as number | string | undefined, desired, true, 1);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

const isUpdated = (pod: Pod, hash: string) => pod.metadata?.labels?.[REVISION_HASH_LABEL] === hash;

export function planDaemonSet(input: DaemonSetInput): DaemonSetPlan {
  const { ds, nodes, hash, nowMs } = input;
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const available = (p: Pod) => isPodAvailable(p, minReady, nowMs);
  const rolling = (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

  const byNode = new Map<string, Pod[]>();
  for (const pod of input.pods) {
    const node = targetNodeOf(pod);
    if (node === undefined) continue;
    const list = byNode.get(node);
    if (list) list.push(pod);
    else byNode.set(node, [pod]);
  }
  for (const list of byNode.values()) list.sort(olderFirst);

  const fits = new Map(nodes.map((n) => [n.metadata!.name!, nodeFit(ds, n)]));
  const desired = [...fits.values()].filter((f) => f.shouldRun).length;
  const { maxSurge, maxUnavailable } = rollingBudgets(ds, desired);
  const surging = rolling && maxSurge > 0;

  const plan: DaemonSetPlan = { create: [], delete: [], status: {} as DaemonSetStatus };
  const deleting = new Set<Pod>();
  const del = (pod: Pod, reason: DaemonSetPlan['delete'][number]['reason']) => {
    if (deleting.has(pod)) return;
    deleting.add(pod);
    plan.delete.push({ pod, reason });
  };

  // ---- manage: the right number of pods on the right nodes ----
  for (const node of nodes) {
    const name = node.metadata!.name!;
    const fit = fits.get(name)!;
    const pods = byNode.get(name) ?? [];
    if (!fit.shouldContinueRunning) {
      for (const p of pods) if (!p.metadata?.deletionTimestamp) del(p, 'misscheduled');
      continue;
    }
    const running: Pod[] = [];
    for (const p of pods) {
      if (p.metadata?.deletionTimestamp) continue;
      if (p.status?.phase === 'Failed') del(p, 'failed');
      else running.push(p);
    }
    if (running.length === 0) {
      // A failed pod's replacement waits for it to go, so the node never runs two.
      if (fit.shouldRun && pods.every((p) => !deleting.has(p))) plan.create.push(name);
      continue;
    }
    if (running.length > 1) {
      const keep = new Set<Pod>();
      if (surging) {
        const oldest = (updated: boolean) => running.find((p) => isUpdated(p, hash) === updated);
        for (const p of [oldest(false), oldest(true)]) if (p) keep.add(p);
      } else {
        keep.add(running[0]!);
      }
      for (const p of running) if (!keep.has(p)) del(p, 'excess');
    }
  }
  const nodeNames = new Set(fits.keys());
  for (const [node, pods] of byNode) {
    if (nodeNames.has(node)) continue;
    for (const p of pods) if (!p.spec?.nodeName && !p.metadata?.deletionTimestamp) del(p, 'orphaned');
  }

  // ---- rollingUpdate: replace out-of-date pods within the budgets ----
  if (rolling) {
    const candidates: Pod[] = [];
    const createNow: string[] = [];
    const surgeCandidates: string[] = [];
    let unavailable = 0;
    let surge = 0;
    for (const node of nodes) {
      const name = node.metadata!.name!;
      if (!fits.get(name)!.shouldRun && !fits.get(name)!.shouldContinueRunning) continue;
      const live = (byNode.get(name) ?? []).filter((p) => !p.metadata?.deletionTimestamp && !deleting.has(p));
      const fresh = live.filter((p) => isUpdated(p, hash));
      const old = live.filter((p) => !isUpdated(p, hash));
      // Two of a kind: manage is still sorting the node out.
      if (fresh.length > 1 || old.length > 1) continue;
      const [newPod] = fresh;
      const [oldPod] = old;
      if (!surging) {
        if (newPod) {
          if (!available(newPod)) unavailable++;
        } else if (oldPod) {
          if (!available(oldPod)) del(oldPod, 'update');
          else candidates.push(oldPod);
        } else if (fits.get(name)!.shouldRun) {
          unavailable++;
        }
        continue;
      }
      if (!oldPod) continue;
      if (!newPod) {
        if (!fits.get(name)!.shouldRun) continue;
        if (!available(oldPod)) createNow.push(name);
        else surgeCandidates.push(name);
      } else if (available(newPod)) {
        del(oldPod, 'update');
      } else {
        surge++;
      }
    }
    if (!surging) {
      // Unavailable old pods deleted above already cost their node; count them once.
      const freed = plan.delete.filter((d) => d.reason === 'update').length;
      const budget = Math.max(0, maxUnavailable - unavailable - freed);
      for (const p of candidates.slice(0, budget)) del(p, 'update');
    } else {
      const budget = Math.max(0, maxSurge - surge);
      plan.create.push(...createNow, ...surgeCandidates.slice(0, budget));
    }
  }

  // ---- status: the oldest pod on each node counts ----
  const scheduled: Pod[] = [];
  let numberMisscheduled = 0;
  for (const node of nodes) {
    const name = node.metadata!.name!;
    const pods = (byNode.get(name) ?? []).filter((p) => !(p.metadata?.deletionTimestamp && isTerminal(p)));
    if (fits.get(name)!.shouldRun) {
      if (pods[0]) scheduled.push(pods[0]);
    } else if (pods.length > 0) {
      numberMisscheduled++;
    }
  }
  const ready = scheduled.filter(isPodReady);
  // How long until each Ready pod is available (0: it is).
  const waits = ready.map((p) => msUntilAvailable(p, minReady, nowMs)!);
  const numberAvailable = waits.filter((w) => w === 0).length;
  plan.status = {
    currentNumberScheduled: scheduled.length,
    desiredNumberScheduled: desired,
    numberMisscheduled,
    numberReady: ready.length,
    numberAvailable,
    numberUnavailable: desired - numberAvailable,
    updatedNumberScheduled: scheduled.filter((p) => isUpdated(p, hash)).length,
    ...(ds.metadata?.generation !== undefined ? { observedGeneration: ds.metadata.generation } : {}),
  };
  const requeue = earliest(...waits.filter((w) => w > 0));
  if (requeue !== undefined) plan.requeueAfterMs = requeue;
  return plan;
}
