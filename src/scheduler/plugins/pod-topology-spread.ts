/**
 * PodTopologySpread: keep a pod's group evenly spread over topology domains (zones, hosts, ...).
 * A constraint counts the pods in the pod's namespace matching its `labelSelector` (plus the pod's
 * own values of `matchLabelKeys`) in each domain of `topologyKey`; the skew of a domain is its
 * count (with the incoming pod if it matches) minus the smallest count over all domains.
 *
 * Filter (`whenUnsatisfiable: DoNotSchedule`): a node whose domain would exceed `maxSkew` is out;
 * a node missing a constraint's topology key is out for good. With fewer than `minDomains`
 * domains the global minimum counts as 0. Domains come from the nodes that carry every
 * constraint's key and pass its inclusion policies (`nodeAffinityPolicy`, default Honor: the pod's
 * nodeSelector/required node affinity; `nodeTaintsPolicy`, default Ignore: untolerated
 * NoSchedule/NoExecute taints). Counts are computed once per pod in preFilter, from the scheduler
 * cache's pod index when it has one (pod-index.ts: O(domains) when one key and no inclusion policy
 * applies, else per node without walking pods); the minimum per constraint is kept exact through
 * preemption's addPod/removePod.
 *
 * Score (`ScheduleAnyway`), Kubernetes' formula: per constraint, the node's domain count times
 * log(number of candidate domains + 2) plus maxSkew − 1, summed and rounded; normalize maps the
 * fewest to 100 (score = 100 × (max + min − s) / max). Nodes missing a topology key score 0.
 *
 * Not done: Kubernetes' cluster-level default constraints (spreading pods of a Service/ReplicaSet
 * when the pod names none), which need those objects' selectors.
 */
import type { Toleration, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { fromLabelSelector, matches, type Requirement } from '../../api/labels.js';
import { labelValue } from '../framework/labels.js';
import type { NodeInfo, PodInfo } from '../framework/node-info.js';
import {
  type CycleState,
  type FilterPlugin,
  failure,
  fixedStatus,
  MAX_NODE_SCORE,
  type PreFilterPlugin,
  type Result,
  type ScorePlugin,
  type Snapshot,
  skip,
} from '../framework/types.js';
import { type PodIndex, podIndexOf, type SelectorCount } from '../pod-index.js';
import { countingExtensions, memoize } from './helpers.js';
import {
  matchesRequiredNodeAffinity,
  type RequiredNodeAffinity,
  requiredNodeAffinity,
} from './node-affinity.js';
import { untoleratedTaint } from './taint-toleration.js';

/** Kubernetes' default weight for this score plugin. */
export const POD_TOPOLOGY_SPREAD_WEIGHT = 2;

export const ERR_REASON_CONSTRAINTS = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_MISSING_LABEL = `${ERR_REASON_CONSTRAINTS} (missing required label)`;

const CONSTRAINTS_STATUS = fixedStatus('Unschedulable', ERR_REASON_CONSTRAINTS);
const MISSING_LABEL_STATUS = fixedStatus('UnschedulableAndUnresolvable', ERR_REASON_MISSING_LABEL);

const HOSTNAME = 'kubernetes.io/hostname';
const PRE_FILTER_KEY = 'PreFilterPodTopologySpread';
const PRE_SCORE_KEY = 'PreScorePodTopologySpread';

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  /** Undefined selects no pod (a missing labelSelector). */
  selector?: Requirement[];
  minDomains: number;
  honorNodeAffinity: boolean;
  honorTaints: boolean;
  /** The incoming pod matches the selector itself (it adds one to the domain it lands in). */
  selfMatch: boolean;
}

interface Compiled {
  hard: Constraint[];
  soft: Constraint[];
  error?: string;
}

const constraintsOf = memoize(compile);

