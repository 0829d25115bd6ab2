/**
 * Kubelet's threshold rule, pure: a probe's result only changes after `successThreshold`
 * successes or `failureThreshold` failures in a row. Every result from then on "settles" again
 * (same value), which is harmless: the caller acts on changes.
 */
export type Verdict = 'success' | 'failure';

export interface ResultRun {
  /** The last result seen, undefined before the first. */
  last?: Verdict;
  /** How many times in a row `last` was seen. */
  count: number;
}

export function recordResult(
  run: ResultRun,
  result: Verdict,
  thresholds: { successThreshold: number; failureThreshold: number },
): { run: ResultRun; settled?: Verdict } {
  const next: ResultRun = { last: result, count: run.last === result ? run.count + 1 : 1 };
  const needed = result === 'success' ? thresholds.successThreshold : thresholds.failureThreshold;
  return next.count >= needed ? { run: next, settled: result } : { run: next };
}
