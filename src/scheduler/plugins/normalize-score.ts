/**
 * Kubernetes' DefaultNormalizeScore, shared by the score plugins whose raw score is a count or a
 * sum of weights (NodeAffinity, TaintToleration): scale [0, max] onto [0, MAX_NODE_SCORE] with
 * integer division as Kubernetes does, optionally reversed so that fewer is better.
 */
import { MAX_NODE_SCORE } from '../framework/types.js';

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
