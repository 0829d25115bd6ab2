/**
 * DefaultTolerationSeconds admission (Kubernetes' plugin/pkg/admission/defaulttolerationseconds):
 * on pod create, a pod that does not already tolerate `node.kubernetes.io/not-ready:NoExecute`
 * (or `unreachable`) gets a toleration of it for a limited time. The taint eviction controller
 * evicts the pod that long after its node is tainted, so this is how long a pod waits on a lost
 * node before its controller replaces it elsewhere.
 *
 * Kubernetes waits 300 s; Shoal's default is 2 s (`shoal server
 * --default-not-ready-toleration-seconds`, `--default-unreachable-toleration-seconds`): with the
 * node monitor's 8 s grace period, a lost node's pods are replaced about 10 s after it went
 * silent, in the spirit of Docker Swarm's rescheduling rather than Kubernetes' five minutes.
 * A pod that tolerates the taint already (DaemonSet pods tolerate it forever) is left alone.
 */
import type { KubeObject } from '../../api/object.js';
import { TAINT_NOT_READY, TAINT_UNREACHABLE } from '../../api/taints.js';

export interface DefaultTolerationSeconds {
  notReady: number;
  unreachable: number;
}

export const DEFAULT_TOLERATION_SECONDS: DefaultTolerationSeconds = { notReady: 2, unreachable: 2 };

interface TolerationFields {
  key?: string;
  effect?: string;
}

export function admitDefaultTolerations(pod: KubeObject, seconds: DefaultTolerationSeconds): void {
  pod.spec ??= {};
  const spec = pod.spec as { tolerations?: unknown };
  const existing: TolerationFields[] = Array.isArray(spec.tolerations)
    ? (spec.tolerations as unknown[]).filter(
        (t): t is TolerationFields => typeof t === 'object' && t !== null && !Array.isArray(t),
      )
    : [];
  // As Kubernetes: any toleration with this key (or no key) and effect NoExecute (or none) counts,
  // whatever its operator, value or seconds.
  const tolerates = (key: string) =>
    existing.some((t) => (!t.key || t.key === key) && (!t.effect || t.effect === 'NoExecute'));
  const added = [
    { key: TAINT_NOT_READY, tolerationSeconds: seconds.notReady },
    { key: TAINT_UNREACHABLE, tolerationSeconds: seconds.unreachable },
  ]
    .filter(({ key }) => !tolerates(key))
    .map(({ key, tolerationSeconds }) => ({
      key,
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds,
    }));
  if (added.length === 0) return;
  spec.tolerations = [...(Array.isArray(spec.tolerations) ? spec.tolerations : []), ...added];
}
