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
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';

/** Container fields placement reads (requests, host ports, image locality, sidecar detection). */
const CONTAINER_FIELDS = ['name', 'image', 'resources', 'ports', 'restartPolicy'] as const;
/** Spec fields nothing in src/scheduler reads. */
const UNUSED_SPEC_FIELDS = ['volumes', 'ephemeralContainers', 'imagePullSecrets', 'securityContext'] as const;
/** Status fields placement reads. */
const STATUS_FIELDS = ['phase', 'conditions', 'nominatedNodeName', 'startTime'] as const;
/** The conditions the scheduler reads (its own, and preemption's mark on victims). */
const CONDITIONS = new Set(['PodScheduled', 'DisruptionTarget']);
/**
 * Of a pod on a node, the filters and scores read only what a neighbour is judged by (labels,
 * requests, ports, pod (anti-)affinity), preemption its priority, start time and conditions, and
 * the scheduler its identity and deletion. Everything else goes: these lists are all that stays.
 */
const NEIGHBOUR_METADATA = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'labels',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
] as const;
const NEIGHBOUR_SPEC = [
  'nodeName',
  'schedulerName',
  'priority',
  'preemptionPolicy',
  'containers',
  'initContainers',
  'overhead',
] as const;
/** Container fields a neighbour's requests and host ports come from. */
const NEIGHBOUR_CONTAINER_FIELDS = ['name', 'resources', 'ports', 'restartPolicy'] as const;

function pick<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) if (from[k] !== undefined) out[k] = from[k];
  return out;
}

function trimContainers(
  list: Container[] | undefined,
  fields: readonly (keyof Container)[] = CONTAINER_FIELDS,
): Container[] | undefined {
  if (!Array.isArray(list)) return list;
  return list.map((c) => pick(c, fields) as Container);
}

/** `pod` trimmed (in place, as informer transforms are) to what the scheduler reads. */
export function schedulerPodView<T extends Pod>(pod: T): T {
  const writable = pod as { metadata?: ObjectMeta; spec?: PodSpec; status?: PodStatus };
  const spec = pod.spec as PodSpec | undefined;
  if (spec?.nodeName) {
    writable.metadata = pick(pod.metadata ?? {}, NEIGHBOUR_METADATA);
    writable.spec = neighbourSpec(spec);
  } else {
    if (pod.metadata?.managedFields !== undefined) delete pod.metadata.managedFields;
    if (spec) trimCandidateSpec(spec);
  }
  const status = pod.status as PodStatus | undefined;
  if (status) {
    const kept = pick(status, STATUS_FIELDS);
    const conditions = status.conditions?.filter((c) => CONDITIONS.has(c.type));
    if (conditions?.length) kept.conditions = conditions;
    else delete kept.conditions;
    writable.status = kept;
  }
  return pod;
}

/** What is kept of a bound pod's spec: what it is judged by as a neighbour. */
function neighbourSpec(spec: PodSpec): PodSpec {
  const kept = pick(spec, NEIGHBOUR_SPEC) as PodSpec;
  kept.containers = trimContainers(spec.containers, NEIGHBOUR_CONTAINER_FIELDS) ?? [];
  const init = trimContainers(spec.initContainers, NEIGHBOUR_CONTAINER_FIELDS);
  if (init) kept.initContainers = init;
  const { podAffinity, podAntiAffinity } = spec.affinity ?? {};
  if (podAffinity || podAntiAffinity)
    kept.affinity = {
      ...(podAffinity ? { podAffinity } : {}),
      ...(podAntiAffinity ? { podAntiAffinity } : {}),
    };
  return kept;
}

/** A pod still to place keeps its spec but what nothing in src/scheduler reads. */
function trimCandidateSpec(spec: PodSpec): void {
  for (const f of UNUSED_SPEC_FIELDS) delete spec[f];
  const containers = trimContainers(spec.containers);
  if (containers) spec.containers = containers;
  const init = trimContainers(spec.initContainers);
  if (init) spec.initContainers = init;
}
