/**
 * What a Job needs next, decided from the Job and the pods it controls: the pure half of the Job
 * controller (ARCHITECTURE principle 5), following Kubernetes' job controller (1.31).
 *
 * - Counting: `succeeded`/`failed` are counted from the pods that exist (phase Succeeded/Failed),
 *   not through the `batch.kubernetes.io/job-tracking` finalizer Kubernetes uses, so a finished
 *   pod that someone deletes no longer counts (see docs/controllers.md).
 * - Progress: at most `parallelism` pods run at once, and no more than the completions still
 *   missing; with `completions` unset (work queue) none are started once one has succeeded. An
 *   Indexed Job runs one pod per index not yet completed, lowest indexes first.
 * - Failure: more failed pods than `backoffLimit` (or, with restartPolicy OnFailure, container
 *   restarts reaching it) → BackoffLimitExceeded; running longer than `activeDeadlineSeconds`
 *   since `startTime` → DeadlineExceeded. Replacements for failed pods wait 10 s, doubling per
 *   failure since the last success, up to 10 min.
 * - Finishing happens in two steps, as in Kubernetes 1.31: first the interim condition
 *   (FailureTarget / SuccessCriteriaMet) while the remaining pods are deleted, then, once none is
 *   left running or terminating, the terminal one (Failed / Complete, with completionTime).
 * - Suspend deletes the active pods; resuming restarts the deadline clock (`startTime`).
 */
import type { Job, JobCondition, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { formatTime } from '../../api/time.js';
import type { PlannedEvent } from '../../client/events.js';
import { earliest, isPodActive, isPodReady, isTerminal } from '../framework/pods.js';
import { formatIndexes, parseIndex } from './indexes.js';
import { COMPLETION_INDEX, isIndexed } from './pod.js';

/** Kubernetes' DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff. */
export const POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 10 * 60_000;

export interface JobPlan {
  /** Pods to create: one entry each, with its completion index for Indexed Jobs. */
  create: { index?: number }[];
  /** Active pods to delete. */
  delete: Pod[];
  /** The Job's status after this pass (the controller writes it when it changed). */
  status: JobStatus;
  events: PlannedEvent[];
  /** Look again after this long: a deadline or a failure backoff runs out then. */
  requeueAfterMs?: number;
}

export interface JobObservation {
  job: Job;
  /** The pods the Job controls. */
  pods: readonly Pod[];
  now: number;
  /**
   * False while pods the controller created or deleted have not come through the watch yet: the
   * counts are then not trusted to create or delete more, only to report status.
   */
  expectationsSatisfied: boolean;
}

/** Being deleted but not finished: a pod that may still run. */
const isTerminating = (p: Pod) => !isTerminal(p) && !!p.metadata?.deletionTimestamp;

function conditionTrue(
  conditions: readonly JobCondition[] | undefined,
  type: string,
): JobCondition | undefined {
  return conditions?.find((c) => c.type === type && c.status === 'True');
}

/** Whether the Job has finished (Complete or Failed). */
export function isJobFinished(job: Job): boolean {
  return !!(
    conditionTrue(job.status?.conditions, 'Complete') || conditionTrue(job.status?.conditions, 'Failed')
  );
}

/** The Job's Complete or Failed condition, if it has finished. */
export function finishedCondition(job: Job): JobCondition | undefined {
  return conditionTrue(job.status?.conditions, 'Complete') ?? conditionTrue(job.status?.conditions, 'Failed');
}

/** Set a condition; its lastTransitionTime moves only when its status changes. */
function setCondition(
  conditions: JobCondition[],
  type: string,
  status: 'True' | 'False',
  reason: string,
  message: string,
  now: string,
): boolean {
  const i = conditions.findIndex((c) => c.type === type);
  const old = conditions[i];
  if (old && old.status === status && old.reason === reason && old.message === message) return false;
  const next: JobCondition = {
    type,
    status,
    reason,
    message,
    lastProbeTime: now,
    lastTransitionTime: old && old.status === status ? (old.lastTransitionTime ?? now) : now,
  };
  if (i >= 0) conditions[i] = next;
  else conditions.push(next);
  return true;
}

function restarts(p: Pod): number {
  let n = 0;
  for (const s of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) {
    n += s.restartCount ?? 0;
  }
  return n;
}

const time = (s: string | undefined) => (s ? Date.parse(s) : Number.NaN);

/** When a terminal pod finished: its last container's exit, else its Ready=False transition, else its creation. */
function finishTime(p: Pod): number {
  let latest = Number.NaN;
  for (const s of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) {
    const t = time(s.state?.terminated?.finishedAt);
    if (!Number.isNaN(t) && !(t <= latest)) latest = t;
  }
  if (!Number.isNaN(latest)) return latest;
  const ready = p.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'False');
  const t = time(ready?.lastTransitionTime);
  return Number.isNaN(t) ? time(p.metadata?.creationTimestamp) || 0 : t;
}

