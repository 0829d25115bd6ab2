/**
 * The scheduling pipeline: the one place that says which plugins run, in what order, with what
 * weights, and how a cycle goes from a pod to a node. See README.md for the picture.
 *
 * To add a plugin, add one line to `registrations` below: the plugin object (any mix of
 * preFilter / filter / preScore+score), its score weight, and the cluster events that can undo
 * its rejections (which wake parked pods; see cluster-events.ts).
 */
import { ALL_EVENTS, type ClusterEvent } from './cluster-events.js';
import { FitError } from './fit-error.js';
import type { NodeInfo, PodInfo } from './framework/node-info.js';
import {
  CycleState,
  type FilterPlugin,
  type FilterRunner,
  MAX_NODE_SCORE,
  type Plugin,
  type PostFilter,
  type Preemption,
  type PreFilterPlugin,
  type Result,
  type ScorePlugin,
  type Snapshot,
  type Status,
  skip,
} from './framework/types.js';
import { balancedAllocation } from './plugins/balanced-allocation.js';
import { IMAGE_LOCALITY_WEIGHT, ImageLocality } from './plugins/image-locality.js';
import { INTER_POD_AFFINITY_WEIGHT, InterPodAffinity } from './plugins/inter-pod-affinity.js';
import { NODE_AFFINITY_WEIGHT, NodeAffinity } from './plugins/node-affinity.js';
import { nodeName } from './plugins/node-name.js';
import { NodePorts } from './plugins/node-ports.js';
import { nodeResourcesFit } from './plugins/node-resources-fit.js';
import { nodeUnschedulable } from './plugins/node-unschedulable.js';
import { POD_TOPOLOGY_SPREAD_WEIGHT, PodTopologySpread } from './plugins/pod-topology-spread.js';
import { TAINT_TOLERATION_WEIGHT, TaintToleration } from './plugins/taint-toleration.js';
import type { ScoringProfile } from './profiles.js';

export interface Registration {
  plugin: Plugin;
  /** Score weight (Kubernetes' default profile); needed when the plugin scores. */
  weight?: number;
  /** Events that can turn this plugin's rejection into a pass; every event when left out. */
  events?: readonly ClusterEvent[];
}

/**
 * The plugins, in Kubernetes' default order and with its default weights. Filters run in this
 * order and stop at the first rejection, so cheap and decisive ones come first; the costly
 * cluster-wide ones (topology spread, inter-pod affinity) come last and skip pods without such
 * constraints in their preFilter.
 */
export function registrations(scoring: ScoringProfile = 'least-allocated'): Registration[] {
  return [
    // Cordoned nodes (spec.unschedulable), unless the pod tolerates the unschedulable taint.
    { plugin: nodeUnschedulable, events: ['NodeAdd', 'NodeSpecUnschedulable', 'NodeTaint'] },
    // spec.nodeName set by the user (without bypassing the scheduler).
    { plugin: nodeName, events: ['NodeAdd'] },
    // NoSchedule/NoExecute taints the pod does not tolerate; fewer PreferNoSchedule ones score higher.
    { plugin: TaintToleration, weight: TAINT_TOLERATION_WEIGHT, events: ['NodeAdd', 'NodeTaint'] },
    // nodeSelector and required node affinity; preferred node affinity scores.
    { plugin: NodeAffinity, weight: NODE_AFFINITY_WEIGHT, events: ['NodeAdd', 'NodeLabel'] },
    // hostPorts already taken on the node.
    { plugin: NodePorts, events: ['NodeAdd', 'AssignedPodDelete'] },
    // Requests against allocatable; LeastAllocated spreads, MostAllocated packs (the profile).
    {
      plugin: nodeResourcesFit({
        scoring: scoring === 'most-allocated' ? 'MostAllocated' : 'LeastAllocated',
      }),
      weight: 1,
      events: ['NodeAdd', 'NodeAllocatable', 'AssignedPodDelete'],
    },
    // maxSkew over topology domains (DoNotSchedule filters, ScheduleAnyway scores).
    {
      plugin: PodTopologySpread,
      weight: POD_TOPOLOGY_SPREAD_WEIGHT,
      events: [
        'AssignedPodAdd',
        'AssignedPodDelete',
        'AssignedPodLabel',
        'NodeAdd',
        'NodeDelete',
        'NodeLabel',
        'NodeTaint',
      ],
    },
    // Required pod affinity / anti-affinity (the pod's and existing pods'); preferred terms score.
    {
      plugin: InterPodAffinity,
      weight: INTER_POD_AFFINITY_WEIGHT,
      events: [
        'AssignedPodAdd',
        'AssignedPodDelete',
        'AssignedPodLabel',
        'NodeAdd',
        'NodeLabel',
        'NamespaceLabel',
      ],
    },
    // Scores only: even use of cpu and memory; images already on the node.
    { plugin: balancedAllocation(), weight: 1 },
    { plugin: ImageLocality, weight: IMAGE_LOCALITY_WEIGHT },
  ];
}

