/**
 * The CronJob controller: starts Jobs on schedule (reconcile.ts decides, this file writes).
 * Each pass re-reads the CronJob and its Jobs from the caches, confirms with the API server that
 * Jobs missing from the cache but listed as active are really gone, deletes what the plan says
 * (SuccessfulDelete), creates the due Job (SuccessfulCreate / FailedCreate), writes the status and
 * comes back at the next firing. Job events enqueue the owning CronJob, so a finished Job leaves
 * `status.active` at once.
 */
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import { hasCode } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { lookupKind } from '../../api/resources.js';
import { formatTime } from '../../api/time.js';
import type { Recorder } from '../../client/events.js';
import { type Informer, keyOf } from '../../client/informer.js';
import type { Client } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { Clock } from '../../util/clock.js';
import { errorMessage } from '../../util/error-message.js';
import { type Controller, type ControllerContext, runWorkers } from '../framework/controller.js';
import { controllerRefOf } from '../framework/owner.js';
import { refOf } from '../framework/pod-control.js';
import { JOBS, MAX_REQUEUE_MS } from '../job/controller.js';
import { isJobFinished } from '../job/reconcile.js';
import { jobRef, planCronJob } from './reconcile.js';

export const CRONJOBS = lookupKind('batch/v1', 'CronJob')!;

/** Come back this long after a firing is due, so the clock has surely passed it. */
const REQUEUE_SLACK_MS = 100;

export class CronJobController implements Controller {
  readonly name = 'cronjob';
  private readonly client: Client;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly cronJobs: Informer<KubeObject>;
  private readonly jobs: Informer<KubeObject>;
  private readonly recorder: Recorder;
  private readonly queue: WorkQueue;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.log = ctx.log;
    this.recorder = ctx.recorder('cronjob-controller');
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.cronJobs = ctx.informers.for(CRONJOBS);
    this.jobs = ctx.informers.for(JOBS);
    const enqueue = (cj: KubeObject) => this.queue.add(keyOf(cj));
    this.cronJobs.onAdd(enqueue);
    this.cronJobs.onUpdate((_old, cj) => enqueue(cj));
    const enqueueOwner = (job: KubeObject) => {
      const ref = controllerRefOf(job);
      if (ref?.kind === 'CronJob') this.queue.add(`${job.metadata.namespace}/${ref.name}`);
    };
    this.jobs.onAdd(enqueueOwner);
    this.jobs.onUpdate((_old, job) => enqueueOwner(job));
    this.jobs.onDelete(enqueueOwner);
  }

  run(signal: AbortSignal): Promise<void> {
    return runWorkers(this.name, this.queue, signal, (key) => this.reconcile(key), { log: this.log });
  }

  async reconcile(key: string): Promise<void> {
    const cached = this.cronJobs.getByKey(key);
    if (!cached) return;
    const cronJob = cached as unknown as CronJob;
    const uid = cached.metadata.uid;
    const jobs = this.jobs
      .list(cached.metadata.namespace)
      .filter((j) => controllerRefOf(j)?.uid === uid) as unknown as Job[];

    // The cache may lag behind a Job just created: only the API server can say one is gone.
    const missing = new Set<string>();
    const known = new Set(jobs.map((j) => j.metadata!.uid));
    for (const ref of cronJob.status?.active ?? []) {
      if (known.has(ref.uid)) continue;
      try {
        const job = await this.client.get(JOBS, ref.namespace ?? cached.metadata.namespace, ref.name!);
        if (job.metadata.uid !== ref.uid) missing.add(ref.uid!);
      } catch (err) {
        if (!hasCode(err, 404)) throw err;
        missing.add(ref.uid!);
      }
    }

    const now = this.clock.now();
    const plan = planCronJob({ cronJob, jobs, now, missing });
    const event = (type: 'Normal' | 'Warning', reason: string, message: string) =>
      this.recorder.event(refOf(cached), type, reason, message);
    for (const e of plan.events) event(e.type, e.reason, e.message);

    for (const job of plan.delete) {
      try {
        await this.client.delete(JOBS, job.metadata!.namespace, job.metadata!.name!, {
          propagationPolicy: 'Background',
          preconditions: { uid: job.metadata!.uid! },
        });
        event('Normal', 'SuccessfulDelete', `Deleted job ${job.metadata!.name}`);
      } catch (err) {
        if (!hasCode(err, 404, 409)) {
          event('Warning', 'FailedDelete', `Deleted job: ${errorMessage(err)}`);
          throw err;
        }
      }
    }

    const status = plan.status;
    let failure: unknown;
    if (plan.create) {
      const { job, scheduledTime } = plan.create;
      let created: Job | undefined;
      try {
        created = (await this.client.create(
          JOBS,
          job.metadata!.namespace,
          job as unknown as KubeObject,
        )) as Job;
        event('Normal', 'SuccessfulCreate', `Created job ${created.metadata!.name}`);
      } catch (err) {
        if (hasCode(err, 409)) {
          // Created by an earlier pass whose status write did not land: take it as ours if it is.
          const existing = (await this.client.get(JOBS, job.metadata!.namespace, job.metadata!.name!)) as Job;
          if (existing.metadata?.ownerReferences?.some((r) => r.uid === uid)) created = existing;
          else failure = err;
        } else {
          event('Warning', 'FailedCreate', `Error creating job: ${errorMessage(err)}`);
          failure = err;
        }
      }
      if (created) {
        if (!isJobFinished(created) && !status.active?.some((r) => r.uid === created.metadata!.uid)) {
          status.active = [...(status.active ?? []), jobRef(created)];
        }
        status.lastScheduleTime = formatTime(new Date(scheduledTime));
      }
    }

    if (JSON.stringify(status) !== JSON.stringify(cronJob.status ?? {})) {
      await this.client.update(
        CRONJOBS,
        cached.metadata.namespace,
        { ...structuredClone(cached), status } as KubeObject,
        {
          subresource: 'status',
        },
      );
    }
    if (failure) throw failure;
    if (plan.requeueAfterMs !== undefined)
      this.queue.addAfter(key, Math.min(plan.requeueAfterMs + REQUEUE_SLACK_MS, MAX_REQUEUE_MS));
  }
}
