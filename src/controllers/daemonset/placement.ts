/**
 * Which nodes a DaemonSet's pod belongs on, and the pod it gets there — Kubernetes'
 * NodeShouldRunDaemonPod and the pod it builds since 1.12: the controller pins each pod to its
 * node with required node affinity on `metadata.name` and lets the default scheduler bind it, so
 * pods reach nodes only through the scheduler and its resource checks.
 *
 * The node-fit checks are the scheduler's own NodeAffinity and TaintToleration predicates (as
 * Kubernetes' controller calls them), so the two can never disagree about a node.
 */
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, NodeSelectorTerm, Pod, PodSpec, Toleration } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/object.js';
import {
  TAINT_DISK_PRESSURE,
  TAINT_MEMORY_PRESSURE,
  TAINT_NOT_READY,
  TAINT_PID_PRESSURE,
  TAINT_UNREACHABLE,
  TAINT_UNSCHEDULABLE,
} from '../../api/taints.js';
import { NodeInfo, PodInfo } from '../../scheduler/framework/node-info.js';
import { matchesRequiredNodeAffinity, requiredNodeAffinity } from '../../scheduler/plugins/node-affinity.js';
import { tolerated } from '../../scheduler/plugins/taint-toleration.js';
import { podFromTemplate } from '../framework/pod-control.js';
import { REVISION_HASH_LABEL } from '../workloads/revisions.js';

/** The deprecated label Kubernetes still puts on DaemonSet pods: the DaemonSet's generation. */
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';

/**
 * The tolerations every DaemonSet pod gets (Kubernetes' AddOrUpdateDaemonPodTolerations): a
 * daemon belongs on its node even when the node is unreachable, short of resources or cordoned.
 * The NoExecute ones have no tolerationSeconds: a daemon pod is never evicted for them.
 */
export const DAEMON_TOLERATIONS: readonly Toleration[] = [
  { key: TAINT_NOT_READY, operator: 'Exists', effect: 'NoExecute' },
  { key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' },
  { key: TAINT_DISK_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
  { key: TAINT_MEMORY_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
  { key: TAINT_PID_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
  { key: TAINT_UNSCHEDULABLE, operator: 'Exists', effect: 'NoSchedule' },
];

/** `tolerations` plus the daemon tolerations it lacks (one already there for the same key and effect wins). */
export function withDaemonTolerations(tolerations: readonly Toleration[] | undefined): Toleration[] {
  const out = [...(tolerations ?? [])];
  for (const t of DAEMON_TOLERATIONS) {
    if (!out.some((o) => o.key === t.key && o.effect === t.effect)) out.push({ ...t });
  }
  return out;
}

export interface NodeFit {
  /** A pod should be created on the node. */
  shouldRun: boolean;
  /** A pod already on the node may stay (a NoSchedule taint added later does not evict it). */
  shouldContinueRunning: boolean;
}

/** Whether `ds`'s pod belongs on `node` (NodeShouldRunDaemonPod). */
export function nodeFit(ds: DaemonSet, node: Node): NodeFit {
  const spec = ds.spec?.template?.spec;
  const nodeName = spec?.nodeName;
  if (nodeName && nodeName !== node.metadata?.name) return { shouldRun: false, shouldContinueRunning: false };
  const probe: Pod = { spec: { ...(spec ?? { containers: [] }), nodeName: undefined } as PodSpec };
  if (!matchesRequiredNodeAffinity(requiredNodeAffinity(new PodInfo(probe)), new NodeInfo(node))) {
    return { shouldRun: false, shouldContinueRunning: false };
  }
  const tolerations = withDaemonTolerations(spec?.tolerations);
  let fit: NodeFit = { shouldRun: true, shouldContinueRunning: true };
  for (const taint of node.spec?.taints ?? []) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (tolerated(tolerations, taint)) continue;
    if (taint.effect === 'NoExecute') return { shouldRun: false, shouldContinueRunning: false };
    fit = { shouldRun: false, shouldContinueRunning: true };
  }
  return fit;
}

/**
 * The node a daemon pod is for: where it is bound, or, before the scheduler binds it, the node its
 * `metadata.name` affinity names (Kubernetes' GetTargetNodeName).
 */
export function targetNodeOf(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    for (const f of term.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}

/**
 * Required node affinity that admits only `nodeName` (ReplaceDaemonSetPodNodeNameNodeAffinity):
 * every existing required term keeps its label expressions and gets `metadata.name In [nodeName]`
 * as its only field expression; with no terms, one term with just that.
 */
function pinTerms(terms: readonly NodeSelectorTerm[] | undefined, nodeName: string): NodeSelectorTerm[] {
  const pin = [{ key: 'metadata.name', operator: 'In', values: [nodeName] }];
  if (!terms || terms.length === 0) return [{ matchFields: pin }];
  return terms.map((t) => ({ ...structuredClone(t), matchFields: structuredClone(pin) }));
}

/** The pod `ds` runs on `nodeName`, from its template, labelled with the revision `hash`. */
export function newDaemonPod(ds: DaemonSet, nodeName: string, hash: string): Pod {
  const pod = podFromTemplate(ds.spec!.template, ds as unknown as KubeObject);
  const labels: Record<string, string> = { ...(pod.metadata!.labels ?? {}), [REVISION_HASH_LABEL]: hash };
  if (ds.metadata?.generation !== undefined)
    labels[TEMPLATE_GENERATION_LABEL] = String(ds.metadata.generation);
  pod.metadata!.labels = labels;
  const spec = pod.spec!;
  spec.tolerations = withDaemonTolerations(spec.tolerations);
  const nodeAffinity = spec.affinity?.nodeAffinity;
  spec.affinity = {
    ...(spec.affinity ?? {}),
    nodeAffinity: {
      ...(nodeAffinity ?? {}),
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: pinTerms(
          nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
          nodeName,
        ),
      },
    },
  };
  return pod;
}