export type CycleResult =
  | { kind: 'scheduled'; nodeName: string; feasibleNodes: number; evaluatedNodes: number }
  | { kind: 'unschedulable'; error: FitError; preemption?: Preemption }
  | { kind: 'error'; message: string };

export interface PipelineOptions {
  /** Runs when no node fits (preemption); none by default. */
  postFilter?: PostFilter;
  /** Kubernetes' percentageOfNodesToScore; 0 (default) is adaptive: 50 − nodes/125, at least 5. */
  percentageOfNodesToScore?: number;
  /** Pods nominated to a node by preemption, which pods of lower priority must leave room for. */
  nominated?: (nodeName: string) => readonly PodInfo[] | undefined;
  /** Breaks ties between equally scored nodes (tests pass a fixed one). */
  random?: () => number;
}

/** At least this many feasible nodes are looked for before sampling stops (Kubernetes' minimum). */
const MIN_FEASIBLE_NODES = 100;
const MIN_FEASIBLE_PERCENTAGE = 5;
/** CycleState key: the filters this pod's preFilter did not skip. */
const ACTIVE_FILTERS = 'pipeline/activeFilters';

/** How many feasible nodes to find before stopping (Kubernetes' numFeasibleNodesToFind). */
export function feasibleNodesToFind(numAllNodes: number, percentage = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES) return numAllNodes;
  let p = percentage;
  if (p <= 0) p = Math.max(MIN_FEASIBLE_PERCENTAGE, 50 - Math.trunc(numAllNodes / 125));
  if (p >= 100) return numAllNodes;
  return Math.max(MIN_FEASIBLE_NODES, Math.trunc((numAllNodes * p) / 100));
}

const has = <K extends string>(p: Plugin, method: K): p is Plugin & Record<K, unknown> =>
  typeof (p as unknown as Record<string, unknown>)[method] === 'function';

export class Pipeline implements FilterRunner {
  readonly preFilters: PreFilterPlugin[] = [];
  readonly filters: FilterPlugin[] = [];
  readonly scorers: { plugin: ScorePlugin; weight: number }[] = [];
  private readonly interest = new Map<ClusterEvent, readonly string[]>();
  private readonly random: () => number;
  /** Where the next cycle starts looking, so sampling rotates through the cluster. */
  private nextStartNodeIndex = 0;
  // Scratch arrays reused by every cycle (a cycle runs synchronously, start to end).
  private feasible: NodeInfo[] = [];
  private readonly scores: number[][];
  private totals: number[] = [];
  /** The nodes this cycle's filters rejected and why, made into a map only when no node fits. */
  private rejectedNodes: NodeInfo[] = [];
  private rejectedStatuses: Status[] = [];
  /** Plugins' shared statuses with the plugin's name added, made once per status. */
  private readonly attributed = new WeakMap<Status, Status>();
  private lastShared: Status | undefined;
  private lastAttributed: Status | undefined;

  constructor(
    regs: readonly Registration[],
    private readonly options: PipelineOptions = {},
  ) {
    this.random = options.random ?? Math.random;
    for (const { plugin, weight } of regs) {
      if (has(plugin, 'preFilter')) this.preFilters.push(plugin as PreFilterPlugin);
      if (has(plugin, 'filter')) this.filters.push(plugin as FilterPlugin);
      if (has(plugin, 'score')) {
        if (!weight || weight < 1)
          throw new Error(`scheduler plugin ${plugin.name}: a score plugin needs a weight ≥ 1`);
        this.scorers.push({ plugin: plugin as ScorePlugin, weight });
      }
    }
    for (const e of ALL_EVENTS)
      this.interest.set(
        e,
        regs.filter((r) => r.events === undefined || r.events.includes(e)).map((r) => r.plugin.name),
      );
    this.scores = this.scorers.map(() => []);
  }