/**
 * How long replacements for failed pods must still wait: 10 s after the latest failure, doubled
 * for each failure since the last success (Kubernetes' backoff record), capped at 10 min.
 */
export function failureBackoffRemaining(pods: readonly Pod[], now: number): number {
  const finished = pods
    .filter(isTerminal)
    .map((p) => ({ failed: p.status!.phase === 'Failed', at: finishTime(p) }));
  finished.sort((a, b) => a.at - b.at);
  let failures = 0;
  let lastFailure = 0;
  for (const f of finished) {
    if (f.failed) {
      failures++;
      lastFailure = f.at;
    } else {
      failures = 0;
    }
  }
  if (failures === 0) return 0;
  const delay = Math.min(POD_FAILURE_BACKOFF_MS * 2 ** (failures - 1), MAX_POD_FAILURE_BACKOFF_MS);
  return Math.max(0, lastFailure + delay - now);
}

/**
 * Kubernetes' ActivePods order: the pod to delete first comes first. Unscheduled before
 * scheduled, Pending before Running, not ready before ready, newer before older.
 */
function deletionOrder(a: Pod, b: Pod): number {
  const scheduled = (p: Pod) => (p.spec?.nodeName ? 1 : 0);
  const phase = (p: Pod) => ({ Pending: 0, Unknown: 1, Running: 2 })[p.status?.phase ?? 'Pending'] ?? 0;
  return (
    scheduled(a) - scheduled(b) ||
    phase(a) - phase(b) ||
    Number(isPodReady(a)) - Number(isPodReady(b)) ||
    (time(b.metadata?.creationTimestamp) || 0) - (time(a.metadata?.creationTimestamp) || 0)
  );
}

const BACKOFF_LIMIT_EXCEEDED = {
  reason: 'BackoffLimitExceeded',
  message: 'Job has reached the specified backoff limit',
};
const DEADLINE_EXCEEDED = {
  reason: 'DeadlineExceeded',
  message: 'Job was active longer than specified deadline',
};
const COMPLETIONS_REACHED = {
  reason: 'CompletionsReached',
  message: 'Reached expected number of succeeded pods',
};

export function planJob({ job, pods, now, expectationsSatisfied }: JobObservation): JobPlan {
  const old = job.status ?? {};
  if (isJobFinished(job)) return { create: [], delete: [], status: old, events: [] };
  const spec = job.spec!;
  const stamp = formatTime(new Date(now));
  const events: PlannedEvent[] = [];
  const conditions = (old.conditions ?? []).map((c) => ({ ...c }));
  const status: JobStatus = { ...old };
  const plan: JobPlan = { create: [], delete: [], status, events };
  const requeue = (ms: number) => {
    plan.requeueAfterMs = earliest(plan.requeueAfterMs, ms);
  };

  const completions = spec.completions;
  const indexed = isIndexed(job) && completions !== undefined;
  const active = pods.filter(isPodActive);
  const terminating = pods.filter(isTerminating);
  const failed = pods.filter((p) => p.status?.phase === 'Failed').length;
  const succeededPods = pods.filter((p) => p.status?.phase === 'Succeeded');
  const succeededIndexes = new Set<number>();
  if (indexed) {
    for (const p of succeededPods) {
      const i = parseIndex(p.metadata?.annotations?.[COMPLETION_INDEX], completions);
      if (i !== undefined) succeededIndexes.add(i);
    }
  }
  const succeeded = indexed ? succeededIndexes.size : succeededPods.length;

  // Suspension and its end.
  const suspended = spec.suspend === true;
  if (suspended) {
    if (setCondition(conditions, 'Suspended', 'True', 'JobSuspended', 'Job suspended', stamp)) {
      events.push({ type: 'Normal', reason: 'Suspended', message: 'Job suspended' });
    }
  } else if (conditionTrue(conditions, 'Suspended')) {
    setCondition(conditions, 'Suspended', 'False', 'JobResumed', 'Job resumed', stamp);
    events.push({ type: 'Normal', reason: 'Resumed', message: 'Job resumed' });
    status.startTime = stamp;
  }
  if (!suspended && !status.startTime) status.startTime = stamp;

  // Has the Job reached an end (or did an earlier pass decide it had)?
  let ending: { type: 'Failed' | 'Complete'; reason: string; message: string } | undefined;
  const failureTarget = conditionTrue(conditions, 'FailureTarget');
  const successMet = conditionTrue(conditions, 'SuccessCriteriaMet');
  const backoffLimit = spec.backoffLimit ?? 6;
  const onFailure = spec.template.spec?.restartPolicy === 'OnFailure';
  const restartTotal = onFailure ? active.reduce((n, p) => n + restarts(p), 0) : 0;
  const deadlineMs =
    spec.activeDeadlineSeconds !== undefined && status.startTime && !suspended
      ? time(status.startTime) + spec.activeDeadlineSeconds * 1000
      : undefined;
  if (failureTarget) {
    ending = { type: 'Failed', reason: failureTarget.reason ?? '', message: failureTarget.message ?? '' };
  } else if (successMet) {
    ending = { type: 'Complete', ...COMPLETIONS_REACHED };
  } else if (
    failed > backoffLimit ||
    (onFailure && (backoffLimit === 0 ? restartTotal > 0 : restartTotal >= backoffLimit))
  ) {
    ending = { type: 'Failed', ...BACKOFF_LIMIT_EXCEEDED };
  } else if (deadlineMs !== undefined && now >= deadlineMs) {
    ending = { type: 'Failed', ...DEADLINE_EXCEEDED };
  } else if (completions === undefined ? succeeded > 0 && active.length === 0 : succeeded >= completions) {
    ending = { type: 'Complete', ...COMPLETIONS_REACHED };
  }

  let remaining = active;
  if (ending) {
    // The interim condition first; the active pods go; the terminal condition once none is left.
    const interim = ending.type === 'Failed' ? 'FailureTarget' : 'SuccessCriteriaMet';
    setCondition(conditions, interim, 'True', ending.reason, ending.message, stamp);
    plan.delete = [...active];
    remaining = [];
    if (active.length === 0 && terminating.length === 0) {
      setCondition(conditions, ending.type, 'True', ending.reason, ending.message, stamp);
      if (ending.type === 'Complete') {
        status.completionTime = stamp;
        events.push({ type: 'Normal', reason: 'Completed', message: 'Job completed' });
      } else {
        events.push({ type: 'Warning', reason: ending.reason, message: ending.message });
      }
    }
  } else if (suspended) {
    plan.delete = [...active];
    remaining = [];
  } else if (expectationsSatisfied) {
    remaining = manage(
      plan,
      job,
      pods,
      active,
      terminating.length,
      succeeded,
      succeededIndexes,
      now,
      requeue,
    );
  }
  if (!ending && deadlineMs !== undefined) requeue(Math.max(0, deadlineMs - now));

  const ready = remaining.filter(isPodReady).length;
  setCount(status, 'active', remaining.length + plan.create.length);
  setCount(status, 'succeeded', succeeded);
  setCount(status, 'failed', failed);
  status.ready = ready;
  status.terminating = terminating.length + plan.delete.length;
  if (indexed) {
    const text = formatIndexes(succeededIndexes);
    if (text) status.completedIndexes = text;
    else delete status.completedIndexes;
  }
  if (conditions.length > 0) status.conditions = conditions;
  return plan;
}

