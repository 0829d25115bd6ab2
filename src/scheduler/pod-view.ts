/**
 * What the scheduler keeps of each pod its informer holds. It caches every pod in the cluster
 * (150,000 at Kubernetes' envelope) but reads only what placement needs: requests, ports,
 * affinity, tolerations, topology spread, priority, labels, its own conditions and start time;
 * of a pod already on a node, only what a neighbour is judged by. What the agents and users fill
 * in besides (container statuses and addresses, environment, commands, probes, volumes, the
 * kubelet's conditions) is dropped as each object arrives, with managedFields, so the
 * scheduler's memory grows with the pods' count rather than their size.
 */
import type { Container, Pod, PodSpec, PodStatus } from 'kubernetes-types/core/v1.js';

/** Container fields placement reads (requests, host ports, image locality, sidecar detection). */
const CONTAINER_FIELDS = ['name', 'image', 'resources', 'ports', 'restartPolicy'] as const;
/** Spec fields nothing in src/scheduler reads. */
const UNUSED_SPEC_FIELDS = ['volumes', 'ephemeralContainers', 'imagePullSecrets', 'securityContext'] as const;
/** Status fields placement reads. */
const STATUS_FIELDS = ['phase', 'conditions', 'nominatedNodeName', 'startTime'] as const;
/** The conditions the scheduler reads (its own, and preemption's mark on victims). */
const CONDITIONS = new Set(['PodScheduled', 'DisruptionTarget']);
/**
 * What only a pod being placed needs: once a pod has a node, the filters and scores read its
 * labels, requests, ports and pod (anti-)affinity as a neighbour, never these.
 */
const PLACEMENT_ONLY_SPEC_FIELDS = ['tolerations', 'nodeSelector', 'topologySpreadConstraints'] as const;

function trimContainers(list: Container[] | undefined): Container[] | undefined {
  if (!Array.isArray(list)) return list;
  return list.map((c) => {
    const out: Record<string, unknown> = {};
    for (const f of CONTAINER_FIELDS) if (c[f] !== undefined) out[f] = c[f];
    return out as unknown as Container;
  });
}

/** `pod` trimmed (in place, as informer transforms are) to what the scheduler reads. */
export function schedulerPodView<T extends Pod>(pod: T): T {
  const meta = pod.metadata;
  if (meta?.managedFields !== undefined) delete meta.managedFields;
  const spec = pod.spec as PodSpec | undefined;
  if (spec) {
    for (const f of UNUSED_SPEC_FIELDS) delete spec[f];
    const containers = trimContainers(spec.containers);
    if (containers) spec.containers = containers;
    const init = trimContainers(spec.initContainers);
    if (init) spec.initContainers = init;
    if (spec.nodeName) {
      for (const f of PLACEMENT_ONLY_SPEC_FIELDS) delete spec[f];
      if (spec.affinity?.nodeAffinity) {
        const { nodeAffinity: _, ...rest } = spec.affinity;
        if (Object.keys(rest).length > 0) spec.affinity = rest;
        else delete spec.affinity;
      }
    }
  }
  const status = pod.status as PodStatus | undefined;
  if (status) {
    const kept: Record<string, unknown> = {};
    for (const f of STATUS_FIELDS) if (status[f] !== undefined) kept[f] = status[f];
    if (Array.isArray(status.conditions)) {
      const conditions = status.conditions.filter((c) => CONDITIONS.has(c.type));
      if (conditions.length > 0) kept.conditions = conditions;
      else delete kept.conditions;
    }
    (pod as { status?: PodStatus }).status = kept as PodStatus;
  }
  return pod;
}
