/**
 * What a CronJob needs next, decided from the CronJob, the Jobs it controls and the time: the
 * pure half of the CronJob controller, following Kubernetes' cronjob controller (v2).
 *
 * - Bookkeeping: finished Jobs leave `status.active` (SawCompletedJob; a Complete one moves
 *   `lastSuccessfulTime`), Jobs gone from the API leave it too (MissingJob).
 * - Scheduling: the most recent firing since `lastScheduleTime` (or creation), and not older than
 *   `startingDeadlineSeconds`, starts one Job named `<cronjob>-<minutes since the epoch>`, unless
 *   it already did, it is too late (MissSchedule), the CronJob is suspended, or a Job still runs
 *   and concurrencyPolicy is Forbid (JobAlreadyActive). Replace deletes the running Jobs first.
 *   Firings missed in between are not made up for, as in Kubernetes: only the latest counts.
 * - History: finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit go, oldest
 *   first.
 */
import type { CronJob, CronJobStatus, Job } from 'kubernetes-types/batch/v1.js';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/object.js';
import { formatTime } from '../../api/time.js';
import { defaultTimeZoneCheck } from '../../api/validation/cron.js';
import type { PlannedEvent } from '../../client/events.js';
import { newControllerRef } from '../framework/owner.js';
import { finishedCondition } from '../job/reconcile.js';
import { formatInZone, MISSED_LIMIT, mostRecent, parseSchedule } from './schedule.js';

export const SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

export interface CronJobPlan {
  /** Jobs to delete (Replace policy, or history limits), each with the event to record. */
  delete: Job[];
  /** The Job to create for `scheduledTime`, if one is due. */
  create?: { job: Job; scheduledTime: number };
  /** The status with the bookkeeping done; the controller adds the created Job and `lastScheduleTime`. */
  status: CronJobStatus;
  events: PlannedEvent[];
  /** Look again after this long: the next firing. */
  requeueAfterMs?: number;
}

export interface CronJobObservation {
  cronJob: CronJob;
  /** The Jobs the CronJob controls. */
  jobs: readonly Job[];
  now: number;
  /** uids in `status.active` confirmed gone from the API server (not just missing from the cache). */
  missing?: ReadonlySet<string>;
}

/** `<cronjob>-<scheduled time in minutes since the epoch>`, as Kubernetes names them. */
export function jobName(cronJobName: string, scheduledTime: number): string {
  return `${cronJobName}-${Math.floor(scheduledTime / 60_000)}`;
}

export function jobRef(job: Job): ObjectReference {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    namespace: job.metadata!.namespace!,
    name: job.metadata!.name!,
    uid: job.metadata!.uid!,
    ...(job.metadata?.resourceVersion ? { resourceVersion: job.metadata.resourceVersion } : {}),
  };
}

/** The Job a CronJob starts for `scheduledTime` (Kubernetes' getJobFromTemplate2). */
export function jobFor(cronJob: CronJob, scheduledTime: number, zone: string | undefined): Job {
  const template = cronJob.spec!.jobTemplate;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(cronJob.metadata!.name!, scheduledTime),
      namespace: cronJob.metadata!.namespace!,
      ...(template.metadata?.labels ? { labels: { ...template.metadata.labels } } : {}),
      annotations: {
        ...template.metadata?.annotations,
        [SCHEDULED_TIMESTAMP]: formatInZone(scheduledTime, zone),
      },
      ownerReferences: [newControllerRef(cronJob as unknown as KubeObject)],
    },
    spec: structuredClone(template.spec!),
  };
}

const startOf = (j: Job) => Date.parse(j.status?.startTime ?? j.metadata?.creationTimestamp ?? '') || 0;

/** The oldest finished Jobs beyond `limit` (by start time, then name). */
function beyondLimit(jobs: Job[], limit: number | undefined): Job[] {
  if (limit === undefined || jobs.length <= limit) return [];
  const sorted = [...jobs].sort(
    (a, b) => startOf(a) - startOf(b) || a.metadata!.name!.localeCompare(b.metadata!.name!),
  );
  return sorted.slice(0, sorted.length - limit);
}

