/**
 * Beyond Kubernetes: automatic rollback. A Deployment annotated `shoal.dev/rollback-on-failure:
 * "true"` whose rollout misses its progress deadline goes back by itself to the last good
 * revision, and stays reported as failed.
 *
 * - "Last good" is the newest older ReplicaSet (by revision) that once completed a rollout: the
 *   controller marks a ReplicaSet `shoal.dev/rollout-complete: "true"` when the Deployment is
 *   complete with it as the new one (every replica updated and available). A ReplicaSet that is
 *   merely serving now is not enough: it may be the half-scaled-down remains of a rollout that
 *   never finished. No such ReplicaSet → no rollback, and one Warning event says why.
 * - The rollback does what `kubectl rollout undo` does: the Deployment's template becomes the
 *   target's (without its pod-template-hash), its annotations the target's (keeping the
 *   controller's own and the opt-in itself); the next pass finds the target as the new
 *   ReplicaSet, gives it the next revision and scales it back up.
 * - The same write records `shoal.dev/rolled-back` (which revisions, and the target's
 *   pod-template-hash). While the new ReplicaSet is that target, the rollout is "held":
 *   Progressing stays False with reason ProgressDeadlineExceeded, which `kubectl rollout status`
 *   reports as a failure, with a message saying it was rolled back, even once the old pods are
 *   all available again. A new template (an edit, `kubectl rollout undo`, `rollout restart`)
 *   starts a new rollout and drops the marker.
 * - A Warning event `RolledBack` says from which revision to which, and why.
 */
