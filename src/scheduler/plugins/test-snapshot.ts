/**
 * Test-only helpers for plugin table tests: the scheduler cache as a snapshot beside
 * framework/testing.ts's plain one, and runners that drive one plugin through its extension points
 * the way the pipeline does.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { SchedulerCache } from '../cache.js';
import type { NodeInfo } from '../framework/node-info.js';
import { PodInfo } from '../framework/node-info.js';
import { testSnapshot } from '../framework/testing.js';
import {
  CycleState,
  type FilterPlugin,
  type PreFilterPlugin,
  type Result,
  type ScorePlugin,
  type Snapshot,
} from '../framework/types.js';

/**
 * The same cluster as the scheduler's own cache, whose pod index the cluster-wide plugins read
 * instead of walking every pod. Pods go in before their nodes, as they may from the informers.
 */
function cacheSnapshot(
  nodes: NodeInfo[],
  namespaces: Record<string, Record<string, string>> = {},
): SchedulerCache {
  const cache = new SchedulerCache();
  for (const [name, labels] of Object.entries(namespaces)) cache.setNamespace(name, labels);
  for (const n of nodes)
    for (const p of n.pods)
      cache.setPod({ ...p.pod, spec: { containers: [], ...p.pod.spec, nodeName: n.name } });
  for (const n of nodes) cache.setNode(n.node);
  return cache;
}

/** Both kinds of snapshot, for tables that must answer the same over either. */
export const SNAPSHOT_KINDS: [
  string,
  (nodes: NodeInfo[], namespaces?: Record<string, Record<string, string>>) => Snapshot,
][] = [
  ['plain snapshot', testSnapshot],
  ['scheduler cache', cacheSnapshot],
];

export interface FilterOutcome {
  state: CycleState;
  pod: PodInfo;
  /** preFilter's answer (undefined = success). */
  preFilter: Result;
  /** Each node's filter answer by node name; absent when preFilter skipped or rejected. */
  byNode: Map<string, Result>;
}

/** preFilter once, then filter on every node unless preFilter rejected or skipped. */
export function runFilter(
  plugin: FilterPlugin & Partial<PreFilterPlugin>,
  pod: Pod | PodInfo,
  snapshot: Snapshot,
): FilterOutcome {
  const pi = pod instanceof PodInfo ? pod : new PodInfo(pod);
  const state = new CycleState();
  const pre = plugin.preFilter?.(state, pi, snapshot);
  const byNode = new Map<string, Result>();
  if (!pre) for (const n of snapshot.nodes) byNode.set(n.name, plugin.filter(state, pi, n));
  return { state, pod: pi, preFilter: pre, byNode };
}

/**
 * preScore over `nodes` (default: all), score each, normalize; the final scores in node order, or
 * `'skip'` when preScore skipped.
 */
export function runScore(
  plugin: ScorePlugin,
  pod: Pod | PodInfo,
  snapshot: Snapshot,
  nodes: readonly NodeInfo[] = snapshot.nodes,
  state = new CycleState(),
): number[] | 'skip' {
  const pi = pod instanceof PodInfo ? pod : new PodInfo(pod);
  const pre = plugin.preScore?.(state, pi, nodes, snapshot);
  if (pre?.code === 'Skip') return 'skip';
  if (pre) throw new Error(`preScore failed: ${pre.reasons.join(', ')}`);
  const scores = nodes.map((n) => plugin.score(state, pi, n));
  plugin.normalize?.(state, pi, scores);
  return scores;
}
