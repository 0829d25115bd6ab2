/**
 * InterPodAffinity: place a pod by the pods already running, per topology domain (the nodes that
 * share a value of the term's `topologyKey`: a zone, a host, ...).
 *
 * Filter, with counts per topology pair computed once in preFilter:
 * - the pod's required affinity: every term's domain on the node must hold a pod matching all the
 *   terms (UnschedulableAndUnresolvable: preemption only removes pods). Kubernetes' exception: when
 *   no pod anywhere matches and the pod matches its own terms, it is the first of its group and
 *   may go on any node carrying the topology keys;
 * - the pod's required anti-affinity: no term's domain on the node may hold a pod matching it;
 * - existing pods' required anti-affinity: the node may not be in the domain of an existing pod
 *   whose anti-affinity term matches this pod.
 * Preemption keeps the counts true through `extensions.addPod/removePod` on a cloned state.
 * Over the scheduler cache the counts come from its pod index (pod-index.ts) instead of walking
 * every pod: existing anti-affinity terms grouped by identity, and live counts per selector for
 * the pod's own terms (terms with a namespaceSelector still walk the pods).
 *
 * Score: preferred terms, both ways — the pod's own preferred (anti-)affinity to existing pods, and
 * existing pods' preferred (anti-)affinity and required affinity (at weight 1, Kubernetes'
 * hardPodAffinityWeight) to this pod — summed per topology pair in preScore, then min-max
 * normalized onto 0..100.
 *
 * Namespaces: a term selects pods in its `namespaces`, or in namespaces whose labels match its
 * `namespaceSelector` (from Snapshot.namespaceLabels).
 */
import { matches } from '../../api/labels.js';
import { labelValue } from '../framework/labels.js';
import type { AffinityTerm, NodeInfo, PodInfo, WeightedAffinityTerm } from '../framework/node-info.js';
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
import { type PodIndex, podIndexOf } from '../pod-index.js';
import { countingExtensions } from './helpers.js';

/** Kubernetes' default weight for this score plugin. */
export const INTER_POD_AFFINITY_WEIGHT = 2;
/** What an existing pod's required affinity term matching the incoming pod adds to the score (Kubernetes' default). */
const HARD_POD_AFFINITY_WEIGHT = 1;

export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";

const AFFINITY_STATUS = fixedStatus('UnschedulableAndUnresolvable', ERR_REASON_AFFINITY);
const ANTI_AFFINITY_STATUS = fixedStatus('Unschedulable', ERR_REASON_ANTI_AFFINITY);
const EXISTING_ANTI_AFFINITY_STATUS = fixedStatus('Unschedulable', ERR_REASON_EXISTING_ANTI_AFFINITY);

const PRE_FILTER_KEY = 'PreFilterInterPodAffinity';
const PRE_SCORE_KEY = 'PreScoreInterPodAffinity';

/**
 * Numbers per topology pair (topologyKey, value); pairs that reach 0 are dropped, so `empty` means
 * "no pair counts". Keys are few (one per distinct topologyKey), kept in arrays so filter and
 * score walk them without allocating iterators.
 *
 * It may also sum in `bases`: live positive counts per value of one key that the cache's pod index
 * keeps (read-only, valid for the cycle). They are copied in only if the counts are changed
 * (preemption's what-ifs), so a cycle that only reads pays nothing per pair.
 */
class TopologyCounts {
  private readonly keys: string[] = [];
  private readonly byValue: Map<string, number>[] = [];
  private pairs = 0;
  private bases: { key: string; counts: ReadonlyMap<string, number> }[] = [];

  /** Sums `counts` (positive, per value of `key`) in without copying them. */
  addBase(key: string, counts: ReadonlyMap<string, number>): void {
    if (counts.size > 0) this.bases.push({ key, counts });
  }

  add(key: string, value: string, delta: number): void {
    if (this.bases.length > 0) {
      const bases = this.bases;
      this.bases = [];
      for (const b of bases) for (const [v, n] of b.counts) this.add(b.key, v, n);
    }
    let i = this.keys.indexOf(key);
    if (i < 0) {
      i = this.keys.push(key) - 1;
      this.byValue.push(new Map());
    }
    const m = this.byValue[i]!;
    const old = m.get(value);
    const n = (old ?? 0) + delta;
    if (n === 0) {
      if (old !== undefined) {
        m.delete(value);
        this.pairs--;
      }
      return;
    }
    if (old === undefined) this.pairs++;
    m.set(value, n);
  }

