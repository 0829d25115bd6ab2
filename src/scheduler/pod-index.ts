/**
 * Counts the scheduler cache keeps current as pods and nodes come and go, so that the cluster-wide
 * plugins (PodTopologySpread, InterPodAffinity) need not walk every pod on every node in each
 * cycle: a cycle costs O(domains + groups) instead of O(all pods).
 *
 * - `SelectorCount`: the pods a label selector selects in one namespace, per node and per domain
 *   (value of a topology key) over the present nodes. Created on a plugin's first ask (one scan of
 *   the cache), then updated on every pod and node change; the least recently asked are dropped
 *   beyond `MAX_SELECTOR_COUNTS`, as every one costs a selector match per pod change.
 * - `AntiAffinityGroup`: existing pods' required anti-affinity terms, identical terms grouped, with
 *   how many such pods each domain of the term's key holds.
 * - present nodes per domain of a topology key (the domains topology spread must consider).
 *
 * Kubernetes recomputes these per cycle; keeping them is our own choice. The plugins' results must
 * be the same either way: the table tests run the plugins over the cache and over a plain snapshot
 * and compare.
 */
import { matches, type Requirement } from '../api/labels.js';
import { labelValue } from './framework/labels.js';
import type { AffinityTerm, NodeInfo, PodInfo } from './framework/node-info.js';
import type { Snapshot } from './framework/types.js';

/** Counters kept at most; asking for another drops the least recently asked. */
export const MAX_SELECTOR_COUNTS = 64;

export interface PodIndex {
  /**
   * The live count of the pods `selector` selects in `namespace` (terminating pods left out when
   * `skipTerminating`). Valid until the cache next changes; read-only for the caller.
   */
  selectorCount(namespace: string, selector: readonly Requirement[], skipTerminating: boolean): SelectorCount;
  /** Present nodes per value of `key` (values with no node are absent). Read-only. */
  topologyNodes(key: string): ReadonlyMap<string, number>;
  /** Existing pods' required anti-affinity terms, grouped. Read-only. */
  antiAffinityGroups(): Iterable<AntiAffinityGroup>;
  /**
   * How many pods have terms that score other pods (required affinity, preferred affinity or
   * anti-affinity): with none, inter-pod affinity scoring has nothing to look at but the pod's own
   * preferred terms.
   */
  readonly scoringAffinityPods: number;
}

export type IndexedSnapshot = Snapshot & PodIndex;

/** The snapshot's pod index, when it keeps one (the scheduler cache does; test snapshots do not). */
export function podIndexOf(snapshot: Snapshot): IndexedSnapshot | undefined {
  return typeof (snapshot as Partial<PodIndex>).selectorCount === 'function'
    ? (snapshot as IndexedSnapshot)
    : undefined;
}

/** Adds `delta` to `map[key]`, dropping the entry at 0 so maps hold positive counts only. */
function bump<K>(map: Map<K, number>, key: K, delta: number): void {
  const n = (map.get(key) ?? 0) + delta;
  if (n === 0) map.delete(key);
  else map.set(key, n);
}

export class SelectorCount {
  /** Matching pods per node (every node entry of the cache, present or not); absent means 0. */
  readonly perNode = new Map<NodeInfo, number>();
  /** Per topology key asked about: matching pods per domain over present nodes. */
  private readonly domains = new Map<string, Map<string, number>>();

  constructor(
    readonly namespace: string,
    readonly selector: readonly Requirement[],
    readonly skipTerminating: boolean,
    private readonly present: (node: NodeInfo) => boolean,
  ) {}

  selects(pod: PodInfo): boolean {
    return (
      pod.namespace === this.namespace &&
      matches(this.selector, pod.labels) &&
      !(this.skipTerminating && pod.pod.metadata?.deletionTimestamp)
    );
  }

  /** Matching pods per value of `key` over the present nodes (positive counts only). */
  byDomain(key: string): ReadonlyMap<string, number> {
    let m = this.domains.get(key);
    if (!m) {
      m = new Map();
      for (const [node, n] of this.perNode) {
        const v = this.present(node) ? labelValue(node.labels, key) : undefined;
        if (v !== undefined) bump(m, v, n);
      }
      this.domains.set(key, m);
    }
    return m;
  }

  /** `pod` joined (1) or left (−1) `node`. */
  podChanged(pod: PodInfo, node: NodeInfo, present: boolean, delta: 1 | -1): void {
    if (!this.selects(pod)) return;
    bump(this.perNode, node, delta);
    if (present) this.domainsOf(node, delta);
  }

  /** A present node leaves (−1, before its labels change or it goes) or joins (1) the domains. */
  nodeChanged(node: NodeInfo, sign: 1 | -1): void {
    const n = this.perNode.get(node);
    if (n !== undefined) this.domainsOf(node, sign * n);
  }

  private domainsOf(node: NodeInfo, delta: number): void {
    for (const [key, m] of this.domains) {
      const v = labelValue(node.labels, key);
      if (v !== undefined) bump(m, v, delta);
    }
  }
}

