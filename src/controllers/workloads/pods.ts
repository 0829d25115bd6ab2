/**
 * What the DaemonSet and StatefulSet controllers read off their pods: readiness, availability
 * (Ready for `minReadySeconds`), termination, and age order — Kubernetes' podutil helpers.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';

function readyCondition(pod: Pod) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === 'True';
}

/**
 * How long until a Ready pod counts as available: 0 when it already is, undefined when it is not
 * Ready (no wait will make it available). Ready since the condition's lastTransitionTime.
 */
export function msUntilAvailable(pod: Pod, minReadySeconds: number, nowMs: number): number | undefined {
  const ready = readyCondition(pod);
  if (ready?.status !== 'True') return undefined;
  if (minReadySeconds <= 0) return 0;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : Number.NaN;
  // A Ready condition without a time is Ready "forever": nothing to wait for.
  if (Number.isNaN(since)) return 0;
  return Math.max(0, since + minReadySeconds * 1000 - nowMs);
}

/** Ready for at least `minReadySeconds` (podutil.IsPodAvailable). */
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
