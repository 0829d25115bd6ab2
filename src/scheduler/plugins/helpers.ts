/**
 * Small helpers the plugins share: Kubernetes' default score normalization, preFilter
 * extensions for plugins that count pods, and per-object memos.
 */
import type { NodeInfo, PodInfo } from '../framework/node-info.js';
import { MAX_NODE_SCORE, type PreFilterExtensions, type Result } from '../framework/types.js';

/**
 * Kubernetes' DefaultNormalizeScore, for plugins whose raw score is a count or a sum of weights
 * (NodeAffinity, TaintToleration): scale [0, max] onto [0, MAX_NODE_SCORE] with integer division,
 * optionally reversed so that fewer is better.
 */
export function defaultNormalizeScore(scores: number[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  if (max === 0) {
    // Every node scored 0: all equally good (reversed) or equally indifferent.
    if (reverse) scores.fill(MAX_NODE_SCORE);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const scaled = Math.floor((MAX_NODE_SCORE * scores[i]!) / max);
    scores[i] = reverse ? MAX_NODE_SCORE - scaled : scaled;
  }
}

/** A preFilter state whose counts follow a pod added to or removed from a node (preemption's what-ifs). */
export interface CountingState {
  update(pod: PodInfo, node: NodeInfo, delta: 1 | -1): void;
}

/** PreFilterExtensions that keep the `CountingState` stored under `key` true as pods come and go. */
export function countingExtensions(key: string): PreFilterExtensions {
  return {
    addPod(state, _pod, added, node): Result {
      state.read<CountingState>(key)?.update(added, node, 1);
      return undefined;
    },
    removePod(state, _pod, removed, node): Result {
      state.read<CountingState>(key)?.update(removed, node, -1);
      return undefined;
    },
  };
}

/**
 * `compute(key)` made once per key object and remembered weakly: a PodInfo's compiled selectors
 * and constraints (its pod does not change under it), a node's normalized images, ...
 */
export function memoize<K extends object, V>(compute: (key: K) => V): (key: K) => V {
  const memo = new WeakMap<K, V>();
  return (key) => {
    let v = memo.get(key);
    if (v === undefined) {
      v = compute(key);
      memo.set(key, v);
    }
    return v;
  };
}
