/**
 * When a finished Job is due for deletion under `ttlSecondsAfterFinished` (Kubernetes'
 * ttl-after-finished controller): that many seconds after it finished, which is its
 * completionTime when it completed and its Failed condition's transition when it failed.
 */
import type { Job } from 'kubernetes-types/batch/v1.js';
import { finishedCondition } from './reconcile.js';

/** The time (ms since the epoch) `job` may be deleted, or undefined while it must stay. */
export function ttlExpiry(job: Job): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl === undefined || ttl === null || job.metadata?.deletionTimestamp) return undefined;
  const finished = finishedCondition(job);
  if (!finished) return undefined;
  const at =
    finished.type === 'Complete' && job.status?.completionTime
      ? job.status.completionTime
      : finished.lastTransitionTime;
  if (!at) return undefined;
  return Date.parse(at) + ttl * 1000;
}
