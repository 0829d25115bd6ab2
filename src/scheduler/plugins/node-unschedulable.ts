/**
 * NodeUnschedulable: a cordoned node (`spec.unschedulable: true`) takes no new pods, except pods
 * that tolerate the `node.kubernetes.io/unschedulable:NoSchedule` taint (DaemonSet pods do).
 * Preempting pods there would not help, so the rejection is unresolvable.
 */
import type { Toleration } from 'kubernetes-types/core/v1.js';
import type { NodeInfo, PodInfo } from '../framework/node-info.js';
import { type CycleState, type FilterPlugin, fixedStatus, type Result } from '../framework/types.js';

export const UNSCHEDULABLE_TAINT_KEY = 'node.kubernetes.io/unschedulable';
export const REASON = 'node(s) were unschedulable';

const rejected = fixedStatus('UnschedulableAndUnresolvable', REASON);

/** Kubernetes' Toleration.ToleratesTaint for a taint with no value. */
function toleratesUnschedulable(t: Toleration): boolean {
  if (t.effect && t.effect !== 'NoSchedule') return false;
  if (t.key && t.key !== UNSCHEDULABLE_TAINT_KEY) return false;
  if (t.operator === 'Exists') return true;
  return (t.operator === undefined || t.operator === 'Equal') && !t.value;
}

export const nodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    if (!node.unschedulable) return undefined;
    // Only cordoned nodes get here, so reading the tolerations each time costs nothing in bulk.
    if (pod.pod.spec?.tolerations?.some(toleratesUnschedulable)) return undefined;
    return rejected;
  },
};
