/**
 * NodeUnschedulable: a cordoned node (`spec.unschedulable: true`) takes no new pods, except pods
 * that tolerate the `node.kubernetes.io/unschedulable:NoSchedule` taint (DaemonSet pods do).
 * Preempting pods there would not help, so the rejection is unresolvable.
 */
import type { Taint } from 'kubernetes-types/core/v1.js';
import { TAINT_UNSCHEDULABLE } from '../../api/taints.js';
import type { NodeInfo, PodInfo } from '../framework/node-info.js';
import { type CycleState, type FilterPlugin, fixedStatus, type Result } from '../framework/types.js';
import { tolerated } from './taint-toleration.js';

/** The taint a cordoned node behaves as if it had (Kubernetes' TaintNodeUnschedulable). */
const UNSCHEDULABLE_TAINT: Taint = { key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' };

export const REASON = 'node(s) were unschedulable';

const rejected = fixedStatus('UnschedulableAndUnresolvable', REASON);

export const nodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    if (!node.unschedulable) return undefined;
    // Only cordoned nodes get here, so reading the tolerations each time costs nothing in bulk.
    if (tolerated(pod.pod.spec?.tolerations ?? [], UNSCHEDULABLE_TAINT)) return undefined;
    return rejected;
  },
};