  /** The plugins whose rejections `event` could undo (the queue's wake-up rule). */
  pluginsFor(event: ClusterEvent): readonly string[] {
    return this.interest.get(event) ?? [];
  }

  /** One scheduling cycle: where should `pod` go? Synchronous; reads `snapshot` only. */
  schedule(pod: PodInfo, snapshot: Snapshot): CycleResult {
    const nodes = snapshot.nodes;
    const numNodes = nodes.length;
    if (numNodes === 0) return { kind: 'unschedulable', error: new FitError(0, new Map()) };
    const state = new CycleState();

    // 1. PreFilter: once per pod. Precomputes what filters need; may reject the pod everywhere,
    //    or say its filter has nothing to check for this pod (skip).
    let filters = this.filters;
    for (const pf of this.preFilters) {
      const s = pf.preFilter(state, pod, snapshot);
      if (s === undefined) continue;
      if (s.code === 'Skip') {
        filters = filters.filter((f) => f !== (pf as unknown as FilterPlugin));
        continue;
      }
      if (s.code === 'Error')
        return { kind: 'error', message: `running PreFilter plugin "${pf.name}": ${s.reasons.join(', ')}` };
      const status = s.plugin ? s : { ...s, plugin: pf.name };
      const statuses = new Map<string, Status>();
      for (const n of nodes) statuses.set(n.name, status);
      return this.noFit(state, pod, snapshot, new FitError(numNodes, statuses, status.reasons.join(', ')));
    }
    state.write(ACTIVE_FILTERS, filters);

    // 2. Filter: which nodes can take the pod? A node the pod was nominated to (by an earlier
    //    preemption) is tried first and taken if it fits. Otherwise nodes are visited from a
    //    rotating start, stopping once enough feasible nodes are found (percentageOfNodesToScore):
    //    at 5,000 nodes, 500 are enough to pick a good one.
    const feasible = this.feasible;
    feasible.length = 0;
    const rejectedNodes = this.rejectedNodes;
    const rejectedStatuses = this.rejectedStatuses;
    rejectedNodes.length = 0;
    rejectedStatuses.length = 0;
    const nominatedName = pod.pod.status?.nominatedNodeName;
    const nominatedNode = nominatedName ? snapshot.get(nominatedName) : undefined;
    if (nominatedNode && this.filterNode(state, filters, pod, nominatedNode) === undefined) {
      return { kind: 'scheduled', nodeName: nominatedNode.name, feasibleNodes: 1, evaluatedNodes: 1 };
    }
    const toFind = feasibleNodesToFind(numNodes, this.options.percentageOfNodesToScore);
    const start = this.nextStartNodeIndex % numNodes;
    let processed = 0;
    while (processed < numNodes && feasible.length < toFind) {
      const node = nodes[(start + processed) % numNodes]!;
      processed++;
      const s = this.filterNode(state, filters, pod, node);
      if (s === undefined) feasible.push(node);
      else if (s.code === 'Error')
        return { kind: 'error', message: `running Filter plugin "${s.plugin}": ${s.reasons.join(', ')}` };
      else {
        rejectedNodes.push(node);
        rejectedStatuses.push(s);
      }
    }
    this.nextStartNodeIndex = (start + processed) % numNodes;

    // 3. PostFilter when nothing fits: preemption may propose victims to evict.
    if (feasible.length === 0) {
      const statuses = new Map<string, Status>();
      for (let i = 0; i < rejectedNodes.length; i++)
        statuses.set(rejectedNodes[i]!.name, rejectedStatuses[i]!);
      rejectedNodes.length = 0;
      rejectedStatuses.length = 0;
      return this.noFit(state, pod, snapshot, new FitError(numNodes, statuses));
    }

    // 4. One feasible node: nothing to compare.
    if (feasible.length === 1) {
      return { kind: 'scheduled', nodeName: feasible[0]!.name, feasibleNodes: 1, evaluatedNodes: processed };
    }

    // 5. Score: preScore once, score per feasible node, normalize to 0..100, × weight, summed.
    const totals = this.totals;
    totals.length = feasible.length;
    totals.fill(0);
    for (let i = 0; i < this.scorers.length; i++) {
      const { plugin, weight } = this.scorers[i]!;
      if (plugin.preScore) {
        const s = plugin.preScore(state, pod, feasible, snapshot);
        if (s === skip || s?.code === 'Skip') continue;
        if (s !== undefined)
          return {
            kind: 'error',
            message: `running PreScore plugin "${plugin.name}": ${s.reasons.join(', ')}`,
          };
      }
      const scores = this.scores[i]!;
      scores.length = feasible.length;
      for (let j = 0; j < feasible.length; j++) scores[j] = plugin.score(state, pod, feasible[j]!);
      plugin.normalize?.(state, pod, scores);
      for (let j = 0; j < feasible.length; j++) {
        const s = scores[j]!;
        if (!(s >= 0 && s <= MAX_NODE_SCORE))
          return {
            kind: 'error',
            message: `plugin "${plugin.name}" scored node ${feasible[j]!.name} ${s}, outside [0, ${MAX_NODE_SCORE}]`,
          };
        totals[j]! += s * weight;
      }
    }

    // 6. Pick the highest total; ties are broken at random (reservoir sampling, one pass).
    let best = 0;
    let ties = 1;
    for (let j = 1; j < feasible.length; j++) {
      if (totals[j]! > totals[best]!) {
        best = j;
        ties = 1;
      } else if (totals[j] === totals[best] && this.random() * ++ties < 1) best = j;
    }
    return {
      kind: 'scheduled',
      nodeName: feasible[best]!.name,
      feasibleNodes: feasible.length,
      evaluatedNodes: processed,
    };
  }

