/**
 * Priority admission (Kubernetes' plugin/pkg/admission/priority): on pod create, resolve
 * `spec.priorityClassName` into `spec.priority` and `spec.preemptionPolicy`, so the scheduler and
 * preemption only read numbers. A pod naming no class gets the globalDefault class (the lowest,
 * should several claim it), else priority 0. The built-in system-cluster-critical and
 * system-node-critical classes resolve without an object. Errors are worded as Kubernetes'.
 */
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { errors } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';

export interface PriorityClasses {
  get(name: string): Promise<PriorityClass | undefined>;
  list(): Promise<PriorityClass[]>;
}

/** Kubernetes' built-in classes (its apiserver creates them; here they need no object). */
export const SYSTEM_PRIORITY_CLASSES: Readonly<Record<string, number>> = {
  'system-node-critical': 2_000_001_000,
  'system-cluster-critical': 2_000_000_000,
};

const DEFAULT_POLICY = 'PreemptLowerPriority';

interface PodSpecFields {
  priorityClassName?: string;
  priority?: number;
  preemptionPolicy?: string;
}

export async function admitPodPriority(pod: KubeObject, classes: PriorityClasses): Promise<void> {
  pod.spec ??= {};
  const spec = pod.spec as PodSpecFields;
  const target = {
    group: '',
    resource: 'pods',
    kind: 'Pod',
    ...(pod.metadata.name ? { name: pod.metadata.name } : {}),
  };
  let priority: number;
  let policy: string;
  const className = spec.priorityClassName;
  if (!className) {
    let chosen: PriorityClass | undefined;
    for (const pc of await classes.list())
      if (pc.globalDefault && (chosen === undefined || pc.value < chosen.value)) chosen = pc;
    priority = chosen?.value ?? 0;
    policy = chosen?.preemptionPolicy ?? DEFAULT_POLICY;
    if (chosen) spec.priorityClassName = chosen.metadata?.name ?? '';
  } else {
    const pc = await classes.get(className);
    const system = SYSTEM_PRIORITY_CLASSES[className];
    if (!pc && system === undefined)
      throw errors.forbidden(target, `no PriorityClass with name ${className} was found`);
    priority = pc?.value ?? system!;
    policy = pc?.preemptionPolicy ?? DEFAULT_POLICY;
  }
  if (spec.priority !== undefined && spec.priority !== null && spec.priority !== priority) {
    throw errors.forbidden(
      target,
      `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`,
    );
  }
  if (
    spec.preemptionPolicy !== undefined &&
    spec.preemptionPolicy !== null &&
    spec.preemptionPolicy !== policy
  ) {
    throw errors.forbidden(
      target,
      `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`,
    );
  }
  spec.priority = priority;
  spec.preemptionPolicy = policy;
}
