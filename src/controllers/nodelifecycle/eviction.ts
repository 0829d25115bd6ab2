/**
 * When must a pod leave its node? The pure half of the taint eviction controller (Kubernetes'
 * taint-eviction-controller, formerly the NoExecuteTaintManager):
 *
 * - no NoExecute taint on the pod's node: nothing to do (a pending eviction is cancelled);
 * - a NoExecute taint the pod does not tolerate: evict now;
 * - all tolerated, one of the tolerations used without tolerationSeconds: never;
 * - otherwise: evict once the shortest tolerationSeconds among the used tolerations has passed,
 *   counted from when the controller first saw the pod on the tainted node (its own clock, not
 *   the taint's timeAdded, which another machine's clock wrote). A pending eviction keeps its
 *   start when the taints change, so a node that goes from not-ready to unreachable does not
 *   restart its pods' countdown.
 */
import type { Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { toleratesTaint } from '../../scheduler/plugins/taint-toleration.js';

/** An eviction the controller has scheduled: counted from `since`, due at `at` (both ms, our clock). */
export interface PendingEviction {
  since: number;
  at: number;
}

export type EvictionPlan =
  /** Nothing to do; drop any pending eviction. */
  | { action: 'none' }
  | { action: 'evict' }
  /** Evict at `pending.at` unless something changes before. */
  | { action: 'wait'; pending: PendingEviction };

/**
 * The shortest tolerationSeconds of the tolerations used (ms); undefined when one of them
 * tolerates forever. Negative seconds mean "at once", as in Kubernetes.
 */
function tolerationMs(used: readonly Toleration[]): number | undefined {
  let min: number | undefined;
  for (const t of used) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) return undefined;
    const ms = Math.max(0, t.tolerationSeconds) * 1000;
    if (min === undefined || ms < min) min = ms;
  }
  return min;
}

export function planEviction(
  pod: Pod,
  nodeTaints: readonly Taint[],
  pending: PendingEviction | undefined,
  now: number,
): EvictionPlan {
  if (!pod.spec?.nodeName || pod.metadata?.deletionTimestamp) return { action: 'none' };
  const taints = nodeTaints.filter((t) => t.effect === 'NoExecute');
  if (taints.length === 0) return { action: 'none' };
  const tolerations = pod.spec.tolerations ?? [];
  const used: Toleration[] = [];
  for (const taint of taints) {
    const t = tolerations.find((t) => toleratesTaint(t, taint));
    if (!t) return { action: 'evict' };
    used.push(t);
  }
  const ms = tolerationMs(used);
  if (ms === undefined) return { action: 'none' };
  const since = pending?.since ?? now;
  const at = since + ms;
  return at <= now ? { action: 'evict' } : { action: 'wait', pending: { since, at } };
}
