/**
 * Making and removing a controller's pods, with the events `kubectl describe` shows on the owner
 * (SuccessfulCreate, FailedCreate, SuccessfulDelete, FailedDelete), and client-go's slow start:
 * create in batches of 1, 2, 4, ... and stop at the first failure, so a template the API server
 * rejects costs one failed request per pass, not `replicas` of them.
 */
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { hasCode } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { lookupKind } from '../../api/resources.js';
import { formatTime } from '../../api/time.js';
import type { Recorder } from '../../client/events.js';
import type { Client } from '../../client/rest.js';
import { errorMessage } from '../../util/error-message.js';
import { newControllerRef } from './owner.js';

export const PODS = lookupKind('v1', 'Pod')!;

/** The object reference events about `obj` are filed under. */
export function refOf(obj: KubeObject) {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name: obj.metadata.name!,
    uid: obj.metadata.uid!,
    ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
    ...(obj.metadata.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}),
  };
}

/**
 * A pod for `owner` from its template (Kubernetes' GetPodFromTemplate): the template's labels,
 * annotations, finalizers and spec, the owner as controller, and a name generated from the
 * owner's unless `name` is given.
 */
export function podFromTemplate(template: PodTemplateSpec, owner: KubeObject, name?: string): Pod {
  const meta = template.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(name ? { name } : { generateName: `${owner.metadata.name}-` }),
      namespace: owner.metadata.namespace!,
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [newControllerRef(owner)],
    },
    spec: structuredClone(template.spec ?? { containers: [] }) as Pod['spec'],
  };
}

export class PodControl {
  constructor(
    private readonly client: Client,
    private readonly recorder: Recorder,
  ) {}

  /** Create `pod` for `owner`; the created pod, or the error after a FailedCreate event. */
  async create(owner: KubeObject, pod: Pod): Promise<Pod> {
    try {
      const created = await this.client.create<KubeObject>(PODS, pod.metadata!.namespace, pod as KubeObject);
      this.recorder.event(
        refOf(owner),
        'Normal',
        'SuccessfulCreate',
        `Created pod: ${created.metadata.name}`,
      );
      return created as Pod;
    } catch (err) {
      this.recorder.event(refOf(owner), 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
      throw err;
    }
  }

  /**
   * Delete `pod` of `owner`: true when this call deleted it, false when it was already gone (no
   * such pod, or one of the same name with another uid). On false the watch may have delivered
   * the deletion before the caller expected it, so the caller ticks its expectation off itself
   * (as Kubernetes' controllers do on NotFound).
   */
  async delete(owner: KubeObject, pod: KubeObject): Promise<boolean> {
    try {
      await this.client.delete(PODS, pod.metadata.namespace, pod.metadata.name!, {
        preconditions: { uid: pod.metadata.uid! },
      });
      this.recorder.event(refOf(owner), 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      return true;
    } catch (err) {
      if (hasCode(err, 404) || (hasCode(err, 409) && err.message.includes('UID in precondition')))
        return false;
      this.recorder.event(refOf(owner), 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`);
      throw err;
    }
  }
}

/**
 * Say why `pod` is about to be deleted: the condition DisruptionTarget, with `reason` (e.g.
 * DeletionByTaintManager, DeletionByPodGC), written to its status before the delete, as Kubernetes does.
 */
export function markDisruptionTarget(
  client: Client,
  pod: KubeObject,
  reason: string,
  message: string,
  now: number,
): Promise<unknown> {
  const condition = {
    type: 'DisruptionTarget',
    status: 'True',
    reason,
    message,
    lastTransitionTime: formatTime(new Date(now)),
  };
  return client.patch(
    PODS,
    pod.metadata.namespace,
    pod.metadata.name!,
    'strategic',
    { status: { conditions: [condition] } },
    { subresource: 'status' },
  );
}

/**
 * Run `fn` `count` times in growing batches (1, 2, 4, ... from `initial`), stopping after the
 * first batch with a failure. Returns how many succeeded and the first error, if any.
 */
export async function slowStart(
  count: number,
  fn: (i: number) => Promise<unknown>,
  initial = 1,
): Promise<{ succeeded: number; error?: unknown }> {
  let done = 0;
  let succeeded = 0;
  for (
    let batch = Math.min(Math.max(1, initial), count);
    batch > 0;
    batch = Math.min(batch * 2, count - done)
  ) {
    const results = await Promise.allSettled(Array.from({ length: batch }, (_, i) => fn(done + i)));
    done += batch;
    const failed = results.find((r) => r.status === 'rejected');
    succeeded += results.filter((r) => r.status === 'fulfilled').length;
    if (failed) return { succeeded, error: (failed as PromiseRejectedResult).reason };
  }
  return { succeeded };
}