/** Kubernetes omits zero counters. */
function setCount(status: JobStatus, field: 'active' | 'succeeded' | 'failed', n: number): void {
  if (n > 0) status[field] = n;
  else delete status[field];
}

/**
 * Kubernetes' manageJob: bring the number of active pods to what the Job wants now. Returns the
 * active pods that stay.
 */
function manage(
  plan: JobPlan,
  job: Job,
  pods: readonly Pod[],
  active: Pod[],
  terminating: number,
  succeeded: number,
  succeededIndexes: Set<number>,
  now: number,
  requeue: (ms: number) => void,
): Pod[] {
  const spec = job.spec!;
  const parallelism = spec.parallelism ?? 1;
  const completions = spec.completions;
  let want: number;
  if (completions === undefined) want = succeeded > 0 ? active.length : parallelism;
  else want = Math.max(0, Math.min(completions - succeeded, parallelism));
  // With podReplacementPolicy Failed, a terminating pod is replaced only once it has failed.
  const waiting = spec.podReplacementPolicy === 'Failed' ? terminating : 0;

  // Best pods first (the reverse of the deletion order), so duplicates and extras drop the worst.
  let keep = [...active].sort((a, b) => deletionOrder(b, a));
  const remove: Pod[] = [];
  const activeIndexes = new Set<number>();
  if (isIndexed(job) && completions !== undefined) {
    const kept: Pod[] = [];
    for (const p of keep) {
      const i = parseIndex(p.metadata?.annotations?.[COMPLETION_INDEX], completions);
      if (i === undefined || succeededIndexes.has(i) || activeIndexes.has(i)) remove.push(p);
      else {
        activeIndexes.add(i);
        kept.push(p);
      }
    }
    keep = kept;
  }
  if (keep.length > want) remove.push(...keep.splice(want));
  plan.delete = remove;
  const missing = want - keep.length - waiting;
  // Creations wait for this pass's deletions to be seen (one kind of expectation at a time).
  if (missing > 0 && remove.length === 0) {
    const backoff = failureBackoffRemaining(pods, now);
    if (backoff > 0) {
      requeue(backoff);
    } else if (isIndexed(job) && completions !== undefined) {
      for (let i = 0; i < completions && plan.create.length < missing; i++) {
        if (!succeededIndexes.has(i) && !activeIndexes.has(i)) plan.create.push({ index: i });
      }
    } else {
      for (let i = 0; i < missing; i++) plan.create.push({});
    }
  }
  return keep;
}
