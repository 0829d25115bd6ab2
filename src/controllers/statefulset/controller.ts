/**
 * The StatefulSet controller: the wiring around planStatefulSet (reconcile.ts). One pass claims
 * the set's pods, makes sure the current template has its ControllerRevision (the update
 * revision) and finds the current one (status.currentRevision), applies the plan's one kind of
 * write with expectations (so a pod the watch has not shown yet is never created again), prunes
 * revisions no pod uses beyond revisionHistoryLimit, and writes the status.
 *
 * Events are Kubernetes' StatefulSet events: "create Pod web-0 in StatefulSet web successful".
 */
import type { ControllerRevision, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { hasCode } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { lookupKind } from '../../api/resources.js';
import type { Recorder } from '../../client/events.js';
import { type Informer, keyOf } from '../../client/informer.js';
import type { Client } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { Clock } from '../../util/clock.js';
import { errorMessage } from '../../util/error-message.js';
import { type Controller, type ControllerContext, runWorkers } from '../framework/controller.js';
import { Expectations } from '../framework/expectations.js';
import { controlledBy, indexByController } from '../framework/owner.js';
import { PODS, refOf } from '../framework/pod-control.js';
import { claimPods, handlePodEvents } from '../workloads/owned-pods.js';
import {
  CONTROLLER_REVISIONS,
  ensureRevision,
  planUpdateRevision,
  pruneRevisions,
  REVISION_HASH_LABEL,
  templateOf,
} from '../workloads/revisions.js';
import { writeStatus } from '../workloads/status.js';
import { planStatefulSet, type StatefulSetPlan } from './reconcile.js';

const STATEFULSETS = lookupKind('apps/v1', 'StatefulSet')!;

export class StatefulSetController implements Controller {
  readonly name = 'statefulset';
  private readonly client: Client;
  private readonly log: (line: string) => void;
  private readonly clock: Clock;
  private readonly recorder: Recorder;
  private readonly sets: Informer<KubeObject>;
  private readonly pods: Informer<KubeObject>;
  private readonly revisions: Informer<KubeObject>;
  private readonly queue: WorkQueue;
  private readonly expectations: Expectations;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.log = ctx.log;
    this.clock = ctx.clock;
    this.recorder = ctx.recorder('statefulset-controller');
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.expectations = new Expectations(ctx.clock);
    this.sets = ctx.informers.for(STATEFULSETS);
    this.pods = ctx.informers.for(PODS);
    this.revisions = ctx.informers.for(CONTROLLER_REVISIONS);
    indexByController(this.pods);
    indexByController(this.revisions);

    const enqueue = (obj: KubeObject) => this.queue.add(keyOf(obj));
    this.sets.onAdd(enqueue);
    this.sets.onUpdate((_old, set) => enqueue(set));
    this.sets.onDelete((set) => this.expectations.forget(keyOf(set)));
    handlePodEvents(this.pods, {
      kind: 'StatefulSet',
      expectations: this.expectations,
      enqueue: (key) => this.queue.add(key),
      owners: this.sets,
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return runWorkers(this.name, this.queue, signal, (key) => this.reconcile(key), { log: this.log });
  }

  async reconcile(key: string): Promise<void> {
    const cached = this.sets.getByKey(key);
    if (!cached) {
      this.expectations.forget(key);
      return;
    }
    const set = cached as unknown as StatefulSet;

    const owned = await claimPods(this.client, this.pods, cached, set.spec?.selector);

    const revisions = controlledBy(this.revisions, cached.metadata.uid!) as unknown as ControllerRevision[];
    const revPlan = planUpdateRevision(
      cached,
      set.spec?.template,
      revisions,
      set.status?.collisionCount ?? 0,
    );
    const update = cached.metadata.deletionTimestamp
      ? revPlan.revision
      : await ensureRevision(this.client, revPlan);
    const current = revisions.find((r) => r.metadata?.name === set.status?.currentRevision) ?? update;

    const plan = planStatefulSet({
      set,
      pods: owned,
      current: { name: current.metadata!.name!, template: templateOf(current) },
      update: { name: update.metadata!.name!, template: templateOf(update) },
      collisionCount: revPlan.collisionCount,
      nowMs: this.clock.now(),
    });

    if (this.expectations.satisfied(key)) {
      for (const { pod, labels } of plan.relabel) await this.relabel(pod, labels);
      if (plan.create.length > 0) await this.createPods(key, cached, plan.create);
      else if (plan.delete.length > 0) await this.deletePods(key, cached, plan.delete);
    }

    if (!cached.metadata.deletionTimestamp) {
      const live = new Set([update.metadata!.name!, current.metadata!.name!]);
      for (const pod of owned) {
        const rev = pod.metadata?.labels?.[REVISION_HASH_LABEL];
        if (rev) live.add(rev);
      }
      await pruneRevisions(this.client, revisions, live, set.spec?.revisionHistoryLimit ?? 10);
    }

    await writeStatus(this.client, STATEFULSETS, cached, plan.status);
    if (plan.requeueAfterMs !== undefined) this.queue.addAfter(key, plan.requeueAfterMs + 1);
  }

  private async relabel(pod: Pod, labels: Record<string, string>): Promise<void> {
    try {
      await this.client.patch(PODS, pod.metadata!.namespace, pod.metadata!.name!, 'merge', {
        metadata: { labels, resourceVersion: pod.metadata!.resourceVersion },
      });
    } catch (err) {
      if (!hasCode(err, 404, 409)) throw err;
    }
  }

  private async createPods(key: string, set: KubeObject, pods: readonly Pod[]): Promise<void> {
    this.expectations.expectCreations(key, pods.length);
    const results = await Promise.allSettled(
      pods.map(async (pod) => {
        const what = `create Pod ${pod.metadata!.name} in StatefulSet ${set.metadata.name}`;
        try {
          await this.client.create(PODS, pod.metadata!.namespace, pod as unknown as KubeObject);
          this.recorder.event(refOf(set), 'Normal', 'SuccessfulCreate', `${what} successful`);
        } catch (err) {
          this.expectations.creationFailed(key);
          this.recorder.event(
            refOf(set),
            'Warning',
            'FailedCreate',
            `${what} failed error: ${errorMessage(err)}`,
          );
          throw err;
        }
      }),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  private async deletePods(key: string, set: KubeObject, pods: StatefulSetPlan['delete']): Promise<void> {
    this.expectations.expectDeletions(
      key,
      pods.map((d) => keyOf(d.pod)),
    );
    const results = await Promise.allSettled(
      pods.map(async ({ pod }) => {
        const what = `delete Pod ${pod.metadata!.name} in StatefulSet ${set.metadata.name}`;
        try {
          await this.client.delete(PODS, pod.metadata!.namespace, pod.metadata!.name!, {
            preconditions: { uid: pod.metadata!.uid! },
          });
          this.recorder.event(refOf(set), 'Normal', 'SuccessfulDelete', `${what} successful`);
        } catch (err) {
          this.expectations.deletionFailed(key, keyOf(pod));
          if (hasCode(err, 404)) return;
          this.recorder.event(
            refOf(set),
            'Warning',
            'FailedDelete',
            `${what} failed error: ${errorMessage(err)}`,
          );
          throw err;
        }
      }),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }
}
