/**
 * The scheduler framework's contract: what a plugin is, what it sees and what it answers.
 *
 * A pod is placed in one scheduling cycle:
 *
 *   preFilter (once per pod) ─▶ filter (per node) ─▶ [no node fits? postFilter: preemption]
 *        ─▶ preScore (once, over the feasible nodes) ─▶ score (per feasible node) ─▶ normalize ─▶ pick ─▶ bind
 *
 * Plugins are small and pure: they read the pod (`PodInfo`), the node (`NodeInfo`) and the cluster
 * (`Snapshot`), and keep per-cycle data in `CycleState` (computed once in preFilter/preScore, read
 * in filter/score). Which plugins run, in what order and with what weights, is decided in one
 * place, `pipeline.ts`. Shapes follow Kubernetes' scheduler framework so its documentation
 * explains ours; statuses carry the human reasons that end up in FailedScheduling events.
 */
import type { NodeInfo, PodInfo } from './node-info.js';

/**
 * Kubernetes' status codes. `Unschedulable`: this node does not fit now but could after a cluster
 * change or preemption. `UnschedulableAndUnresolvable`: preempting pods on this node would not
 * help (node selector, taints, node name). `Skip` (from preFilter/preScore only): the plugin has
 * nothing to do for this pod, so its filter/score is not called.
 */
export type Code = 'Success' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error' | 'Skip';

/** What a plugin answers. Success is `undefined` (no allocation on the hot path). */
export interface Status {
  code: Exclude<Code, 'Success'>;
  /** Human reasons, each counted per node in "0/5 nodes are available: 3 Insufficient cpu, ...". */
  reasons: string[];
  /** The plugin that answered (set by the framework when the plugin leaves it out). */
  plugin?: string;
}

export type Result = Status | undefined;

export const unschedulable = (...reasons: string[]): Status => ({ code: 'Unschedulable', reasons });
export const unresolvable = (...reasons: string[]): Status => ({
  code: 'UnschedulableAndUnresolvable',
  reasons,
});
/**
 * A status made once and shared by every node it rejects, for a plugin's fixed reasons: a filter
 * that rejects thousands of nodes per cycle then allocates nothing per node.
 */
export const fixedStatus = (code: 'Unschedulable' | 'UnschedulableAndUnresolvable', reason: string): Status =>
  Object.freeze({ code, reasons: Object.freeze([reason]) as string[] }) as Status;
export const skip: Status = Object.freeze({ code: 'Skip', reasons: [] }) as Status;
export const failure = (reason: string): Status => ({ code: 'Error', reasons: [reason] });

/** Per-cycle scratch space shared by a pod's plugins; cloned when preemption simulates removals. */
export class CycleState {
  private readonly data = new Map<string, unknown>();

  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }

  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }

  /**
   * A copy for a what-if (preemption). Values that plugins change in `PreFilterExtensions` must
   * implement `clone()`; other values are shared.
   */
  clone(): CycleState {
    const copy = new CycleState();
    for (const [k, v] of this.data) {
      const c = v as { clone?: () => unknown } | null;
      copy.data.set(k, c && typeof c.clone === 'function' ? c.clone() : v);
    }
    return copy;
  }
}

/** The cluster as one scheduling cycle sees it: every node with the pods on it. Read-only. */
export interface Snapshot {
  /** All nodes, in a stable order. */
  readonly nodes: readonly NodeInfo[];
  get(nodeName: string): NodeInfo | undefined;
  /** Nodes with at least one pod that has pod affinity or anti-affinity terms. */
  readonly nodesWithAffinityPods: readonly NodeInfo[];
  /** Nodes with at least one pod that has required anti-affinity terms. */
  readonly nodesWithRequiredAntiAffinityPods: readonly NodeInfo[];
  /** A namespace's labels (for `namespaceSelector` in pod affinity terms); undefined when unknown. */
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
}

export interface Plugin {
  readonly name: string;
}

/**
 * Lets preemption ask "what if this pod were added to / removed from that node" of a plugin whose
 * preFilter precomputed cluster-wide counts (inter-pod affinity, topology spread).
 */
export interface PreFilterExtensions {
  addPod(state: CycleState, pod: PodInfo, added: PodInfo, node: NodeInfo): Result;
  removePod(state: CycleState, pod: PodInfo, removed: PodInfo, node: NodeInfo): Result;
}

export interface PreFilterPlugin extends Plugin {
  /**
   * Once per pod, before any filter. A non-success status rejects the pod on every node (with the
   * status' reasons); `skip` means this plugin's filter need not run for this pod.
   */
  preFilter(state: CycleState, pod: PodInfo, snapshot: Snapshot): Result;
  readonly extensions?: PreFilterExtensions;
}

export interface FilterPlugin extends Plugin {
  /** Does `pod` fit `node`? Called only for nodes that passed the earlier filters. */
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Result;
}

export interface ScorePlugin extends Plugin {
  /** Once per pod over the feasible nodes; `skip` means score is not called for this pod. */
  preScore?(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], snapshot: Snapshot): Result;
  /** A node's score: 0..100 (MAX_NODE_SCORE) unless the plugin normalizes. */
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /** Rescales the raw scores of all feasible nodes (same order as `nodes`) in place to 0..100. */
  normalize?(state: CycleState, pod: PodInfo, scores: number[]): void;
}

export const MAX_NODE_SCORE = 100;

/**
 * The filter half of the pipeline as one callable, for preemption's what-ifs: run every filter on
 * a (cloned) node, and keep the preFilter plugins' precomputed state true as pods are removed
 * from or added back to that node.
 */
export interface FilterRunner {
  /** Every filter plugin in pipeline order on `node`; the first failure is the answer. */
  runFilters(state: CycleState, pod: PodInfo, node: NodeInfo): Result;
  /** Calls each preFilter plugin's `extensions.removePod`. */
  removePod(state: CycleState, pod: PodInfo, removed: PodInfo, node: NodeInfo): Result;
  /** Calls each preFilter plugin's `extensions.addPod`. */
  addPod(state: CycleState, pod: PodInfo, added: PodInfo, node: NodeInfo): Result;
}

/** What preemption proposes: make room on `nodeName` by evicting `victims` (lowest priority first). */
export interface Preemption {
  nodeName: string;
  victims: PodInfo[];
}

/**
 * Runs when no node fits (Kubernetes' PostFilter): preemption. `rejected` holds every node's
 * filter status. `message` is appended to the FailedScheduling message, e.g.
 * "preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod.".
 */
export type PostFilter = (
  state: CycleState,
  pod: PodInfo,
  snapshot: Snapshot,
  rejected: ReadonlyMap<string, Status>,
  runner: FilterRunner,
) => { preemption?: Preemption; message: string };
