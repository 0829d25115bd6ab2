/**
 * NodeResourcesFit: does the node have room for the pod's requests (cpu, memory,
 * ephemeral-storage, extended resources such as `nvidia.com/gpu`, and the pod count)? And, as a
 * score, how full would the node be: LeastAllocated (the default) prefers emptier nodes and so
 * spreads; MostAllocated (the bin-packing profile) prefers fuller nodes.
 *
 * Reasons are Kubernetes' ("Insufficient cpu", "Too many pods", "Insufficient nvidia.com/gpu").
 * When the pod asks for more than the node has in total, evicting pods would not help, so the
 * rejection is unresolvable and preemption skips the node.
 */
import type { NodeInfo, PodInfo } from '../framework/node-info.js';
import {
  type CycleState,
  type FilterPlugin,
  MAX_NODE_SCORE,
  type Result,
  type ScorePlugin,
  type Status,
} from '../framework/types.js';
import {
  DEFAULT_RESOURCES,
  isCpuAndMemory,
  type ResourceSpec,
  scoredResources,
} from './resource-allocation.js';

export const NAME = 'NodeResourcesFit';

export type ScoringStrategy = 'LeastAllocated' | 'MostAllocated';

export interface NodeResourcesFitOptions {
  scoring?: ScoringStrategy;
  /** Resources the score looks at, with weights (default cpu and memory, 1 each). */
  resources?: readonly ResourceSpec[];
}

const TOO_MANY_PODS = 1;
const CPU = 2;
const MEMORY = 4;
const EPHEMERAL = 8;
const UNRESOLVABLE = 16;

/** One frozen Status per combination of the built-in reasons: a full cluster allocates nothing per node. */
const statusCache = new Map<number, Status>();

function builtinStatus(mask: number): Status {
  let s = statusCache.get(mask);
  if (!s) {
    const reasons: string[] = [];
    if (mask & TOO_MANY_PODS) reasons.push('Too many pods');
    if (mask & CPU) reasons.push('Insufficient cpu');
    if (mask & MEMORY) reasons.push('Insufficient memory');
    if (mask & EPHEMERAL) reasons.push('Insufficient ephemeral-storage');
    s = Object.freeze({
      code: mask & UNRESOLVABLE ? 'UnschedulableAndUnresolvable' : 'Unschedulable',
      reasons: Object.freeze(reasons) as string[],
      plugin: NAME,
    }) as Status;
    statusCache.set(mask, s);
  }
  return s;
}

/**
 * The pod's extended resources, remembered for the last pod asked about: the filter runs for one
 * pod over hundreds of nodes in a row, and enumerating an object's keys per node is the costliest
 * part of the check.
 */
let lastPod: PodInfo | undefined;
let lastScalars: string[] = [];

function scalarNames(pod: PodInfo): string[] {
  if (pod !== lastPod) {
    lastPod = pod;
    lastScalars = Object.keys(pod.requests.scalar).filter((name) => pod.requests.scalar[name] !== 0);
  }
  return lastScalars;
}

/** The filter on its own, for callers that only need "does it fit" (preemption, tests). */
function fitsRequest(pod: PodInfo, node: NodeInfo): Result {
  const req = pod.requests;
  let mask = 0;
  // The free amounts are allocatable − requested; `allocatable` is read only to tell whether a
  // rejection is unresolvable.
  if (node.freePods < 1) mask |= TOO_MANY_PODS;
  if (req.milliCpu > 0 && req.milliCpu > node.freeMilliCpu) {
    mask |= CPU;
    if (req.milliCpu > node.allocatable.milliCpu) mask |= UNRESOLVABLE;
  }
  if (req.memory > 0 && req.memory > node.freeMemory) {
    mask |= MEMORY;
    if (req.memory > node.allocatable.memory) mask |= UNRESOLVABLE;
  }
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > node.freeEphemeralStorage) {
    mask |= EPHEMERAL;
    if (req.ephemeralStorage > node.allocatable.ephemeralStorage) mask |= UNRESOLVABLE;
  }
  let scalarReasons: string[] | undefined;
  const scalars = scalarNames(pod);
  for (let i = 0; i < scalars.length; i++) {
    const name = scalars[i]!;
    const want = req.scalar[name]!;
    const has = node.allocatable.scalar[name] ?? 0;
    if (want > has - (node.requested.scalar[name] ?? 0)) {
      scalarReasons ??= [];
      scalarReasons.push(`Insufficient ${name}`);
      if (want > has) mask |= UNRESOLVABLE;
    }
  }
  if (scalarReasons) {
    const base = builtinStatus(mask);
    return { code: base.code, reasons: [...base.reasons, ...scalarReasons], plugin: NAME };
  }
  return mask === 0 ? undefined : builtinStatus(mask);
}

function leastRequested(requested: number, capacity: number): number {
  if (requested > capacity) return 0;
  return Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

function mostRequested(requested: number, capacity: number): number {
  // Pods without requests count as 100m/200Mi, so `requested` can exceed capacity.
  return Math.floor((Math.min(requested, capacity) * MAX_NODE_SCORE) / capacity);
}

export function nodeResourcesFit(options: NodeResourcesFitOptions = {}): FilterPlugin & ScorePlugin {
  const scoring = options.scoring ?? 'LeastAllocated';
  const scorer = scoring === 'LeastAllocated' ? leastRequested : mostRequested;
  const specs = options.resources ?? DEFAULT_RESOURCES;
  const resources = scoredResources(specs, true);
  const cpuAndMemory = isCpuAndMemory(specs);
  return {
    name: NAME,
    filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Result {
      return fitsRequest(pod, node);
    },
    score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
      // The default (cpu and memory, equal weights) with field reads instead of per-resource
      // calls: it runs for hundreds of nodes per pod. Weights are equal, so the mean is theirs.
      if (cpuAndMemory) {
        const cpuCap = node.allocatableMilliCpu;
        const memCap = node.allocatableMemory;
        if (cpuCap !== 0 && memCap !== 0)
          return Math.floor(
            (scorer(node.nonZeroMilliCpu + pod.nonZeroRequests.milliCpu, cpuCap) +
              scorer(node.nonZeroMemory + pod.nonZeroRequests.memory, memCap)) /
              2,
          );
      }
      let total = 0;
      let weights = 0;
      for (const r of resources) {
        const podRequest = r.podRequest(pod);
        const capacity = r.allocatable(node);
        if (capacity === 0 || (podRequest === 0 && r.scalar)) continue;
        total += scorer(r.requested(node) + podRequest, capacity) * r.weight;
        weights += r.weight;
      }
      return weights === 0 ? 0 : Math.floor(total / weights);
    },
  };
}