  get(key: string, value: string): number {
    const i = this.keys.indexOf(key);
    let n = i < 0 ? 0 : (this.byValue[i]!.get(value) ?? 0);
    for (const b of this.bases) if (b.key === key) n += b.counts.get(value) ?? 0;
    return n;
  }

  /** Own pairs and bases hold positive counts only until the first `add` merges the bases in. */
  get empty(): boolean {
    return this.pairs === 0 && this.bases.length === 0;
  }

  /** Whether the node lies in a domain with a positive count, for any key. */
  positiveOn(labels: Readonly<Record<string, string>>): boolean {
    for (let i = 0; i < this.keys.length; i++) {
      const v = labelValue(labels, this.keys[i]!);
      if (v !== undefined && (this.byValue[i]!.get(v) ?? 0) > 0) return true;
    }
    for (const b of this.bases) {
      const v = labelValue(labels, b.key);
      if (v !== undefined && b.counts.has(v)) return true;
    }
    return false;
  }

  /** The sum over keys of the count at the node's value. */
  sumOn(labels: Readonly<Record<string, string>>): number {
    let sum = 0;
    for (let i = 0; i < this.keys.length; i++) {
      const v = labelValue(labels, this.keys[i]!);
      if (v !== undefined) sum += this.byValue[i]!.get(v) ?? 0;
    }
    for (const b of this.bases) {
      const v = labelValue(labels, b.key);
      if (v !== undefined) sum += b.counts.get(v) ?? 0;
    }
    return sum;
  }

  clone(): TopologyCounts {
    const c = new TopologyCounts();
    c.keys.push(...this.keys);
    for (const m of this.byValue) c.byValue.push(new Map(m));
    c.pairs = this.pairs;
    c.bases = [...this.bases];
    return c;
  }
}

/** Whether `term` selects `pod`: in one of its namespaces (listed or by label) and with matching labels. */
function termMatches(term: AffinityTerm, pod: PodInfo, snapshot: Snapshot): boolean {
  if (!term.namespaces.has(pod.namespace)) {
    if (!term.namespaceSelector || !matches(term.namespaceSelector, snapshot.namespaceLabels(pod.namespace)))
      return false;
  }
  return matches(term.selector, pod.labels);
}

function matchesAllTerms(terms: readonly AffinityTerm[], pod: PodInfo, snapshot: Snapshot): boolean {
  if (terms.length === 0) return false;
  for (const t of terms) if (!termMatches(t, pod, snapshot)) return false;
  return true;
}

/** Counts `target` (on `node`) in the domain of every term of `terms` that selects it. */
function countAntiAffinity(
  counts: TopologyCounts,
  terms: readonly AffinityTerm[],
  target: PodInfo,
  node: NodeInfo,
  snapshot: Snapshot,
  delta: number,
): void {
  for (const t of terms) {
    if (!termMatches(t, target, snapshot)) continue;
    const v = labelValue(node.labels, t.topologyKey);
    if (v !== undefined) counts.add(t.topologyKey, v, delta);
  }
}

/** Counts `target` (on `node`) in every term's domain when it matches all of `terms`. */
function countAffinity(
  counts: TopologyCounts,
  terms: readonly AffinityTerm[],
  target: PodInfo,
  node: NodeInfo,
  snapshot: Snapshot,
  delta: number,
): void {
  if (!matchesAllTerms(terms, target, snapshot)) return;
  for (const t of terms) {
    const v = labelValue(node.labels, t.topologyKey);
    if (v !== undefined) counts.add(t.topologyKey, v, delta);
  }
}

function hasNamespaceSelector(pod: PodInfo): boolean {
  for (const t of pod.requiredAffinityTerms) if (t.namespaceSelector) return true;
  for (const t of pod.requiredAntiAffinityTerms) if (t.namespaceSelector) return true;
  return false;
}

/**
 * preFilter's counts of existing pods matching the pod's own required terms, from the index's live
 * counts (terms with listed namespaces only): affinity counts the pods matching every term, so
 * the pods in a namespace all terms list that match every term's selector; anti-affinity counts
 * per term.
 */
