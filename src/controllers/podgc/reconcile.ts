/**
 * Which pods must be force-deleted (grace 0), because no agent will ever confirm their end: the
 * pure half of the pod garbage collector (Kubernetes' PodGC), the parts that matter for lost nodes.
 *
 * - orphaned: bound to a node that no longer exists (an admin deleted the lost node). Only after
 *   the node has been missing for a quarantine period (40 s, as Kubernetes), and the controller
 *   then asks the API server itself, so an informer lagging behind or a node being re-registered
 *   does not cost running pods;
 * - terminating and never scheduled: no agent holds them;
 * - terminating on a node that is not Ready and carries `node.kubernetes.io/out-of-service`
 *   (the admin's statement that the machine is gone for good).
 *
 * A pod on a node that is merely unreachable is NOT collected: it stays Terminating until its
 * agent comes back and confirms, so a StatefulSet (which waits for the pod object to be gone)
 * never runs a second pod of the same name while the first may still be running.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { TAINT_OUT_OF_SERVICE } from '../../api/taints.js';
import { isNodeReady } from '../framework/nodes.js';

export const ORPHAN_QUARANTINE_MS = 40_000;

export type PodGCPlan =
  | { action: 'none' }
  /** The pod's node is missing from the cache: look again after `ms`. */
  | { action: 'wait'; ms: number }
  /** Missing for the whole quarantine: delete if the API server confirms the node is gone. */
  | { action: 'confirm-orphan' }
  | { action: 'force-delete'; why: 'unscheduled' | 'out-of-service' };

/**
 * `node` is the pod's node from the cache (undefined when missing), `missingSince` when the
 * controller first found it missing (ms, its clock).
 */
export function planPodGC(
  pod: Pod,
  node: Node | undefined,
  missingSince: number | undefined,
  now: number,
  quarantineMs = ORPHAN_QUARANTINE_MS,
): PodGCPlan {
  const terminating = !!pod.metadata?.deletionTimestamp;
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) return terminating ? { action: 'force-delete', why: 'unscheduled' } : { action: 'none' };
  if (!node) {
    const waited = now - (missingSince ?? now);
    return waited >= quarantineMs
      ? { action: 'confirm-orphan' }
      : { action: 'wait', ms: quarantineMs - waited };
  }
  if (!terminating) return { action: 'none' };
  const ready = isNodeReady(node);
  const outOfService = node.spec?.taints?.some(
    (t) => t.key === TAINT_OUT_OF_SERVICE && t.effect === 'NoExecute',
  );
  return !ready && outOfService ? { action: 'force-delete', why: 'out-of-service' } : { action: 'none' };
}