/** Identical required anti-affinity terms of existing pods, with their pods per domain of the key. */
export interface AntiAffinityGroup {
  /** One of the identical terms (they differ only in which pod holds them). */
  readonly term: AffinityTerm;
  /** Pods holding the term per value of `term.topologyKey`, on present nodes (positive only). */
  readonly counts: ReadonlyMap<string, number>;
}

interface Group extends AntiAffinityGroup {
  readonly counts: Map<string, number>;
  /** Term instances in the group on any node entry (the group goes when none is left). */
  members: number;
}

/** The same string for terms that select the same pods in the same domains. */
function termSignature(t: AffinityTerm): string {
  return JSON.stringify([t.topologyKey, [...t.namespaces].sort(), t.namespaceSelector ?? null, t.selector]);
}

/**
 * The index itself, fed by the cache: every pod placed on or removed from a node entry, and every
 * present node before and after it changes (`nodeLeaving` / `nodeJoining`).
 */
export class PodIndexer {
  private readonly counts = new Map<string, SelectorCount>();
  private readonly nodesByKey = new Map<string, Map<string, number>>();
  private readonly groups = new Map<string, Group>();
  scoringAffinityPods = 0;
  /** Signatures of terms already computed (terms belong to one PodInfo, so they never change). */
  private readonly signatures = new WeakMap<AffinityTerm, string>();

  constructor(
    /** Every node entry, present or not, with its pods (for a new counter's first scan). */
    private readonly entries: () => Iterable<NodeInfo>,
    private readonly present: (node: NodeInfo) => boolean,
    private readonly presentNodes: () => readonly NodeInfo[],
  ) {}

  selectorCount(
    namespace: string,
    selector: readonly Requirement[],
    skipTerminating: boolean,
  ): SelectorCount {
    const key = `${skipTerminating ? 1 : 0}${namespace}\u0000${JSON.stringify(selector)}`;
    let c = this.counts.get(key);
    if (c) {
      // Most recently asked last: Map order is the eviction order.
      this.counts.delete(key);
    } else {
      c = new SelectorCount(namespace, selector, skipTerminating, this.present);
      for (const node of this.entries())
        for (const p of node.pods) if (c.selects(p)) bump(c.perNode, node, 1);
      if (this.counts.size >= MAX_SELECTOR_COUNTS) this.counts.delete(this.counts.keys().next().value!);
    }
    this.counts.set(key, c);
    return c;
  }

  topologyNodes(key: string): ReadonlyMap<string, number> {
    let m = this.nodesByKey.get(key);
    if (!m) {
      m = new Map();
      for (const node of this.presentNodes()) {
        const v = labelValue(node.labels, key);
        if (v !== undefined) bump(m, v, 1);
      }
      this.nodesByKey.set(key, m);
    }
    return m;
  }

  antiAffinityGroups(): Iterable<AntiAffinityGroup> {
    return this.groups.values();
  }

  /** `pod` was placed on (1) or removed from (−1) the node entry `node`. */
  podChanged(pod: PodInfo, node: NodeInfo, delta: 1 | -1): void {
    const present = this.present(node);
    for (const c of this.counts.values()) c.podChanged(pod, node, present, delta);
    if (
      pod.requiredAffinityTerms.length > 0 ||
      pod.preferredAffinityTerms.length > 0 ||
      pod.preferredAntiAffinityTerms.length > 0
    )
      this.scoringAffinityPods += delta;
    for (const t of pod.requiredAntiAffinityTerms) {
      const sig = this.signatureOf(t);
      let g = this.groups.get(sig);
      if (!g) {
        g = { term: t, counts: new Map(), members: 0 };
        this.groups.set(sig, g);
      }
      g.members += delta;
      const v = present ? labelValue(node.labels, t.topologyKey) : undefined;
      if (v !== undefined) bump(g.counts, v, delta);
      if (g.members === 0) this.groups.delete(sig);
    }
  }

  /** A present node is about to change its labels or stop being present. */
  nodeLeaving(node: NodeInfo): void {
    this.nodeDomains(node, -1);
  }

  /** A node became present, or a present node's labels changed. */
  nodeJoining(node: NodeInfo): void {
    this.nodeDomains(node, 1);
  }

  private nodeDomains(node: NodeInfo, sign: 1 | -1): void {
    for (const [key, m] of this.nodesByKey) {
      const v = labelValue(node.labels, key);
      if (v !== undefined) bump(m, v, sign);
    }
    for (const c of this.counts.values()) c.nodeChanged(node, sign);
    for (const p of node.podsWithRequiredAntiAffinity)
      for (const t of p.requiredAntiAffinityTerms) {
        const v = labelValue(node.labels, t.topologyKey);
        if (v !== undefined) bump(this.groups.get(this.signatureOf(t))!.counts, v, sign);
      }
  }

  private signatureOf(t: AffinityTerm): string {
    let s = this.signatures.get(t);
    if (s === undefined) {
      s = termSignature(t);
      this.signatures.set(t, s);
    }
    return s;
  }
}
