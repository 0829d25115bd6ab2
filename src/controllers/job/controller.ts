/**
 * The Job controller: runs a Job's pods to completion (reconcile.ts decides, this file writes).
 * Handlers only enqueue the owning Job's key and tick off expectations; `reconcile` claims the
 * pods the Job's selector matches, plans, deletes and creates pods (creations in slow-start
 * batches, with SuccessfulCreate/FailedCreate events), records the plan's events and writes the
 * status through `/status` when it changed.
 */
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { KubeObject } from '../../api/object.js';
import { lookupKind } from '../../api/resources.js';
import type { Recorder } from '../../client/events.js';
import { type Informer, keyOf } from '../../client/informer.js';
import type { Client } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { Clock } from '../../util/clock.js';
import { type Controller, type ControllerContext, runWorkers } from '../framework/controller.js';
import { Expectations } from '../framework/expectations.js';
import { controllerRefOf, indexByController } from '../framework/owner.js';
import { PODS, PodControl, refOf } from '../framework/pod-control.js';
import { claimPods, createPods, deletePods } from '../workloads/owned-pods.js';
import { jobPod } from './pod.js';
import { planJob } from './reconcile.js';

export const JOBS = lookupKind('batch/v1', 'Job')!;
/** Timers cannot wait longer than about 24.8 days: a far deadline or firing is approached in steps. */
export const MAX_REQUEUE_MS = 24 * 3_600_000;

export class JobController implements Controller {
  readonly name = 'job';
  private readonly client: Client;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly jobs: Informer<KubeObject>;
  private readonly pods: Informer<KubeObject>;
  private readonly recorder: Recorder;
  private readonly podControl: PodControl;
  private readonly expectations: Expectations;
  private readonly queue: WorkQueue;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.log = ctx.log;
    this.recorder = ctx.recorder('job-controller');
    this.podControl = new PodControl(ctx.client, this.recorder);
    this.expectations = new Expectations(ctx.clock);
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.jobs = ctx.informers.for(JOBS);
    this.pods = ctx.informers.for(PODS);
    indexByController(this.pods);

    const enqueue = (job: KubeObject) => this.queue.add(keyOf(job));
    this.jobs.onAdd(enqueue);
    this.jobs.onUpdate((_old, job) => enqueue(job));
    this.jobs.onDelete((job) => this.expectations.forget(keyOf(job)));

    this.pods.onAdd((pod) => {
      const key = this.ownerKey(pod);
      if (!key) return;
      this.expectations.creationObserved(key);
      this.queue.add(key);
    });
    this.pods.onUpdate((old, pod) => {
      const key = this.ownerKey(pod);
      // A pod being deleted is as good as gone for the count of active pods.
      if (key && pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) {
        this.expectations.deletionObserved(key, keyOf(pod));
      }
      const oldKey = this.ownerKey(old);
      if (oldKey && oldKey !== key) this.queue.add(oldKey);
      if (key) this.queue.add(key);
    });
    this.pods.onDelete((pod) => {
      const key = this.ownerKey(pod);
      if (!key) return;
      this.expectations.deletionObserved(key, keyOf(pod));
      this.queue.add(key);
    });
  }

  /** The key of the Job controlling `pod`, if a Job does. */
  private ownerKey(pod: KubeObject): string | undefined {
    const ref = controllerRefOf(pod);
    if (ref?.kind !== 'Job' || !ref.apiVersion.startsWith('batch/')) return undefined;
    return `${pod.metadata.namespace}/${ref.name}`;
  }

  run(signal: AbortSignal): Promise<void> {
    return runWorkers(this.name, this.queue, signal, (key) => this.reconcile(key), { log: this.log });
  }

  async reconcile(key: string): Promise<void> {
    const cached = this.jobs.getByKey(key);
    if (!cached) {
      this.expectations.forget(key);
      return;
    }
    // A Job being deleted is the garbage collector's: its pods go with it.
    if (cached.metadata.deletionTimestamp) return;
    const job = cached as unknown as Job;
    const owned = await claimPods(this.client, this.pods, cached, job.spec?.selector);

    const plan = planJob({
      job,
      pods: owned,
      now: this.clock.now(),
      expectationsSatisfied: this.expectations.satisfied(key),
    });

    let firstError: unknown;
    if (plan.delete.length > 0) {
      firstError = await deletePods(this.expectations, key, this.podControl, cached, plan.delete);
    }
    let notCreated = 0;
    if (plan.create.length > 0) {
      const result = await createPods(this.expectations, key, plan.create.length, (i) =>
        this.podControl.create(cached, jobPod(job, plan.create[i]!.index)),
      );
      notCreated = plan.create.length - result.succeeded;
      firstError ??= result.error;
    }

    for (const e of plan.events) this.recorder.event(refOf(cached), e.type, e.reason, e.message);

    const status = { ...plan.status };
    if (notCreated > 0) {
      const active = (status.active ?? 0) - notCreated;
      if (active > 0) status.active = active;
      else delete status.active;
    }
    if (JSON.stringify(status) !== JSON.stringify(job.status ?? {})) {
      await this.client.update(
        JOBS,
        cached.metadata.namespace,
        { ...structuredClone(cached), status } as KubeObject,
        {
          subresource: 'status',
        },
      );
    }
    if (firstError) throw firstError;
    // A little past the moment, so the deadline or backoff has surely run out when we look.
    if (plan.requeueAfterMs !== undefined)
      this.queue.addAfter(key, Math.min(plan.requeueAfterMs + 100, MAX_REQUEUE_MS));
  }
}
