/**
 * The pods a Job makes, and what the Job controller reads off them: its template with, for
 * Indexed Jobs, the completion index as annotation, label, `JOB_COMPLETION_INDEX` env and
 * hostname `<job>-<index>`, as Kubernetes' job controller builds them.
 */
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/object.js';
import { podFromTemplate } from '../framework/pod-control.js';

/** Annotation and label with an Indexed Job pod's completion index. */
export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
export const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';

export function isIndexed(job: Job): boolean {
  return job.spec?.completionMode === 'Indexed';
}

/** A new pod for `job`; `index` for Indexed Jobs. */
export function jobPod(job: Job, index?: number): Pod {
  const owner = job as unknown as KubeObject;
  const pod = podFromTemplate(job.spec!.template, owner);
  if (index === undefined) return pod;
  const meta = pod.metadata!;
  const name = job.metadata!.name!;
  meta.generateName = `${name}-${index}-`;
  meta.annotations = { ...meta.annotations, [COMPLETION_INDEX]: String(index) };
  meta.labels = { ...meta.labels, [COMPLETION_INDEX]: String(index) };
  const spec = pod.spec!;
  // A stable host name per index lets the pods of an Indexed Job find each other through a
  // headless Service named by spec.subdomain.
  spec.hostname ??= `${name}-${index}`;
  const withIndex = (c: Container): Container =>
    c.env?.some((e) => e.name === COMPLETION_INDEX_ENV)
      ? c
      : {
          ...c,
          env: [
            ...(c.env ?? []),
            {
              name: COMPLETION_INDEX_ENV,
              valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } },
            },
          ],
        };
  spec.containers = spec.containers.map(withIndex);
  if (spec.initContainers) spec.initContainers = spec.initContainers.map(withIndex);
  return pod;
}
