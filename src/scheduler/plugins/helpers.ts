/**
 * Small helpers the plugins share: Kubernetes' default score normalization and a label lookup
 * that is safe on plain objects.
 */
import { MAX_NODE_SCORE } from '../framework/types.js';

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

/**
 * `labels[key]` when it is a label: labels are plain objects, so a key such as `constructor`
 * must not find an inherited member.
 */
export function labelValue(labels: Readonly<Record<string, string>>, key: string): string | undefined {
  const v = labels[key];
  return typeof v === 'string' ? v : undefined;
}
