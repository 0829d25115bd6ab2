/**
 * NodeName: a pod that names its node (`spec.nodeName`) fits only that node. The scheduler only
 * picks up pods without one, so this matters when preemption or a simulation asks "would this
 * pod fit there?" for a pod that already names a node.
 */
import type { NodeInfo, PodInfo } from '../framework/node-info.js';
import { type CycleState, type FilterPlugin, fixedStatus, type Result } from '../framework/types.js';

export const REASON = "node(s) didn't match the requested node name";

const rejected = fixedStatus('UnschedulableAndUnresolvable', REASON);

export const nodeName: FilterPlugin = {
  name: 'NodeName',
  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    const wanted = pod.pod.spec?.nodeName;
    return !wanted || wanted === node.name ? undefined : rejected;
  },
};
