/**
 * The taints a node's conditions call for (the pure half of Kubernetes' TaintNodesByCondition and
 * NoExecute tainting passes). The scheduler reads only taints, never conditions, so:
 *
 *   Ready False             → node.kubernetes.io/not-ready     NoSchedule + NoExecute
 *   Ready Unknown           → node.kubernetes.io/unreachable   NoSchedule + NoExecute
 *   MemoryPressure True     → node.kubernetes.io/memory-pressure       NoSchedule
 *   DiskPressure True       → node.kubernetes.io/disk-pressure         NoSchedule
 *   PIDPressure True        → node.kubernetes.io/pid-pressure          NoSchedule
 *   NetworkUnavailable True → node.kubernetes.io/network-unavailable   NoSchedule
 *   spec.unschedulable      → node.kubernetes.io/unschedulable         NoSchedule
 *
 * The NoSchedule half keeps new pods off (every pod tolerates the NoExecute half for a while, so
 * that alone would let the scheduler place replacements on the dead node); the NoExecute half is
 * what the taint eviction controller acts on. Other taints (an admin's) are never touched.
 */
import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import {
  TAINT_DISK_PRESSURE,
  TAINT_MEMORY_PRESSURE,
  TAINT_NETWORK_UNAVAILABLE,
  TAINT_NOT_READY,
  TAINT_PID_PRESSURE,
  TAINT_UNREACHABLE,
  TAINT_UNSCHEDULABLE,
} from '../../api/taints.js';
import { formatTime } from '../../api/time.js';

const CONDITION_TAINTS: readonly { type: string; status: string; key: string }[] = [
  { type: 'Ready', status: 'False', key: TAINT_NOT_READY },
  { type: 'Ready', status: 'Unknown', key: TAINT_UNREACHABLE },
  { type: 'MemoryPressure', status: 'True', key: TAINT_MEMORY_PRESSURE },
  { type: 'DiskPressure', status: 'True', key: TAINT_DISK_PRESSURE },
  { type: 'PIDPressure', status: 'True', key: TAINT_PID_PRESSURE },
  { type: 'NetworkUnavailable', status: 'True', key: TAINT_NETWORK_UNAVAILABLE },
];
const NO_EXECUTE_KEYS = new Set([TAINT_NOT_READY, TAINT_UNREACHABLE]);

/** Whether this controller owns `taint` (adds and removes it); others are left alone. */
function managed(taint: Taint): boolean {
  if (taint.effect === 'NoExecute') return NO_EXECUTE_KEYS.has(taint.key);
  if (taint.effect !== 'NoSchedule') return false;
  return taint.key === TAINT_UNSCHEDULABLE || CONDITION_TAINTS.some((c) => c.key === taint.key);
}

export interface TaintOptions {
  /**
   * Add no NoExecute taints and drop those there are (Kubernetes' full-disruption mode): when
   * every node looks dead at once, the fault is most likely ours (the control plane's network,
   * an overloaded server), and evicting every pod of the cluster would only make it worse.
   */
  evictionsStopped: boolean;
  now: number;
}

/**
 * The node's taints as they should be, or undefined when they already are. Taints that stay keep
 * their timeAdded; new NoExecute taints get `now` (the taint eviction controller does not read it:
 * it counts from when it saw the taint, on its own clock).
 */
export function desiredTaints(node: Node, options: TaintOptions): Taint[] | undefined {
  const wanted: Taint[] = [];
  const conditions = node.status?.conditions ?? [];
  for (const rule of CONDITION_TAINTS) {
    if (!conditions.some((c) => c.type === rule.type && c.status === rule.status)) continue;
    wanted.push({ key: rule.key, effect: 'NoSchedule' });
    if (NO_EXECUTE_KEYS.has(rule.key) && !options.evictionsStopped) {
      wanted.push({ key: rule.key, effect: 'NoExecute', timeAdded: formatTime(new Date(options.now)) });
    }
  }
  if (node.spec?.unschedulable) wanted.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });

  const current = node.spec?.taints ?? [];
  const same = (a: Taint, b: Taint) => a.key === b.key && a.effect === b.effect;
  const kept = current.filter((t) => !managed(t) || wanted.some((w) => same(w, t)));
  const added = wanted.filter((w) => !current.some((t) => same(w, t)));
  if (added.length === 0 && kept.length === current.length) return undefined;
  return [...kept, ...added];
}
