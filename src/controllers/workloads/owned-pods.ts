/**
 * The pods a workload controller (DaemonSet, StatefulSet, Job) owns: the handlers that turn pod
 * events into owner keys, claiming, and creating and deleting pods under expectations.
 *
 * `handlePodEvents` registers the pod handlers of the DaemonSet and StatefulSet controllers
 * (Kubernetes' addPod/updatePod/deletePod; the ReplicaSet controller keeps its own, which also
 * check the owner's uid and requeue after minReadySeconds): each pod event is turned into the key of
 * the owner it concerns, and ticks off that owner's expectations. A pod seen with a
 * deletionTimestamp counts as deleted for expectations at once, as in Kubernetes: the owner asked
 * for the deletion and need not wait out the grace period to plan its next step. An orphan, or a
 * pod whose labels changed, goes to every owner whose selector may adopt or release it.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { selectorMatches } from '../../api/labels.js';
import type { KubeObject } from '../../api/object.js';
import { type Informer, keyOf } from '../../client/informer.js';
import type { Client } from '../../client/rest.js';
import type { Expectations } from '../framework/expectations.js';
import { claim, controllerRefOf, ownedOrOrphans, planClaims } from '../framework/owner.js';
import { PODS, type PodControl, slowStart } from '../framework/pod-control.js';

export interface PodEventOptions {
  /** The owner kind ("DaemonSet", "StatefulSet"). */
  kind: string;
  expectations: Expectations;
  enqueue: (ownerKey: string) => void;
  /** The owners' informer: an orphan goes to those of its namespace whose `spec.selector` matches it. */
  owners: Informer<KubeObject>;
}

export function ownerKeyOf(pod: Pod, kind: string): string | undefined {
  const ref = controllerRefOf(pod as KubeObject);
  if (!ref || ref.kind !== kind) return undefined;
  return `${pod.metadata?.namespace}/${ref.name}`;
}

export function handlePodEvents(pods: Informer<KubeObject>, o: PodEventOptions): void {
  const podOwner = (pod: Pod) => ownerKeyOf(pod, o.kind);
  const orphan = (pod: Pod) => !controllerRefOf(pod as KubeObject);
  const matchingOwners = (pod: Pod) =>
    o.owners
      .list(pod.metadata?.namespace)
      .filter((owner) =>
        selectorMatches(
          (owner.spec as { selector?: LabelSelector } | undefined)?.selector,
          pod.metadata?.labels,
        ),
      )
      .map(keyOf);
  pods.onAdd((obj) => {
    const pod = obj as Pod;
    const owner = podOwner(pod);
    if (owner) {
      if (pod.metadata?.deletionTimestamp) o.expectations.deletionObserved(owner, keyOf(pod));
      else o.expectations.creationObserved(owner);
      o.enqueue(owner);
    } else if (orphan(pod)) {
      for (const key of matchingOwners(pod)) o.enqueue(key);
    }
  });
  pods.onUpdate((oldObj, newObj) => {
    const [oldPod, pod] = [oldObj as Pod, newObj as Pod];
    const owner = podOwner(pod);
    const oldOwner = podOwner(oldPod);
    if (pod.metadata?.deletionTimestamp && !oldPod.metadata?.deletionTimestamp && owner) {
      o.expectations.deletionObserved(owner, keyOf(pod));
    }
    if (oldOwner && oldOwner !== owner) o.enqueue(oldOwner);
    if (owner) o.enqueue(owner);
    const labelsChanged = JSON.stringify(oldPod.metadata?.labels) !== JSON.stringify(pod.metadata?.labels);
    if (orphan(pod) && (labelsChanged || oldOwner)) for (const key of matchingOwners(pod)) o.enqueue(key);
  });
  pods.onDelete((obj) => {
    const pod = obj as Pod;
    const owner = podOwner(pod);
    if (!owner) return;
    o.expectations.deletionObserved(owner, keyOf(pod));
    o.enqueue(owner);
  });
}

/**
 * Claim `owner`'s pods (framework/owner.ts): adopt the orphans `selector` matches and release the
 * pods it no longer matches. Returns the pods `owner` controls afterwards. The pod informer must
 * be indexed with `indexByController`.
 */
export async function claimPods(
  client: Client,
  pods: Informer<KubeObject>,
  owner: KubeObject,
  selector: LabelSelector | undefined,
): Promise<Pod[]> {
  const plan = planClaims(owner, selector, ownedOrOrphans(pods, owner));
  return (await claim(client, PODS, owner, plan)) as unknown as Pod[];
}

/**
 * Create `count` pods of the owner `key` in slow-start batches (framework/pod-control.ts), with
 * expectations: the creations that failed or that slow start never tried will not come through
 * the watch, so they are ticked off at once. Returns how many were created and the first error.
 */
export async function createPods(
  expectations: Expectations,
  key: string,
  count: number,
  create: (i: number) => Promise<unknown>,
): Promise<{ succeeded: number; error?: unknown }> {
  expectations.expectCreations(key, count);
  const result = await slowStart(count, create);
  for (let i = result.succeeded; i < count; i++) expectations.creationFailed(key);
  return result;
}

/**
 * Delete `pods` of `owner` (whose key is `key`) at once, with expectations: a pod already gone is
 * ticked off here (the watch may have shown its deletion before it was expected), as is a failed
 * deletion. Every deletion is tried; returns the first error, if any.
 */
export async function deletePods(
  expectations: Expectations,
  key: string,
  podControl: PodControl,
  owner: KubeObject,
  pods: readonly Pod[],
): Promise<unknown> {
  expectations.expectDeletions(key, pods.map(keyOf));
  let firstError: unknown;
  await Promise.all(
    pods.map(async (pod) => {
      try {
        if (!(await podControl.delete(owner, pod as KubeObject)))
          expectations.deletionObserved(key, keyOf(pod));
      } catch (err) {
        expectations.deletionFailed(key, keyOf(pod));
        firstError ??= err;
      }
    }),
  );
  return firstError;
}
