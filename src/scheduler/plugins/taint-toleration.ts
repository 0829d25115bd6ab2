/**
 * TaintToleration. Filter: a node with a NoSchedule or NoExecute taint the pod does not tolerate
 * is out, and preempting pods would not change that (UnschedulableAndUnresolvable). Score: the
 * fewer PreferNoSchedule taints the pod does not tolerate, the better (raw score is that count;
 * normalize reverses it onto 0..100).
 *
 * Tolerations are read straight from the pod spec: they are a handful of small objects and
 * matching them allocates nothing.
 */
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import type { NodeInfo, PodInfo } from '../framework/node-info.js';
import { type FilterPlugin, type Result, type ScorePlugin, unresolvable } from '../framework/types.js';
import { defaultNormalizeScore } from './helpers.js';

/** Kubernetes' default weight for this score plugin. */
export const TAINT_TOLERATION_WEIGHT = 3;

/** Whether one toleration tolerates `taint` (an empty effect or key matches any; operator Exists ignores the value). */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator) {
    case undefined:
    case '':
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

export function tolerated(tolerations: readonly Toleration[], taint: Taint): boolean {
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true;
  return false;
}

/** The first NoSchedule/NoExecute taint of `taints` that `tolerations` do not tolerate. */
export function untoleratedTaint(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
): Taint | undefined {
  for (const taint of taints) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!tolerated(tolerations, taint)) return taint;
  }
  return undefined;
}

const NO_TOLERATIONS: readonly Toleration[] = [];

const tolerationsOf = (pod: PodInfo): readonly Toleration[] => pod.pod.spec?.tolerations ?? NO_TOLERATIONS;

export const TaintToleration: FilterPlugin & ScorePlugin = {
  name: 'TaintToleration',

  filter(_state, pod: PodInfo, node: NodeInfo): Result {
    if (node.taints.length === 0) return undefined;
    const taint = untoleratedTaint(node.taints, tolerationsOf(pod));
    if (!taint) return undefined;
    return unresolvable(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
  },

  score(_state, pod: PodInfo, node: NodeInfo): number {
    const taints = node.taints;
    if (taints.length === 0) return 0;
    let intolerable = 0;
    for (const taint of taints)
      if (taint.effect === 'PreferNoSchedule' && !tolerated(tolerationsOf(pod), taint)) intolerable++;
    return intolerable;
  },

  normalize(_state, _pod, scores: number[]): void {
    defaultNormalizeScore(scores, true);
  },
};