function compile(pod: PodInfo): Compiled {
  const out: Compiled = { hard: [], soft: [] };
  const list: TopologySpreadConstraint[] = pod.pod.spec?.topologySpreadConstraints ?? [];
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    let selector: Requirement[] | undefined;
    try {
      selector = fromLabelSelector(c.labelSelector);
    } catch (err) {
      out.error = `spec.topologySpreadConstraints[${i}].labelSelector: ${(err as Error).message}`;
      return out;
    }
    // matchLabelKeys: only pods sharing this pod's values of those labels (e.g. its revision) count.
    if (selector)
      for (const key of c.matchLabelKeys ?? []) {
        const v = labelValue(pod.labels, key);
        if (v !== undefined) selector.push({ key, operator: 'In', values: [v] });
      }
    const constraint: Constraint = {
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      ...(selector ? { selector } : {}),
      minDomains: c.minDomains ?? 1,
      honorNodeAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
      honorTaints: c.nodeTaintsPolicy === 'Honor',
      selfMatch: selector !== undefined && matches(selector, pod.labels),
    };
    if (c.whenUnsatisfiable === 'DoNotSchedule') out.hard.push(constraint);
    else if (c.whenUnsatisfiable === 'ScheduleAnyway') out.soft.push(constraint);
  }
  return out;
}

function hasAllKeys(node: NodeInfo, constraints: readonly Constraint[]): boolean {
  for (const c of constraints) if (labelValue(node.labels, c.topologyKey) === undefined) return false;
  return true;
}

/** Pods on `node` in `namespace` that `selector` selects; terminating pods do not count. */
function countMatching(node: NodeInfo, selector: Requirement[] | undefined, namespace: string): number {
  if (!selector) return 0;
  let n = 0;
  for (const p of node.pods)
    if (p.namespace === namespace && matches(selector, p.labels) && !p.pod.metadata?.deletionTimestamp) n++;
  return n;
}

/**
 * Which nodes count towards a constraint's domains for this pod: its inclusion policies, each
 * evaluated at most once per node, and not at all when they cannot exclude a node.
 */
class Inclusion {
  private node: NodeInfo | undefined;
  private affinityOk: boolean | undefined;
  private taintsOk: boolean | undefined;
  private readonly hasAffinity: boolean;

  constructor(
    private readonly affinity: RequiredNodeAffinity,
    private readonly tolerations: readonly Toleration[],
  ) {
    this.hasAffinity = affinity.selector !== undefined || affinity.terms !== undefined;
  }

  /**
   * Whether no node can be left out for these constraints: they share one topology key (so a
   * node carrying it carries them all) and no inclusion policy applies.
   */
  includesEveryNode(constraints: readonly Constraint[]): boolean {
    for (const c of constraints)
      if (
        c.topologyKey !== constraints[0]!.topologyKey ||
        (c.honorNodeAffinity && this.hasAffinity) ||
        c.honorTaints
      )
        return false;
    return true;
  }

  includes(c: Constraint, node: NodeInfo): boolean {
    const affinity = c.honorNodeAffinity && this.hasAffinity;
    const taints = c.honorTaints && node.taints.length > 0;
    if (!affinity && !taints) return true;
    if (node !== this.node) {
      this.node = node;
      this.affinityOk = undefined;
      this.taintsOk = undefined;
    }
    if (affinity) {
      this.affinityOk ??= matchesRequiredNodeAffinity(this.affinity, node);
      if (!this.affinityOk) return false;
    }
    if (taints) {
      this.taintsOk ??= untoleratedTaint(node.taints, this.tolerations) === undefined;
      if (!this.taintsOk) return false;
    }
    return true;
  }
}

const inclusionFor = (pod: PodInfo) =>
  new Inclusion(requiredNodeAffinity(pod), pod.pod.spec?.tolerations ?? []);

/** Matching pods per domain of one constraint, with the minimum kept exact as counts change. */
class DomainCounts {
  readonly counts = new Map<string, number>();
  min = Number.POSITIVE_INFINITY;
  /** How many domains hold `min`. */
  private atMin = 0;

  /** Sets min from scratch (after preFilter's bulk counting, or when the last domain at min grew). */
  recompute(): void {
    this.min = Number.POSITIVE_INFINITY;
    this.atMin = 0;
    for (const n of this.counts.values()) {
      if (n < this.min) {
        this.min = n;
        this.atMin = 1;
      } else if (n === this.min) this.atMin++;
    }
  }

  add(value: string, delta: number): void {
    const old = this.counts.get(value);
    const n = (old ?? 0) + delta;
    this.counts.set(value, n);
    if (old === this.min) this.atMin--;
    if (n < this.min) {
      this.min = n;
      this.atMin = 1;
    } else if (n === this.min) this.atMin++;
    else if (this.atMin === 0) this.recompute();
  }

