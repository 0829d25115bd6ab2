/**
 * What NodeResourcesFit's scoring and BalancedAllocation share: for each scored resource, how much
 * the node has (allocatable) and how much it would have requested with the pod on it.
 *
 * Kubernetes' rules: `nonZero` scoring (NodeResourcesFit) counts a container without a cpu/memory
 * request as 100m/200Mi, so empty pods still spread; BalancedAllocation counts real requests. An
 * extended resource the pod does not request, or one the node does not have, is left out.
 */
import type { NodeInfo, PodInfo } from '../framework/node-info.js';

export interface ResourceSpec {
  name: string;
  weight: number;
}

/** Kubernetes' default for both plugins: cpu and memory, equally weighted. */
export const DEFAULT_RESOURCES: readonly ResourceSpec[] = [
  { name: 'cpu', weight: 1 },
  { name: 'memory', weight: 1 },
];

/** cpu and memory with equal weights (the default): the scores' fast path applies. */
export function isCpuAndMemory(specs: readonly ResourceSpec[]): boolean {
  return (
    specs.length === 2 &&
    specs[0]!.name === 'cpu' &&
    specs[1]!.name === 'memory' &&
    specs[0]!.weight === specs[1]!.weight
  );
}

export interface ScoredResource {
  weight: number;
  /** An extended (scalar) resource: left out when the pod does not request it. */
  scalar: boolean;
  /** The pod's request for this resource; 0 for an unrequested extended resource. */
  podRequest(pod: PodInfo): number;
  /** 0 when the resource should not be scored on this node. */
  allocatable(node: NodeInfo): number;
  /** What the node's pods already request. */
  requested(node: NodeInfo): number;
}

/** Compiles resource names once, so scoring a node is a few field reads per resource. */
export function scoredResources(specs: readonly ResourceSpec[], nonZero: boolean): ScoredResource[] {
  return specs.map(({ name, weight }) => {
    if (!Number.isInteger(weight) || weight < 1 || weight > 100)
      throw new Error(`resource ${name}: weight must be an integer from 1 to 100, got ${weight}`);
    switch (name) {
      case 'cpu':
        return {
          weight,
          scalar: false,
          podRequest: nonZero ? (p) => p.nonZeroRequests.milliCpu : (p) => p.requests.milliCpu,
          allocatable: (n) => n.allocatableMilliCpu,
          requested: nonZero ? (n) => n.nonZeroMilliCpu : (n) => n.requestedMilliCpu,
        };
      case 'memory':
        return {
          weight,
          scalar: false,
          podRequest: nonZero ? (p) => p.nonZeroRequests.memory : (p) => p.requests.memory,
          allocatable: (n) => n.allocatableMemory,
          requested: nonZero ? (n) => n.nonZeroMemory : (n) => n.requestedMemory,
        };
      case 'ephemeral-storage':
        return {
          weight,
          scalar: false,
          podRequest: (p) => p.requests.ephemeralStorage,
          allocatable: (n) => n.allocatable.ephemeralStorage,
          requested: (n) => n.requested.ephemeralStorage,
        };
      default:
        return {
          weight,
          scalar: true,
          podRequest: (p) => p.requests.scalar[name] ?? 0,
          allocatable: (n) => n.allocatable.scalar[name] ?? 0,
          requested: (n) => n.requested.scalar[name] ?? 0,
        };
    }
  });
}
