/**
 * A StatefulSet's pods and their identity: `<set>-<ordinal>` names, the labels that say which
 * ordinal a pod is, and a stable hostname under the governing Service (`web-0.nginx`).
 */
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { Pod, PodTemplateSpec, Volume } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/object.js';
import { podFromTemplate } from '../framework/pod-control.js';
import { REVISION_HASH_LABEL } from '../workloads/revisions.js';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

/** The ordinal in a pod's name if it is `<set>-<ordinal>`, else undefined. */
export function ordinalOf(set: StatefulSet, pod: Pod): number | undefined {
  const name = pod.metadata?.name ?? '';
  const prefix = `${set.metadata?.name}-`;
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

export function podName(set: StatefulSet, ordinal: number): string {
  return `${set.metadata?.name}-${ordinal}`;
}

/** The identity labels pod `ordinal` must carry. */
export function identityLabels(set: StatefulSet, ordinal: number): Record<string, string> {
  return { [POD_NAME_LABEL]: podName(set, ordinal), [POD_INDEX_LABEL]: String(ordinal) };
}

/** Identity labels the pod lacks or has wrong (empty when it is right). */
export function missingIdentity(set: StatefulSet, pod: Pod, ordinal: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(identityLabels(set, ordinal))) {
    if (pod.metadata?.labels?.[k] !== v) out[k] = v;
  }
  return out;
}

/**
 * Pod `ordinal` of `set` from `template` (the template of revision `revisionName`). Each of the
 * set's volumeClaimTemplates is mounted as an emptyDir of the same name until Shoal binds claims
 * to volumes (a later storage issue): the pod is valid and runs, but its data does not outlive it.
 */
export function newStatefulPod(
  set: StatefulSet,
  template: PodTemplateSpec,
  revisionName: string,
  ordinal: number,
): Pod {
  const name = podName(set, ordinal);
  const pod = podFromTemplate(template, set as unknown as KubeObject, name);
  pod.metadata!.labels = {
    ...(pod.metadata!.labels ?? {}),
    ...identityLabels(set, ordinal),
    [REVISION_HASH_LABEL]: revisionName,
  };
  const spec = pod.spec!;
  spec.hostname = name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
  const volumes: Volume[] = [...(spec.volumes ?? [])];
  for (const claim of set.spec?.volumeClaimTemplates ?? []) {
    const claimName = claim.metadata?.name;
    if (claimName && !volumes.some((v) => v.name === claimName))
      volumes.push({ name: claimName, emptyDir: {} });
  }
  if (volumes.length > 0) spec.volumes = volumes;
  return pod;
}