  clone(): DomainCounts {
    const c = new DomainCounts();
    for (const [k, v] of this.counts) c.counts.set(k, v);
    c.min = this.min;
    c.atMin = this.atMin;
    return c;
  }
}

class PreFilterState {
  constructor(
    readonly pod: PodInfo,
    readonly constraints: readonly Constraint[],
    readonly domains: DomainCounts[],
  ) {}

  clone(): PreFilterState {
    return new PreFilterState(
      this.pod,
      this.constraints,
      this.domains.map((d) => d.clone()),
    );
  }

  /** `other` was added to (delta 1) or removed from (delta −1) `node`. */
  update(other: PodInfo, node: NodeInfo, delta: number): void {
    if (other.namespace !== this.pod.namespace || !hasAllKeys(node, this.constraints)) return;
    const inclusion = inclusionFor(this.pod);
    for (let i = 0; i < this.constraints.length; i++) {
      const c = this.constraints[i]!;
      if (!c.selector || !matches(c.selector, other.labels) || !inclusion.includes(c, node)) continue;
      this.domains[i]!.add(labelValue(node.labels, c.topologyKey)!, delta);
    }
  }
}

/**
 * Domain counts from the cache's live counts: O(domains). Only when every node carrying the
 * (single) topology key is a domain: one key for all constraints, and inclusion policies that
 * exclude no node.
 */
function domainsFromIndex(
  index: PodIndex,
  constraints: readonly Constraint[],
  namespace: string,
): DomainCounts[] {
  return constraints.map((c) => {
    const d = new DomainCounts();
    const matching = c.selector
      ? index.selectorCount(namespace, c.selector, true).byDomain(c.topologyKey)
      : undefined;
    for (const v of index.topologyNodes(c.topologyKey).keys()) d.counts.set(v, matching?.get(v) ?? 0);
    d.recompute();
    return d;
  });
}

/** Domain counts node by node (pods counted per node by the index when there is one). */
function domainsByNode(
  snapshot: Snapshot,
  constraints: readonly Constraint[],
  namespace: string,
  inclusion: Inclusion,
  index: PodIndex | undefined,
): DomainCounts[] {
  const domains = constraints.map(() => new DomainCounts());
  const counters = constraints.map((c) => counterOf(index, c, namespace));
  // The node's value for each constraint's key, read once per node (reused across nodes).
  const values: (string | undefined)[] = constraints.map(() => undefined);
  nodes: for (const node of snapshot.nodes) {
    for (let i = 0; i < constraints.length; i++) {
      values[i] = labelValue(node.labels, constraints[i]!.topologyKey);
      if (values[i] === undefined) continue nodes;
    }
    for (let i = 0; i < constraints.length; i++) {
      const c = constraints[i]!;
      if (!inclusion.includes(c, node)) continue;
      const counts = domains[i]!.counts;
      const v = values[i]!;
      counts.set(v, (counts.get(v) ?? 0) + matchingOn(node, c, namespace, counters[i]));
    }
  }
  for (const d of domains) d.recompute();
  return domains;
}

/** The index's live count for a constraint's selector, when there is an index and a selector. */
function counterOf(index: PodIndex | undefined, c: Constraint, namespace: string): SelectorCount | undefined {
  return index && c.selector ? index.selectorCount(namespace, c.selector, true) : undefined;
}

function matchingOn(
  node: NodeInfo,
  c: Constraint,
  namespace: string,
  counter: SelectorCount | undefined,
): number {
  return counter ? (counter.perNode.get(node) ?? 0) : countMatching(node, c.selector, namespace);
}

interface PreScoreState {
  constraints: readonly Constraint[];
  /** Per constraint: matching pods per candidate domain (empty for hostname: counted in score). */
  counts: Map<string, number>[];
  /** Per constraint: the index's live count of its pods, when there is one (hostname scoring). */
  counters: (SelectorCount | undefined)[];
  /** Per constraint: log(candidate domains + 2), so spreading over few domains weighs less. */
  weights: number[];
  /** Per candidate node (preScore's order): missing a topology key, scored 0. */
  ignored: boolean[];
}

