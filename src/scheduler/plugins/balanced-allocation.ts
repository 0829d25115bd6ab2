/**
 * NodeResourcesBalancedAllocation: prefers nodes whose resources would be used evenly with the pod
 * on them (cpu 60% and memory 60% beats cpu 90% and memory 10%), so no resource strands the
 * others. Score = (1 − standard deviation of the used fractions) × 100, from real requests.
 * Pods that request nothing are not scored (Kubernetes #129138: they would all pile on one node).
 */
import type { NodeInfo, PodInfo } from '../framework/node-info.js';
import { type CycleState, MAX_NODE_SCORE, type Result, type ScorePlugin, skip } from '../framework/types.js';
import {
  DEFAULT_RESOURCES,
  isCpuAndMemory,
  type ResourceSpec,
  scoredResources,
} from './resource-allocation.js';

export const NAME = 'NodeResourcesBalancedAllocation';

export function balancedAllocation(resourceSpecs: readonly ResourceSpec[] = DEFAULT_RESOURCES): ScorePlugin {
  const resources = scoredResources(resourceSpecs, false);
  const cpuAndMemory = isCpuAndMemory(resourceSpecs);
  // Reused between calls: scoring runs synchronously, one node at a time.
  const fractions = new Float64Array(resources.length);
  return {
    name: NAME,
    preScore(_state: CycleState, pod: PodInfo): Result {
      for (const r of resources) if (r.podRequest(pod) !== 0) return undefined;
      return skip;
    },
    score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
      // The default (cpu and memory) with field reads: the deviation of two is half their gap.
      if (cpuAndMemory) {
        const cpuCap = node.allocatableMilliCpu;
        const memCap = node.allocatableMemory;
        if (cpuCap !== 0 && memCap !== 0) {
          const cpu = Math.min(1, (node.requestedMilliCpu + pod.requests.milliCpu) / cpuCap);
          const mem = Math.min(1, (node.requestedMemory + pod.requests.memory) / memCap);
          return Math.trunc((1 - Math.abs(cpu - mem) / 2) * MAX_NODE_SCORE);
        }
      }
      let n = 0;
      let sum = 0;
      for (let i = 0; i < resources.length; i++) {
        const r = resources[i]!;
        const podRequest = r.podRequest(pod);
        const capacity = r.allocatable(node);
        if (capacity === 0 || (podRequest === 0 && r.scalar)) continue;
        const f = Math.min(1, (r.requested(node) + podRequest) / capacity);
        fractions[n++] = f;
        sum += f;
      }
      let std = 0;
      if (n === 2) std = Math.abs(fractions[0]! - fractions[1]!) / 2;
      else if (n > 2) {
        const mean = sum / n;
        let sq = 0;
        for (let i = 0; i < n; i++) sq += (fractions[i]! - mean) ** 2;
        std = Math.sqrt(sq / n);
      }
      return Math.trunc((1 - std) * MAX_NODE_SCORE);
    },
  };
}
