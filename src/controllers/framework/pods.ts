/**
 * What controllers ask of a pod: is it still active, Ready, available (Ready for minReadySeconds)?
 * Kubernetes' podutil helpers, one definition for every controller.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/object.js';
import type { Informer } from '../../client/informer.js';

/** Neither finished nor being deleted: it counts towards a controller's replicas. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** When the pod last became Ready, in ms since the epoch (NaN: no time given); undefined while it is not Ready. */
export function podReadySince(pod: Pod): number | undefined {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
  if (!ready) return undefined;
  return ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : Number.NaN;
}

/**
 * How long until a Ready pod counts as available: 0 when it already is, undefined when it is not
 * Ready (no wait will make it available). A Ready condition without a time is Ready "forever".
 */
export function msUntilAvailable(pod: Pod, minReadySeconds: number, nowMs: number): number | undefined {
  const since = podReadySince(pod);
  if (since === undefined) return undefined;
  if (minReadySeconds <= 0 || Number.isNaN(since)) return 0;
  return Math.max(0, since + minReadySeconds * 1000 - nowMs);
}

/** Ready for at least `minReadySeconds` at `nowMs` (podutil.IsPodAvailable). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  return msUntilAvailable(pod, minReadySeconds, nowMs) === 0;
}

export function isTerminating(pod: Pod): boolean {
  return !!pod.metadata?.deletionTimestamp;
}

/** Succeeded or Failed: its containers will not run again. */
export function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export function isRunningAndReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && isPodReady(pod);
}

/** Oldest first (creationTimestamp, then name), the order controllers keep pods in. */
export function olderFirst(a: Pod, b: Pod): number {
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** The earliest of several optional delays. */
export function earliest(...delays: (number | undefined)[]): number | undefined {
  let min: number | undefined;
  for (const d of delays) if (d !== undefined && (min === undefined || d < min)) min = d;
  return min;
}

/** Total container restarts, the tie-breaker "restarted more" in deletion order. */
export function podRestarts(pod: Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

/** The pod informer's index of pods by the node they are bound to. */
const NODE_INDEX = 'nodeName';

/** Index a pod informer by node (call in the constructor; shared informers keep one index). */
export function indexByNode<T extends KubeObject>(pods: Informer<T>): void {
  pods.addIndex(NODE_INDEX, (pod) => {
    const node = (pod as Pod).spec?.nodeName;
    return node ? [node] : [];
  });
}

/** The pods bound to `node`; the informer must be indexed with `indexByNode`. */
export function podsOnNode<T extends KubeObject>(pods: Informer<T>, node: string): T[] {
  return pods.byIndex(NODE_INDEX, node);
}
