/**
 * The ReplicaSet controller: keeps `spec.replicas` active pods matching each ReplicaSet's
 * selector, adopting orphans and releasing pods that stopped matching, and reports status.
 *
 *   pod/RS events ──▶ key of the owning (or, for orphans, every selecting) ReplicaSet ──▶ queue
 *   reconcile(key): claim pods ─▶ [expectations satisfied?] create/delete the difference ─▶ status
 *
 * Expectations (framework/expectations.ts) keep a pass from acting on a cache that has not yet
 * seen the previous pass's creations and deletions. Terminating pods do not count: a pod being
 * deleted on an unreachable node is replaced at once, not when its old node confirms.
 */
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/object.js';
import { lookupKind } from '../../api/resources.js';
import { formatTime } from '../../api/time.js';
import type { Recorder } from '../../client/events.js';
import { type Informer, keyOf, splitKey } from '../../client/informer.js';
import type { Client } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { Clock } from '../../util/clock.js';
import { errorMessage } from '../../util/error-message.js';
import { type Controller, type ControllerContext, runWorkers } from '../framework/controller.js';
import { Expectations } from '../framework/expectations.js';
import { claim, controllerRefOf, indexByController, ownedOrOrphans, planClaims } from '../framework/owner.js';
import { PODS, PodControl, podFromTemplate, slowStart } from '../framework/pod-control.js';
import { isPodActive, isPodReady } from '../framework/pods.js';
import { computeStatus, podsToDelete, type ReplicaFailure, replicaDiff, statusChanged } from './reconcile.js';

export const REPLICASETS = lookupKind('apps/v1', 'ReplicaSet')!;

export class ReplicaSetController implements Controller {
  readonly name = 'replicaset';
  private readonly client: Client;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly recorder: Recorder;
  private readonly sets: Informer<KubeObject>;
  private readonly pods: Informer<KubeObject>;
  private readonly queue: WorkQueue;
  private readonly expectations: Expectations;
  private readonly podControl: PodControl;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.log = ctx.log;
    this.recorder = ctx.recorder('replicaset-controller');
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.expectations = new Expectations(ctx.clock);
    this.podControl = new PodControl(ctx.client, this.recorder);
    this.sets = ctx.informers.for(REPLICASETS);
    this.pods = ctx.informers.for(PODS);
    indexByController(this.pods);