export function planCronJob({ cronJob, jobs, now, missing }: CronJobObservation): CronJobPlan {
  const spec = cronJob.spec!;
  const events: PlannedEvent[] = [];
  const status: CronJobStatus = { ...cronJob.status };
  const plan: CronJobPlan = { delete: [], status, events };

  // Bookkeeping of status.active.
  const byUid = new Map(jobs.map((j) => [j.metadata!.uid!, j]));
  let active = [...(status.active ?? [])];
  const activeUids = new Set(active.map((r) => r.uid));
  for (const job of jobs) {
    const done = finishedCondition(job);
    if (!activeUids.has(job.metadata!.uid!)) {
      if (!done) {
        events.push({
          type: 'Warning',
          reason: 'UnexpectedJob',
          message: `Saw a job that the controller did not create or forgot: ${job.metadata!.name}`,
        });
      }
      continue;
    }
    if (!done) continue;
    events.push({
      type: 'Normal',
      reason: 'SawCompletedJob',
      message: `Saw completed job: ${job.metadata!.name}, condition: ${done.type}`,
    });
    active = active.filter((r) => r.uid !== job.metadata!.uid);
    if (done.type === 'Complete' && job.status?.completionTime) {
      const last = status.lastSuccessfulTime ? Date.parse(status.lastSuccessfulTime) : 0;
      if (Date.parse(job.status.completionTime) > last) status.lastSuccessfulTime = job.status.completionTime;
    }
  }
  for (const ref of active) {
    if (!byUid.has(ref.uid!) && missing?.has(ref.uid!)) {
      events.push({ type: 'Normal', reason: 'MissingJob', message: `Active job went missing: ${ref.name}` });
    }
  }
  active = active.filter((r) => byUid.has(r.uid!) || !missing?.has(r.uid!));

  // History limits.
  const finished = jobs.filter((j) => finishedCondition(j));
  const complete = finished.filter((j) => finishedCondition(j)!.type === 'Complete');
  const failed = finished.filter((j) => finishedCondition(j)!.type === 'Failed');
  plan.delete.push(
    ...beyondLimit(complete, spec.successfulJobsHistoryLimit),
    ...beyondLimit(failed, spec.failedJobsHistoryLimit),
  );
  const setActive = () => {
    if (active.length > 0) status.active = active;
    else delete status.active;
  };
  setActive();

  if (cronJob.metadata?.deletionTimestamp) return plan;
  const zone = spec.timeZone ?? undefined;
  if (zone !== undefined && !defaultTimeZoneCheck(zone)) {
    events.push({ type: 'Warning', reason: 'UnknownTimeZone', message: `invalid timeZone: "${zone}"` });
    return plan;
  }
  const parsed = parseSchedule(spec.schedule, zone);
  if (!parsed.ok) {
    events.push({
      type: 'Warning',
      reason: 'InvalidSchedule',
      message: `invalid schedule: ${spec.schedule} : ${parsed.error}`,
    });
    return plan;
  }
  if (spec.suspend) return plan;
  const schedule = parsed.schedule;
  const nextAfterNow = () => {
    const next = schedule.next(now);
    if (next !== undefined) plan.requeueAfterMs = next - now;
  };

  let earliest = Date.parse(status.lastScheduleTime ?? cronJob.metadata?.creationTimestamp ?? '');
  if (Number.isNaN(earliest)) earliest = now;
  const deadline = spec.startingDeadlineSeconds;
  if (deadline !== undefined && deadline !== null) earliest = Math.max(earliest, now - deadline * 1000);
  const recent = mostRecent(schedule, earliest, now);
  nextAfterNow();
  if (recent.time === undefined) return plan;
  const scheduled = recent.time;
  if (recent.missed > MISSED_LIMIT) {
    events.push({
      type: 'Warning',
      reason: 'TooManyMissedTimes',
      message: `too many missed start times (more than ${MISSED_LIMIT}). Set or decrease .spec.startingDeadlineSeconds or check clock skew`,
    });
  }
  if (deadline !== undefined && deadline !== null && scheduled + deadline * 1000 < now) {
    events.push({
      type: 'Warning',
      reason: 'MissSchedule',
      message: `Missed scheduled time to start a job: ${new Date(scheduled).toUTCString().replace('GMT', '+0000')}`,
    });
    return plan;
  }
  const name = jobName(cronJob.metadata!.name!, scheduled);
  if (active.some((r) => r.name === name) || status.lastScheduleTime === formatTime(new Date(scheduled))) {
    return plan;
  }
  if (spec.concurrencyPolicy === 'Forbid' && active.length > 0) {
    events.push({
      type: 'Normal',
      reason: 'JobAlreadyActive',
      message: 'Not starting job because prior execution is running and concurrency policy is Forbid',
    });
    return plan;
  }
  if (spec.concurrencyPolicy === 'Replace') {
    for (const ref of active) {
      const job = byUid.get(ref.uid!);
      if (job) plan.delete.push(job);
    }
    active = [];
    setActive();
  }
  plan.create = { job: jobFor(cronJob, scheduled, zone), scheduledTime: scheduled };
  return plan;
}