export const PodTopologySpread: PreFilterPlugin & FilterPlugin & ScorePlugin = {
  name: 'PodTopologySpread',

  preFilter(state: CycleState, pod: PodInfo, snapshot: Snapshot): Result {
    const compiled = constraintsOf(pod);
    if (compiled.error) return failure(compiled.error);
    const constraints = compiled.hard;
    if (constraints.length === 0) return skip;
    const inclusion = inclusionFor(pod);
    const index = podIndexOf(snapshot);
    const domains =
      index && inclusion.includesEveryNode(constraints)
        ? domainsFromIndex(index, constraints, pod.namespace)
        : domainsByNode(snapshot, constraints, pod.namespace, inclusion, index);
    state.write(PRE_FILTER_KEY, new PreFilterState(pod, constraints, domains));
    return undefined;
  },

  extensions: countingExtensions(PRE_FILTER_KEY),

  filter(state: CycleState, _pod, node: NodeInfo): Result {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return failure('PodTopologySpread: filter called without its preFilter state');
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i]!;
      const v = labelValue(node.labels, c.topologyKey);
      if (v === undefined) return MISSING_LABEL_STATUS;
      const d = s.domains[i]!;
      const min = d.counts.size < c.minDomains ? 0 : d.min;
      const skew = (d.counts.get(v) ?? 0) + (c.selfMatch ? 1 : 0) - min;
      if (skew > c.maxSkew) return CONSTRAINTS_STATUS;
    }
    return undefined;
  },

  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], snapshot: Snapshot): Result {
    const compiled = constraintsOf(pod);
    if (compiled.error) return failure(compiled.error);
    const constraints = compiled.soft;
    if (constraints.length === 0 || snapshot.nodes.length === 0) return skip;

    // Candidate domains: those of the feasible nodes that carry every topology key.
    const counts = constraints.map(() => new Map<string, number>());
    const ignored = nodes.map((node) => !hasAllKeys(node, constraints));
    let candidates = 0;
    for (let j = 0; j < nodes.length; j++) {
      if (ignored[j]) continue;
      candidates++;
      for (let i = 0; i < constraints.length; i++) {
        const c = constraints[i]!;
        if (c.topologyKey !== HOSTNAME) counts[i]!.set(labelValue(nodes[j]!.labels, c.topologyKey)!, 0);
      }
    }
    const weights = constraints.map((c, i) =>
      Math.log((c.topologyKey === HOSTNAME ? candidates : counts[i]!.size) + 2),
    );

    // Matching pods in those domains, over every node of the cluster that the policies include.
    const inclusion = inclusionFor(pod);
    const counters = constraints.map((c) => counterOf(podIndexOf(snapshot), c, pod.namespace));
    for (const node of snapshot.nodes) {
      if (!hasAllKeys(node, constraints)) continue;
      for (let i = 0; i < constraints.length; i++) {
        const c = constraints[i]!;
        const domain = counts[i]!;
        const v = labelValue(node.labels, c.topologyKey)!;
        const before = domain.get(v);
        if (before === undefined || !inclusion.includes(c, node)) continue;
        domain.set(v, before + matchingOn(node, c, pod.namespace, counters[i]));
      }
    }
    const s: PreScoreState = { constraints, counts, counters, weights, ignored };
    state.write(PRE_SCORE_KEY, s);
    return undefined;
  },

  /** The raw score is a weighted count of matching pods: more is worse (normalize reverses it). */
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (!s || !hasAllKeys(node, s.constraints)) return 0;
    let score = 0;
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i]!;
      const count =
        c.topologyKey === HOSTNAME
          ? matchingOn(node, c, pod.namespace, s.counters[i])
          : (s.counts[i]!.get(labelValue(node.labels, c.topologyKey)!) ?? 0);
      score += count * s.weights[i]! + (c.maxSkew - 1);
    }
    return Math.round(score);
  },

  normalize(state: CycleState, _pod, scores: number[]): void {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (!s) return;
    let min = Number.POSITIVE_INFINITY;
    let max = 0;
    for (let i = 0; i < scores.length; i++) {
      if (s.ignored[i]) continue;
      const v = scores[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    for (let i = 0; i < scores.length; i++) {
      if (s.ignored[i]) scores[i] = 0;
      else if (max === 0) scores[i] = MAX_NODE_SCORE;
      else scores[i] = Math.floor((MAX_NODE_SCORE * (max + min - scores[i]!)) / max);
    }
  },
};