function countOwnTermsFromIndex(
  index: PodIndex,
  pod: PodInfo,
  affinity: TopologyCounts,
  antiAffinity: TopologyCounts,
): void {
  const terms = pod.requiredAffinityTerms;
  if (terms.length > 0) {
    const selector = terms.flatMap((t) => t.selector);
    for (const ns of terms[0]!.namespaces) {
      if (!terms.every((t) => t.namespaces.has(ns))) continue;
      const count = index.selectorCount(ns, selector, false);
      for (const t of terms) affinity.addBase(t.topologyKey, count.byDomain(t.topologyKey));
    }
  }
  for (const t of pod.requiredAntiAffinityTerms)
    for (const ns of t.namespaces)
      antiAffinity.addBase(t.topologyKey, index.selectorCount(ns, t.selector, false).byDomain(t.topologyKey));
}

/** What preFilter computes for one pod; cloned for preemption's what-ifs. */
class PreFilterState {
  constructor(
    readonly pod: PodInfo,
    readonly snapshot: Snapshot,
    /** Existing pods whose required anti-affinity terms select the incoming pod. */
    readonly existingAntiAffinity: TopologyCounts,
    /** Existing pods matching all the incoming pod's required affinity terms. */
    readonly affinity: TopologyCounts,
    /** Existing pods matching the incoming pod's required anti-affinity terms (per term). */
    readonly antiAffinity: TopologyCounts,
    /** The incoming pod matches its own required affinity terms. */
    readonly matchesOwnAffinity: boolean,
  ) {}

  clone(): PreFilterState {
    return new PreFilterState(
      this.pod,
      this.snapshot,
      this.existingAntiAffinity.clone(),
      this.affinity.clone(),
      this.antiAffinity.clone(),
      this.matchesOwnAffinity,
    );
  }

  /** `other` was added to (delta 1) or removed from (delta −1) `node`. */
  update(other: PodInfo, node: NodeInfo, delta: number): void {
    const { pod, snapshot } = this;
    countAntiAffinity(this.existingAntiAffinity, other.requiredAntiAffinityTerms, pod, node, snapshot, delta);
    countAffinity(this.affinity, pod.requiredAffinityTerms, other, node, snapshot, delta);
    countAntiAffinity(this.antiAffinity, pod.requiredAntiAffinityTerms, other, node, snapshot, delta);
  }
}

function satisfiesAffinity(s: PreFilterState, node: NodeInfo): boolean {
  let podsExist = true;
  for (const t of s.pod.requiredAffinityTerms) {
    const v = labelValue(node.labels, t.topologyKey);
    // Every topology key must be on the node, even for the first pod of a group.
    if (v === undefined) return false;
    if (s.affinity.get(t.topologyKey, v) <= 0) podsExist = false;
  }
  // The first pod of a group with affinity to itself: nothing matches anywhere yet.
  return podsExist || (s.affinity.empty && s.matchesOwnAffinity);
}

function satisfiesAntiAffinity(s: PreFilterState, node: NodeInfo): boolean {
  if (s.antiAffinity.empty) return true;
  for (const t of s.pod.requiredAntiAffinityTerms) {
    const v = labelValue(node.labels, t.topologyKey);
    if (v !== undefined && s.antiAffinity.get(t.topologyKey, v) > 0) return false;
  }
  return true;
}

/** Scores per topology pair, summed in preScore. */
class PreScoreState {
  constructor(readonly scores: TopologyCounts) {}
}

function scoreTerms(
  scores: TopologyCounts,
  terms: readonly WeightedAffinityTerm[],
  target: PodInfo,
  node: NodeInfo,
  snapshot: Snapshot,
  sign: 1 | -1,
): void {
  for (const t of terms) {
    if (!termMatches(t, target, snapshot)) continue;
    const v = labelValue(node.labels, t.topologyKey);
    if (v !== undefined) scores.add(t.topologyKey, v, sign * t.weight);
  }
}