import type { Deployment, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import {
  byRevision,
  isBookkeepingAnnotation,
  POD_TEMPLATE_HASH,
  REVISION,
  ROLLBACK_ON_FAILURE,
  ROLLED_BACK,
  ROLLOUT_COMPLETE,
  revisionOf,
  templateWithoutHash,
} from './replicasets.js';
import {
  getCondition,
  hasProgressDeadline,
  newCondition,
  PROGRESSING,
  REASON,
  removeCondition,
} from './status.js';

/** What `shoal.dev/rolled-back` records. */
export interface RollbackMarker {
  fromRevision: number;
  toRevision: number;
  /** pod-template-hash of the ReplicaSet rolled back to. */
  podTemplateHash: string;
}

function readMarker(d: Deployment): RollbackMarker | undefined {
  const raw = d.metadata?.annotations?.[ROLLED_BACK];
  if (raw === undefined) return undefined;
  try {
    const m = JSON.parse(raw) as Partial<RollbackMarker>;
    if (
      typeof m.fromRevision === 'number' &&
      typeof m.toRevision === 'number' &&
      typeof m.podTemplateHash === 'string'
    ) {
      return m as RollbackMarker;
    }
  } catch {
    // Not ours to read: treated as no marker (and dropped as stale).
  }
  return undefined;
}

function heldMessage(m: RollbackMarker): string {
  return (
    `Rollout of revision ${m.fromRevision} exceeded its progress deadline; ` +
    `rolled back automatically to the template of revision ${m.toRevision}`
  );
}

const hashOf = (rs: ReplicaSet | undefined) => rs?.metadata?.labels?.[POD_TEMPLATE_HASH];

/** The Deployment's template is still the one its automatic rollback restored. */
function isHeld(d: Deployment, newRS: ReplicaSet | undefined): RollbackMarker | undefined {
  const m = readMarker(d);
  return m && newRS && hashOf(newRS) === m.podTemplateHash ? m : undefined;
}

/**
 * While held, Progressing stays False/ProgressDeadlineExceeded with the rollback's message, in
 * place of whatever the rollout's progress would say. True when held.
 */
export function applyRollbackHold(
  d: Deployment,
  newRS: ReplicaSet | undefined,
  status: DeploymentStatus,
  now: number,
): boolean {
  const m = isHeld(d, newRS);
  if (!m || !hasProgressDeadline(d)) return false;
  const previous = getCondition(d.status, PROGRESSING);
  const base =
    previous?.status === 'False' && previous.reason === REASON.timedOut
      ? previous
      : newCondition(PROGRESSING, 'False', REASON.timedOut, '', now);
  removeCondition(status, PROGRESSING);
  status.conditions = [...(status.conditions ?? []), { ...base, message: heldMessage(m) }];
  return true;
}

/** Remove a marker whose template is no longer the Deployment's; true when removed. */
export function clearStaleRollbackMarker(d: Deployment, newRS: ReplicaSet | undefined): boolean {
  const annotations = d.metadata?.annotations;
  if (annotations?.[ROLLED_BACK] === undefined || isHeld(d, newRS)) return false;
  delete annotations[ROLLED_BACK];
  return true;
}

/** The newest older ReplicaSet that once completed a rollout. */
function lastGoodReplicaSet(
  newRS: ReplicaSet,
  allRSs: readonly (ReplicaSet | undefined)[],
): ReplicaSet | undefined {
  const good = allRSs.filter(
    (rs): rs is ReplicaSet =>
      rs !== undefined &&
      rs !== newRS &&
      !rs.metadata?.deletionTimestamp &&
      rs.metadata?.annotations?.[ROLLOUT_COMPLETE] === 'true' &&
      revisionOf(rs) < revisionOf(newRS),
  );
  return good.sort((a, b) => byRevision(b, a))[0];
}

export interface AutoRollback {
  event: { type: 'Warning'; reason: string; message: string };
  /** The Deployment with the target's template and annotations; unset when there is nothing to go back to. */
  deployment?: Deployment;
}

/**
 * Whether this pass rolls `d` back: it opted in, its rollout (new RS `newRS`) has just been
 * judged as past its deadline in `status`, and a last good revision exists. Sets the rollback's
 * message on `status`'s Progressing condition.
 */
export function planAutoRollback(
  d: Deployment,
  newRS: ReplicaSet | undefined,
  allRSs: readonly (ReplicaSet | undefined)[],
  status: DeploymentStatus,
): AutoRollback | undefined {
  if (d.metadata?.annotations?.[ROLLBACK_ON_FAILURE] !== 'true' || !newRS) return undefined;
  const cond = getCondition(status, PROGRESSING);
  if (cond?.reason !== REASON.timedOut) return undefined;
  const from = revisionOf(newRS);
  const target = lastGoodReplicaSet(newRS, allRSs);
  if (!target) {
    if (getCondition(d.status, PROGRESSING)?.reason === REASON.timedOut) return undefined;
    return {
      event: {
        type: 'Warning',
        reason: 'RollbackNotPossible',
        message: `Rollout of revision ${from} exceeded its progress deadline, but no earlier revision ever completed a rollout: not rolling back`,
      },
    };
  }
  const marker: RollbackMarker = {
    fromRevision: from,
    toRevision: revisionOf(target),
    podTemplateHash: hashOf(target) ?? '',
  };
  const deployment = structuredClone(d);
  deployment.spec!.template = templateWithoutHash(target.spec?.template);
  deployment.metadata!.annotations = rollbackAnnotations(d, target, marker);
  Object.assign(cond, { message: heldMessage(marker) });
  return {
    event: {
      type: 'Warning',
      reason: 'RolledBack',
      message:
        `Rolled back from revision ${from} to revision ${marker.toRevision}: ReplicaSet "${newRS.metadata?.name}" ` +
        `did not progress within ${d.spec?.progressDeadlineSeconds}s (progressDeadlineSeconds)`,
    },
    deployment,
  };
}

/**
 * As `kubectl rollout undo`: the Deployment keeps its bookkeeping annotations and takes the
 * target's others (its change-cause, ...); it also keeps the opt-in, and gets the marker.
 */
function rollbackAnnotations(
  d: Deployment,
  target: ReplicaSet,
  marker: RollbackMarker,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (isBookkeepingAnnotation(k) || k === ROLLBACK_ON_FAILURE) out[k] = v;
  }
  for (const [k, v] of Object.entries(target.metadata?.annotations ?? {})) {
    if (!isBookkeepingAnnotation(k) && k !== REVISION) out[k] = v;
  }
  out[ROLLED_BACK] = JSON.stringify(marker);
  return out;
}
