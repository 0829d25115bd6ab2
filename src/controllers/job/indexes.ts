/**
 * Completion indexes of Indexed Jobs as Kubernetes writes them in `status.completedIndexes`:
 * sorted, comma-separated, consecutive runs collapsed to ranges ("0-2,5,7-8").
 */

/** Format a set of indexes: `[0, 1, 2, 5]` → "0-2,5"; none → "". */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * Parse a completion index as the pod carries it (annotation or label): a plain non-negative
 * decimal below `completions`; anything else is undefined (such a pod counts for no index).
 */
export function parseIndex(text: string | undefined, completions: number): number | undefined {
  if (text === undefined || !/^(0|[1-9]\d*)$/.test(text)) return undefined;
  const n = Number(text);
  return n < completions ? n : undefined;
}