  // ---- FilterRunner (for preemption's what-ifs) -------------------------------------------------

  runFilters(state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    return this.runFilterList(state.read<FilterPlugin[]>(ACTIVE_FILTERS) ?? this.filters, state, pod, node);
  }

  removePod(state: CycleState, pod: PodInfo, removed: PodInfo, node: NodeInfo): Result {
    for (const pf of this.preFilters) {
      const s = pf.extensions?.removePod(state, pod, removed, node);
      if (s) return s;
    }
    return undefined;
  }

  addPod(state: CycleState, pod: PodInfo, added: PodInfo, node: NodeInfo): Result {
    for (const pf of this.preFilters) {
      const s = pf.extensions?.addPod(state, pod, added, node);
      if (s) return s;
    }
    return undefined;
  }

  // ---- plumbing --------------------------------------------------------------------------------

  private noFit(state: CycleState, pod: PodInfo, snapshot: Snapshot, error: FitError): CycleResult {
    const post = this.options.postFilter?.(state, pod, snapshot, error.statuses, this);
    if (post) error.postFilterMsg = post.message;
    return post?.preemption
      ? { kind: 'unschedulable', error, preemption: post.preemption }
      : { kind: 'unschedulable', error };
  }

  /**
   * Filters on `node`. When pods of at least this pod's priority are nominated to the node (they
   * preempted there and wait for their victims to go), the pod must fit beside them too, so it
   * does not take the room they made (Kubernetes' addNominatedPods).
   */
  private filterNode(state: CycleState, filters: FilterPlugin[], pod: PodInfo, node: NodeInfo): Result {
    const nominated = this.options.nominated?.(node.name);
    if (nominated && nominated.length > 0) {
      let withNominated: NodeInfo | undefined;
      let stateWith: CycleState | undefined;
      for (const other of nominated) {
        if (other.uid === pod.uid || other.priority < pod.priority) continue;
        withNominated ??= node.clone();
        stateWith ??= state.clone();
        withNominated.addPod(other);
        const s = this.addPod(stateWith, pod, other, withNominated);
        if (s) return this.attribute(s, 'PreFilterExtensions');
      }
      if (withNominated) {
        const s = this.runFilterList(filters, stateWith!, pod, withNominated);
        if (s) return s;
      }
    }
    return this.runFilterList(filters, state, pod, node);
  }

  private runFilterList(filters: FilterPlugin[], state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    for (let i = 0; i < filters.length; i++) {
      const f = filters[i]!;
      const s = f.filter(state, pod, node);
      if (s !== undefined) return s.plugin ? s : this.attribute(s, f.name);
    }
    return undefined;
  }

  private attribute(s: Status, plugin: string): Status {
    if (s.plugin) return s;
    // Only a shared (frozen) status is worth remembering; others are made per call anyway.
    if (!Object.isFrozen(s)) return { ...s, plugin };
    // A cycle mostly rejects with one status over and over: check the last one before the map.
    if (s === this.lastShared && this.lastAttributed?.plugin === plugin) return this.lastAttributed;
    let a = this.attributed.get(s);
    if (a?.plugin !== plugin) {
      a = { ...s, plugin };
      this.attributed.set(s, a);
    }
    this.lastShared = s;
    this.lastAttributed = a;
    return a;
  }
}
