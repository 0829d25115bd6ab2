/**
 * Which dead containers and sandboxes to remove — a pure decision over one listing of this
 * node's runtime objects, as kubelet's container garbage collector (`kuberuntime_gc.go`).
 *
 * Kubelet's policy: `MinAge` (0), `MaxPerPodContainer` (1) and `MaxContainers` (-1, no limit).
 * Shoal's pod status and `kubectl logs` read a container's newest instance as its current state,
 * running or not, and the one before it as `lastState` / `--previous`. So the newest instance of
 * each (pod, container name) is never collected, and `maxPerPodContainer` counts the dead
 * instances kept *before* it: with the default 1, a crash-looping container keeps exactly what
 * `kubectl logs --previous` needs. Running (and unknown) instances are never touched.
 *
 * The pod worker removes what starting needs (a never-started leftover, the sandbox it replaces)
 * and everything of a deleted pod; housekeeping removes objects of pods this node no longer has.
 * What is left only for keeping — older dead instances, dead sandboxes that are not the pod's
 * newest — is collected here, across all pods at once.
 */
import type { ContainerRecord } from '../../runtime/driver.js';
import { viewOf } from '../pod-plan.js';

/** How often dead containers are collected (kubelet's period). */
export const CONTAINER_GC_PERIOD_MS = 60_000;

export interface ContainerGcPolicy {
  /** Dead instances younger than this (since created) stay. */
  minAgeMs: number;
  /** Dead instances kept per (pod, container name) besides the newest one; < 0: no limit. */
  maxPerPodContainer: number;
  /** Dead instances kept on the node in all (beyond each container's newest); < 0: no limit. */
  maxContainers: number;
}

export const DEFAULT_CONTAINER_GC_POLICY: Readonly<ContainerGcPolicy> = {
  minAgeMs: 0,
  maxPerPodContainer: 1,
  maxContainers: -1,
};

/** Throws when a field of the policy is not a number of the right kind, saying which. */
export function checkContainerGcPolicy(policy: ContainerGcPolicy): void {
  for (const key of ['minAgeMs', 'maxPerPodContainer', 'maxContainers'] as const) {
    const v = policy[key];
    if (!Number.isFinite(v) || (key === 'minAgeMs' ? v < 0 : !Number.isInteger(v)))
      throw new Error(
        `container GC policy: ${key} must be ${key === 'minAgeMs' ? 'a number ≥ 0' : 'an integer'}, got ${v}`,
      );
  }
}

const dead = (r: ContainerRecord) => r.state === 'exited' || r.state === 'created';

/** The objects to remove, oldest first. `records` is every object of this node (any order). */
export function planContainerGc(
  records: readonly ContainerRecord[],
  policy: ContainerGcPolicy,
  now: number,
): ContainerRecord[] {
  const oldEnough = (r: ContainerRecord) => now - r.createdAt.getTime() >= policy.minAgeMs;
  const byPod = new Map<string, ContainerRecord[]>();
  for (const r of records) {
    const list = byPod.get(r.podUid);
    if (list) list.push(r);
    else byPod.set(r.podUid, [r]);
  }

  const remove: ContainerRecord[] = [];
  /** Per (pod, container name): its evictable instances, newest first. */
  const units: ContainerRecord[][] = [];
  for (const list of byPod.values()) {
    const view = viewOf(list);
    for (const sandbox of view.oldSandboxes) if (dead(sandbox) && oldEnough(sandbox)) remove.push(sandbox);
    for (const instances of view.containers.values()) {
      const evictable = instances.slice(1).filter((r) => dead(r) && oldEnough(r));
      if (evictable.length > 0) units.push(evictable);
    }
  }

  const keepPerUnit = (n: number) => {
    for (const unit of units) if (n >= 0 && unit.length > n) remove.push(...unit.splice(n));
  };
  keepPerUnit(policy.maxPerPodContainer);
  if (policy.maxContainers >= 0) {
    let total = units.reduce((n, u) => n + u.length, 0);
    if (total > policy.maxContainers) {
      // As kubelet: first an even share per container (at least one), then the oldest overall.
      keepPerUnit(Math.max(1, Math.floor(policy.maxContainers / units.length)));
      total = units.reduce((n, u) => n + u.length, 0);
      if (total > policy.maxContainers) {
        const rest = units.flat().sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
        remove.push(...rest.slice(policy.maxContainers));
      }
    }
  }
  return remove.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}
