/**
 * A Deployment's status and conditions, as Kubernetes computes them (deployment/sync.go
 * calculateStatus, syncRolloutStatus; deployment/util's condition helpers). Pure: every function
 * takes the time it should stamp.
 *
 * Conditions:
 *   Available   True  MinimumReplicasAvailable   at least replicas - maxUnavailable available
 *               False MinimumReplicasUnavailable
 *   Progressing True  NewReplicaSetCreated | FoundNewReplicaSet | ReplicaSetUpdated | NewReplicaSetAvailable
 *               Unknown DeploymentPaused | DeploymentResumed
 *               False ProgressDeadlineExceeded | ReplicaSetCreateError
 */
import type {
  Deployment,
  DeploymentCondition,
  DeploymentStatus,
  ReplicaSet,
} from 'kubernetes-types/apps/v1.js';
import { formatTime } from '../../api/time.js';
import {
  actualReplicas,
  availableReplicas,
  desiredReplicas,
  maxUnavailable,
  readyReplicas,
  specReplicas,
} from './replicasets.js';

export const AVAILABLE = 'Available';
export const PROGRESSING = 'Progressing';
export const REPLICA_FAILURE = 'ReplicaFailure';

export const REASON = {
  minimumAvailable: 'MinimumReplicasAvailable',
  minimumUnavailable: 'MinimumReplicasUnavailable',
  newRSCreated: 'NewReplicaSetCreated',
  foundNewRS: 'FoundNewReplicaSet',
  rsUpdated: 'ReplicaSetUpdated',
  newRSAvailable: 'NewReplicaSetAvailable',
  timedOut: 'ProgressDeadlineExceeded',
  failedRSCreate: 'ReplicaSetCreateError',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
} as const;

type Status = 'True' | 'False' | 'Unknown';

export function newCondition(type: string, status: Status, reason: string, message: string, now: number) {
  const stamp = formatTime(new Date(now));
  return { type, status, reason, message, lastUpdateTime: stamp, lastTransitionTime: stamp };
}

export function getCondition(
  status: DeploymentStatus | undefined,
  type: string,
): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * Put `condition` into `status` (SetDeploymentCondition): nothing changes when one of the same
 * status and reason is there already; a condition whose status stays keeps its lastTransitionTime.
 */
export function setCondition(status: DeploymentStatus, condition: DeploymentCondition): void {
  const current = getCondition(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  const next = { ...condition };
  if (current && current.status === condition.status) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== condition.type), next];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
}

/** Counts from the ReplicaSets, conditions carried over, and Available recomputed (calculateStatus). */
export function calculateStatus(
  d: Deployment,
  allRSs: readonly (ReplicaSet | undefined)[],
  newRS: ReplicaSet | undefined,
  now: number,
): DeploymentStatus {
  const available = availableReplicas(allRSs);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation ?? 0,
    replicas: actualReplicas(allRSs),
    updatedReplicas: actualReplicas([newRS]),
    readyReplicas: readyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, specReplicas(allRSs) - available),
    ...(d.status?.collisionCount !== undefined ? { collisionCount: d.status.collisionCount } : {}),
    ...(d.status?.conditions ? { conditions: d.status.conditions.map((c) => ({ ...c })) } : {}),
  };
  if (available >= desiredReplicas(d) - maxUnavailable(d)) {
    setCondition(
      status,
      newCondition(AVAILABLE, 'True', REASON.minimumAvailable, 'Deployment has minimum availability.', now),
    );
  } else {
    setCondition(
      status,
      newCondition(
        AVAILABLE,
        'False',
        REASON.minimumUnavailable,
        'Deployment does not have minimum availability.',
        now,
      ),
    );
  }
  return status;
}

/** progressDeadlineSeconds is set (and not the "never" of MaxInt32). */
export function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec?.progressDeadlineSeconds;
  return s !== undefined && s !== 2147483647;
}

/** Every replica updated and available, and the latest spec observed (DeploymentComplete). */
export function deploymentComplete(d: Deployment, status: DeploymentStatus): boolean {
  const replicas = desiredReplicas(d);
  return (
    status.updatedReplicas === replicas &&
    status.replicas === replicas &&
    status.availableReplicas === replicas &&
    (status.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0)
  );
}

/** Anything moved forward since `d.status` (DeploymentProgressing). */
function deploymentProgressing(d: Deployment, status: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (status.replicas ?? 0) - (status.updatedReplicas ?? 0);
  return (
    (status.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (status.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (status.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** The Progressing condition was last updated more than progressDeadlineSeconds ago (DeploymentTimedOut). */
function deploymentTimedOut(d: Deployment, status: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getCondition(status, PROGRESSING);
  if (!cond || cond.reason === REASON.newRSAvailable) return false;
  if (cond.reason === REASON.timedOut) return true;
  return Date.parse(cond.lastUpdateTime ?? '') + d.spec!.progressDeadlineSeconds! * 1000 < now;
}

/**
 * The status after a rollout step, with Progressing judged against the deadline (syncRolloutStatus).
 * A rollout already complete (NewReplicaSetAvailable, nothing old left) is not judged again.
 */
export function rolloutStatus(
  d: Deployment,
  allRSs: readonly (ReplicaSet | undefined)[],
  newRS: ReplicaSet | undefined,
  now: number,
): DeploymentStatus {
  const status = calculateStatus(d, allRSs, newRS, now);
  if (!hasProgressDeadline(d)) removeCondition(status, PROGRESSING);
  const current = getCondition(d.status, PROGRESSING);
  const complete = status.replicas === status.updatedReplicas && current?.reason === REASON.newRSAvailable;
  if (!hasProgressDeadline(d) || complete) return status;
  const rsName = newRS?.metadata?.name;
  const subject = rsName ? `ReplicaSet "${rsName}"` : `Deployment "${d.metadata?.name}"`;
  if (deploymentComplete(d, status)) {
    const msg = `${subject} has successfully progressed.`;
    setCondition(status, newCondition(PROGRESSING, 'True', REASON.newRSAvailable, msg, now));
  } else if (deploymentProgressing(d, status)) {
    const cond = newCondition(PROGRESSING, 'True', REASON.rsUpdated, `${subject} is progressing.`, now);
    // Progress refreshes lastUpdateTime (the deadline counts from it) even when the reason stays.
    if (current) {
      if (current.status === 'True') cond.lastTransitionTime = current.lastTransitionTime!;
      removeCondition(status, PROGRESSING);
    }
    setCondition(status, cond);
  } else if (deploymentTimedOut(d, status, now)) {
    const msg = `${subject} has timed out progressing.`;
    setCondition(status, newCondition(PROGRESSING, 'False', REASON.timedOut, msg, now));
  }
  return status;
}

/**
 * When to look again at a rollout that shows no progress, so a missed deadline is noticed on time
 * (requeueStuckDeployment): ms until the deadline, 0 for "soon", undefined for "no need".
 */
export function stuckRequeueMs(d: Deployment, status: DeploymentStatus, now: number): number | undefined {
  const current = getCondition(d.status, PROGRESSING);
  if (!hasProgressDeadline(d) || !current) return undefined;
  if (deploymentComplete(d, status) || current.reason === REASON.timedOut) return undefined;
  const after = Date.parse(current.lastUpdateTime ?? '') + d.spec!.progressDeadlineSeconds! * 1000 - now;
  return Math.max(0, after);
}