export const InterPodAffinity: PreFilterPlugin & FilterPlugin & ScorePlugin = {
  name: 'InterPodAffinity',

  preFilter(state: CycleState, pod: PodInfo, snapshot: Snapshot): Result {
    const index = podIndexOf(snapshot);
    const existingAntiAffinity = new TopologyCounts();
    if (index) {
      for (const g of index.antiAffinityGroups())
        if (termMatches(g.term, pod, snapshot)) existingAntiAffinity.addBase(g.term.topologyKey, g.counts);
    } else
      for (const node of snapshot.nodesWithRequiredAntiAffinityPods)
        for (const existing of node.podsWithRequiredAntiAffinity)
          countAntiAffinity(existingAntiAffinity, existing.requiredAntiAffinityTerms, pod, node, snapshot, 1);

    const ownTerms = pod.requiredAffinityTerms.length > 0 || pod.requiredAntiAffinityTerms.length > 0;
    // Nothing constrains this pod: no filter calls at all.
    if (!ownTerms && existingAntiAffinity.empty) return skip;

    const affinity = new TopologyCounts();
    const antiAffinity = new TopologyCounts();
    if (ownTerms) {
      if (index && !hasNamespaceSelector(pod)) countOwnTermsFromIndex(index, pod, affinity, antiAffinity);
      else
        for (const node of snapshot.nodes)
          for (const existing of node.pods) {
            countAffinity(affinity, pod.requiredAffinityTerms, existing, node, snapshot, 1);
            countAntiAffinity(antiAffinity, pod.requiredAntiAffinityTerms, existing, node, snapshot, 1);
          }
    }
    const matchesOwn = matchesAllTerms(pod.requiredAffinityTerms, pod, snapshot);
    state.write(
      PRE_FILTER_KEY,
      new PreFilterState(pod, snapshot, existingAntiAffinity, affinity, antiAffinity, matchesOwn),
    );
    return undefined;
  },

  extensions: countingExtensions(PRE_FILTER_KEY),

  filter(state: CycleState, _pod, node: NodeInfo): Result {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return failure('InterPodAffinity: filter called without its preFilter state');
    if (!satisfiesAffinity(s, node)) return AFFINITY_STATUS;
    if (!satisfiesAntiAffinity(s, node)) return ANTI_AFFINITY_STATUS;
    if (s.existingAntiAffinity.positiveOn(node.labels)) return EXISTING_ANTI_AFFINITY_STATUS;
    return undefined;
  },

  /**
   * Sums every matching preferred term (and existing pods' required affinity) into its topology
   * pair. Unless the pod has preferred terms of its own, only pods with affinity terms matter, so
   * only the nodes holding them are visited.
   */
  preScore(state: CycleState, pod: PodInfo, _nodes, snapshot: Snapshot): Result {
    const own = pod.preferredAffinityTerms.length > 0 || pod.preferredAntiAffinityTerms.length > 0;
    if (!own && podIndexOf(snapshot)?.scoringAffinityPods === 0) return skip;
    const scores = new TopologyCounts();
    for (const node of own ? snapshot.nodes : snapshot.nodesWithAffinityPods) {
      for (const existing of own ? node.pods : node.podsWithAffinity) {
        if (own) {
          scoreTerms(scores, pod.preferredAffinityTerms, existing, node, snapshot, 1);
          scoreTerms(scores, pod.preferredAntiAffinityTerms, existing, node, snapshot, -1);
        }
        if (!existing.hasAffinityTerms) continue;
        for (const t of existing.requiredAffinityTerms) {
          if (!termMatches(t, pod, snapshot)) continue;
          const v = labelValue(node.labels, t.topologyKey);
          if (v !== undefined) scores.add(t.topologyKey, v, HARD_POD_AFFINITY_WEIGHT);
        }
        scoreTerms(scores, existing.preferredAffinityTerms, pod, node, snapshot, 1);
        scoreTerms(scores, existing.preferredAntiAffinityTerms, pod, node, snapshot, -1);
      }
    }
    if (scores.empty) return skip;
    state.write(PRE_SCORE_KEY, new PreScoreState(scores));
    return undefined;
  },

  score(state: CycleState, _pod, node: NodeInfo): number {
    return state.read<PreScoreState>(PRE_SCORE_KEY)?.scores.sumOn(node.labels) ?? 0;
  },

  /** Min-max onto 0..100: raw sums can be negative (anti-affinity). */
  normalize(_state, _pod, scores: number[]): void {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const s of scores) {
      if (s < min) min = s;
      if (s > max) max = s;
    }
    const diff = max - min;
    for (let i = 0; i < scores.length; i++)
      scores[i] = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((scores[i]! - min) / diff)) : 0;
  },
};