    this.sets.onAdd((rs) => this.queue.add(keyOf(rs)));
    this.sets.onUpdate((_old, rs) => this.queue.add(keyOf(rs)));
    this.sets.onDelete((rs) => {
      this.expectations.forget(keyOf(rs));
      this.queue.add(keyOf(rs));
    });
    this.pods.onAdd((pod) => this.podAdded(pod as Pod));
    this.pods.onUpdate((old, pod) => this.podUpdated(old as Pod, pod as Pod));
    this.pods.onDelete((pod) => this.podDeleted(pod as Pod));
  }

  run(signal: AbortSignal): Promise<void> {
    return runWorkers(this.name, this.queue, signal, (key) => this.reconcile(key), {
      log: this.log,
      workers: 4,
    });
  }

  // ---- events → keys ---------------------------------------------------------------------------

  /** The key of the ReplicaSet that controls `pod`, if it is one we know (same uid). */
  private ownerKey(pod: Pod): string | undefined {
    const ref = controllerRefOf(pod as KubeObject);
    if (ref?.kind !== 'ReplicaSet') return undefined;
    const rs = this.sets.get(ref.name, pod.metadata?.namespace);
    return rs && rs.metadata.uid === ref.uid ? keyOf(rs) : undefined;
  }

  /** Orphans: every ReplicaSet of the namespace whose selector matches may adopt it. */
  private enqueueSelecting(pod: Pod): void {
    for (const rs of this.sets.list(pod.metadata?.namespace)) {
      const selector = (rs as ReplicaSet).spec?.selector;
      if (selector && planClaims(rs, selector, [pod as KubeObject]).adopt.length > 0)
        this.queue.add(keyOf(rs));
    }
  }

  private podAdded(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      this.podDeleted(pod);
      return;
    }
    const owner = this.ownerKey(pod);
    if (owner) {
      this.expectations.creationObserved(owner);
      this.queue.add(owner);
    } else if (!controllerRefOf(pod as KubeObject)) {
      this.enqueueSelecting(pod);
    }
  }

  private podUpdated(old: Pod, pod: Pod): void {
    if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
    if (pod.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) {
      // Terminating counts as gone for the controller; the delete event comes later.
      const owner = this.ownerKey(pod);
      if (owner) this.expectations.deletionObserved(owner, keyOf(pod));
    }
    const oldOwner = this.ownerKey(old);
    const owner = this.ownerKey(pod);
    if (oldOwner && oldOwner !== owner) this.queue.add(oldOwner);
    if (owner) {
      this.queue.add(owner);
      // A pod that just became Ready turns available minReadySeconds later: look again then.
      const rs = this.sets.getByKey(owner) as ReplicaSet | undefined;
      const minReady = rs?.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && isPodReady(pod) && !isPodReady(old))
        this.queue.addAfter(owner, minReady * 1000 + 100);
    } else if (!controllerRefOf(pod as KubeObject)) {
      this.enqueueSelecting(pod);
    }
  }

  private podDeleted(pod: Pod): void {
    const owner = this.ownerKey(pod);
    if (!owner) return;
    this.expectations.deletionObserved(owner, keyOf(pod));
    this.queue.add(owner);
  }

  // ---- reconcile -------------------------------------------------------------------------------

  async reconcile(key: string): Promise<void> {
    const cached = this.sets.getByKey(key) as ReplicaSet | undefined;
    if (!cached) {
      this.expectations.forget(key);
      return;
    }
    const rs = cached as ReplicaSet & KubeObject;
    const { namespace } = splitKey(key);
    const needsSync = this.expectations.satisfied(key) && !rs.metadata.deletionTimestamp;
    const active = ownedOrOrphans(this.pods, rs).filter((p) => isPodActive(p as Pod));
    const owned = (await claim(this.client, PODS, rs, planClaims(rs, rs.spec?.selector, active))) as Pod[];

    const failure = needsSync ? await this.manageReplicas(key, rs, owned) : undefined;

    const now = this.clock.now();
    const status = computeStatus(rs, owned, failure, now, formatTime(new Date(now)));
    if (statusChanged(rs.status, status)) {
      await this.client.update(REPLICASETS, namespace, { ...rs, status } as KubeObject, {
        subresource: 'status',
      });
    }
    const minReady = rs.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && status.readyReplicas !== status.availableReplicas) {
      this.queue.addAfter(key, minReady * 1000);
    }
    if (failure) throw new Error(failure.message);
  }

  /** Create or delete the difference; the failure, if any, for the ReplicaFailure condition. */
  private async manageReplicas(
    key: string,
    rs: ReplicaSet & KubeObject,
    owned: Pod[],
  ): Promise<ReplicaFailure | undefined> {
    const diff = replicaDiff(rs, owned.length);
    if (diff > 0) {
      this.expectations.expectCreations(key, diff);
      const template = rs.spec!.template!;
      const { succeeded, error } = await slowStart(diff, async () => {
        try {
          await this.podControl.create(rs, podFromTemplate(template, rs));
        } catch (err) {
          this.expectations.creationFailed(key);
          throw err;
        }
      });
      // Creations never attempted will not be observed either.
      const attempted = error === undefined ? diff : succeeded + 1;
      for (let i = attempted; i < diff; i++) this.expectations.creationFailed(key);
      return error === undefined ? undefined : { reason: 'FailedCreate', message: errorMessage(error) };
    }
    if (diff < 0) {
      const victims = podsToDelete(owned, -diff);
      this.expectations.expectDeletions(key, victims.map(keyOf));
      const results = await Promise.allSettled(
        victims.map(async (pod) => {
          try {
            // Already gone: its deletion may have been seen before it was expected.
            if (!(await this.podControl.delete(rs, pod as KubeObject))) {
              this.expectations.deletionObserved(key, keyOf(pod));
            }
          } catch (err) {
            this.expectations.deletionFailed(key, keyOf(pod));
            throw err;
          }
        }),
      );
      const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
      return failed ? { reason: 'FailedDelete', message: errorMessage(failed.reason) } : undefined;
    }
    return undefined;
  }
}
