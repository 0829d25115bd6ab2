/**
 * The deployment controller's decisions (Kubernetes' pkg/controller/deployment: sync.go,
 * rolling.go, recreate.go, progress.go), as one pure function of what the cache shows:
 *
 *   planDeployment({deployment, replicaSets, pods, now}) → {steps, deployment?, status?, events, requeueAfterMs}
 *
 * It works on copies: each step it decides (create the new ReplicaSet, resize one, delete an old
 * one) is applied to its copies at once, so later decisions of the same pass see them, exactly
 * as Kubernetes' sync sees the ReplicaSets its own writes returned. The controller then writes
 * the steps in order, the Deployment's metadata/spec if they changed (revision annotation,
 * automatic rollback), and last its status.
 *
 * One pass, as Kubernetes' syncDeployment:
 *   selector selects everything → only observe the generation (and say why)
 *   being deleted               → status only
 *   paused, or replicas changed → resize the ReplicaSets (proportionally mid-rollout); no rollout
 *   Recreate                    → old RSes to 0; once their pods are gone, new RS to replicas
 *   RollingUpdate               → new RS up within maxSurge, else old RSes down within maxUnavailable
 *   then                        → status and conditions; old RSes beyond revisionHistoryLimit go
 *                                 once the rollout is complete; a missed progress deadline rolls
 *                                 back when the Deployment asks for it (rollback.ts)
 */
import type { Deployment, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { deepEqual } from '../../api/json-value.js';
import type { KubeObject } from '../../api/object.js';
import type { PlannedEvent } from '../../client/events.js';
import { controllerRefOf, newControllerRef } from '../framework/owner.js';
import { isTerminal } from '../framework/pods.js';
import { podTemplateHash } from './hash.js';
import {
  activeReplicaSets,
  actualReplicas,
  availableReplicas,
  byCreation,
  byRevision,
  desiredReplicas,
  desiredReplicasAnnotation,
  findNewReplicaSet,
  maxRevision,
  maxSurge,
  maxUnavailable,
  POD_TEMPLATE_HASH,
  REVISION,
  ROLLOUT_COMPLETE,
  replicasAnnotationsNeedUpdate,
  replicasOf,
  revisionOf,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  specReplicas,
} from './replicasets.js';
import { applyRollbackHold, clearStaleRollbackMarker, planAutoRollback } from './rollback.js';
import { activeOrLatest, isSaturated, proportionalSizes } from './scale.js';
import {
  calculateStatus,
  deploymentComplete,
  getCondition,
  hasProgressDeadline,
  newCondition,
  PROGRESSING,
  REASON,
  REPLICA_FAILURE,
  removeCondition,
  rolloutStatus,
  setCondition,
  stuckRequeueMs,
} from './status.js';

export type Step =
  /** Create the new ReplicaSet (name `<deployment>-<pod-template-hash>`). */
  | { op: 'create'; rs: ReplicaSet; events: PlannedEvent[] }
  /** Write this ReplicaSet (its size, annotations or minReadySeconds changed). */
  | { op: 'update'; rs: ReplicaSet; events: PlannedEvent[] }
  /** Delete an old ReplicaSet beyond revisionHistoryLimit. */
  | { op: 'delete'; rs: ReplicaSet; events: PlannedEvent[] };

export interface DeploymentPlan {
  steps: Step[];
  /** The Deployment with new metadata/spec (revision annotation, rollback), to write after the steps. */
  deployment?: Deployment;
  /** The new status, to write last; unset when it did not change. */
  status?: DeploymentStatus;
  /** Events about the Deployment itself, recorded once every write succeeded. */
  events: PlannedEvent[];
  /** Look again after this long (a rollout that may miss its progress deadline). */
  requeueAfterMs?: number;
}

export interface DeploymentInput {
  /** As cached: never modified. */
  deployment: Deployment;
  /** The ReplicaSets the Deployment controls (after adoption and release). */
  replicaSets: readonly ReplicaSet[];
  /** Pods of those ReplicaSets (only Recreate looks at them). */
  pods: readonly Pod[];
  now: number;
}

export function planDeployment(input: DeploymentInput): DeploymentPlan {
  return new Pass(input).run();
}

/** One pass over one Deployment: the copies it works on and the writes it decided. */
class Pass {
  private readonly d: Deployment;
  private readonly rses: ReplicaSet[];
  private readonly steps: Step[] = [];
  private readonly events: PlannedEvent[] = [];
  private deploymentChanged = false;
  private requeueAfterMs: number | undefined;
  private resolved: { newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] } | undefined;

  constructor(private readonly input: DeploymentInput) {
    this.d = structuredClone(input.deployment);
    this.d.status ??= {};
    this.rses = input.replicaSets.map((rs) => structuredClone(rs));
  }

  run(): DeploymentPlan {
    this.sync();
    return {
      steps: this.steps,
      ...(this.deploymentChanged ? { deployment: this.d } : {}),
      ...(sameStatus(this.input.deployment.status, this.d.status) ? {} : { status: this.d.status! }),
      events: this.events,
      ...(this.requeueAfterMs !== undefined ? { requeueAfterMs: this.requeueAfterMs } : {}),
    };
  }

  private get now(): number {
    return this.input.now;
  }

  private sync(): void {
    const d = this.d;
    const selector = d.spec?.selector;
    if (!selector?.matchLabels && !selector?.matchExpressions?.length) {
      this.event(
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
      );
      if ((d.status!.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) {
        d.status!.observedGeneration = d.metadata?.generation ?? 0;
      }
      return;
    }
    if (d.metadata?.deletionTimestamp) {
      const { newRS, oldRSs } = this.replicaSets(false);
      d.status = calculateStatus(d, [...oldRSs, newRS], newRS, this.now);
      return;
    }
    this.checkPausedConditions();
    if (d.spec?.paused || this.isScalingEvent()) this.scaleOnly();
    else if (d.spec?.strategy?.type === 'Recreate') this.rolloutRecreate();
    else this.rolloutRolling();
  }

  // ---- the ReplicaSets ------------------------------------------------------------------------

  /**
   * The new RS (its template is the Deployment's) and all the others, with the revisions synced
   * (getAllReplicaSetsAndSyncRevision): the new RS gets the next revision, the Deployment copies
   * it; with `create` a missing new RS is created.
   */
  private replicaSets(create: boolean): { newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] } {
    if (this.resolved && (this.resolved.newRS || !create)) return this.resolved;
    const existing = findNewReplicaSet(this.d, this.rses);
    const oldRSs = this.rses.filter((rs) => rs !== existing);
    const newRevision = maxRevision(oldRSs) + 1;
    const newRS = existing
      ? this.syncNewReplicaSet(existing, newRevision)
      : create
        ? this.createNewReplicaSet(oldRSs, newRevision)
        : undefined;
    this.resolved = { newRS, oldRSs };
    return this.resolved;
  }

  private syncNewReplicaSet(rs: ReplicaSet, newRevision: number): ReplicaSet {
    const d = this.d;
    const before = revisionOf(rs);
    const annotationsChanged = setNewReplicaSetAnnotations(d, rs, newRevision, true);
    const minReadySeconds = d.spec?.minReadySeconds ?? 0;
    if (annotationsChanged || (rs.spec?.minReadySeconds ?? 0) !== minReadySeconds) {
      rs.spec!.minReadySeconds = minReadySeconds;
      this.write(rs);
    }
    this.setRevision(rs.metadata?.annotations?.[REVISION] ?? '');
    // An older RS brought back (`kubectl rollout undo`, an automatic rollback) starts a rollout
    // of its own, as a new RS would: its deadline counts from now. Kubernetes instead keeps the
    // previous rollout's condition, so `rollout status` right after undoing a timed-out rollout
    // fails at once with the timeout of the rollout just abandoned.
    const broughtBack = before > 0 && revisionOf(rs) > before;
    if (hasProgressDeadline(d) && (broughtBack || !getCondition(d.status, PROGRESSING))) {
      const msg = `Found new replica set "${rs.metadata?.name}"`;
      setCondition(d.status!, newCondition(PROGRESSING, 'True', REASON.foundNewRS, msg, this.now));
    }
    return rs;
  }

  private createNewReplicaSet(oldRSs: ReplicaSet[], newRevision: number): ReplicaSet {
    const d = this.d;
    const hash = podTemplateHash(d.spec?.template, d.status?.collisionCount);
    const template = structuredClone(d.spec!.template);
    template.metadata = {
      ...template.metadata,
      labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH]: hash },
    };
    const selector = structuredClone(d.spec!.selector);
    selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH]: hash };
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata!.name}-${hash}`,
        namespace: d.metadata!.namespace!,
        labels: { ...template.metadata.labels },
        ownerReferences: [
          newControllerRef({ ...(d as KubeObject), apiVersion: 'apps/v1', kind: 'Deployment' }),
        ],
      },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    const replicas = this.newRSNewReplicas([...oldRSs, rs], rs);
    rs.spec!.replicas = replicas;
    setNewReplicaSetAnnotations(d, rs, newRevision, false);
    const events: PlannedEvent[] =
      replicas > 0
        ? [
            {
              type: 'Normal',
              reason: 'ScalingReplicaSet',
              message: `Scaled up replica set ${rs.metadata!.name} from 0 to ${replicas}`,
            },
          ]
        : [];
    this.steps.push({ op: 'create', rs, events });
    this.rses.push(rs);
    this.setRevision(String(newRevision));
    if (hasProgressDeadline(d)) {
      const msg = `Created new replica set "${rs.metadata!.name}"`;
      setCondition(d.status!, newCondition(PROGRESSING, 'True', REASON.newRSCreated, msg, this.now));
    }
    return rs;
  }

  private setRevision(revision: string): void {
    this.d.metadata!.annotations ??= {};
    const annotations = this.d.metadata!.annotations;
    if (annotations[REVISION] === revision) return;
    annotations[REVISION] = revision;
    this.deploymentChanged = true;
  }

  /** How big the new RS may be now (NewRSNewReplicas): within the surge, or all at once for Recreate. */
  private newRSNewReplicas(allRSs: ReplicaSet[], newRS: ReplicaSet): number {
    const d = this.d;
    if (d.spec?.strategy?.type === 'Recreate') return desiredReplicas(d);
    const maxTotal = desiredReplicas(d) + maxSurge(d);
    const current = specReplicas(allRSs);
    if (current >= maxTotal) return replicasOf(newRS);
    const up = Math.min(maxTotal - current, desiredReplicas(d) - replicasOf(newRS));
    return replicasOf(newRS) + up;
  }

  /** Queue a write of `rs` (once per pass, however many changes it gets). */
  private write(rs: ReplicaSet, event?: PlannedEvent): void {
    let step = this.steps.find((s) => s.rs === rs);
    if (!step) {
      step = { op: 'update', rs, events: [] };
      this.steps.push(step);
    }
    if (event) step.events.push(event);
  }

  /** Resize `rs` and refresh its replica annotations (scaleReplicaSet); true when its size changed. */
  private scaleReplicaSet(rs: ReplicaSet, size: number, direction: string): boolean {
    const from = replicasOf(rs);
    const sizeChanged = from !== size;
    if (!sizeChanged && !replicasAnnotationsNeedUpdate(rs, this.d)) return false;
    rs.spec!.replicas = size;
    setReplicasAnnotations(rs, this.d);
    this.write(
      rs,
      sizeChanged
        ? {
            type: 'Normal',
            reason: 'ScalingReplicaSet',
            message: `Scaled ${direction} replica set ${rs.metadata?.name} from ${from} to ${size}`,
          }
        : undefined,
    );
    return sizeChanged;
  }

  private scaleTo(rs: ReplicaSet, size: number): boolean {
    if (replicasOf(rs) === size) return false;
    return this.scaleReplicaSet(rs, size, replicasOf(rs) < size ? 'up' : 'down');
  }

  // ---- pause and resize -----------------------------------------------------------------------

  /** Progressing=Unknown DeploymentPaused / DeploymentResumed, unless the rollout timed out. */
  private checkPausedConditions(): void {
    const d = this.d;
    if (!hasProgressDeadline(d)) return;
    const cond = getCondition(d.status, PROGRESSING);
    if (cond?.reason === REASON.timedOut) return;
    const pausedShown = cond?.reason === REASON.paused;
    if (d.spec?.paused && !pausedShown) {
      setCondition(
        d.status!,
        newCondition(PROGRESSING, 'Unknown', REASON.paused, 'Deployment is paused', this.now),
      );
    } else if (!d.spec?.paused && pausedShown) {
      setCondition(
        d.status!,
        newCondition(PROGRESSING, 'Unknown', REASON.resumed, 'Deployment is resumed', this.now),
      );
    }
  }

  /** Some active RS was sized for another replica count than the Deployment's (isScalingEvent). */
  private isScalingEvent(): boolean {
    const { newRS, oldRSs } = this.replicaSets(false);
    return activeReplicaSets([...oldRSs, newRS]).some((rs) => {
      const desired = desiredReplicasAnnotation(rs);
      return desired !== undefined && desired !== desiredReplicas(this.d);
    });
  }

  /** Resize without rolling out (sync): paused, or the replica count changed. */
  private scaleOnly(): void {
    const { newRS, oldRSs } = this.replicaSets(false);
    this.scale(newRS, oldRSs);
    if (this.d.spec?.paused) this.cleanup(oldRSs);
    this.rollbackMarker(newRS);
    this.d.status = calculateStatus(this.d, [...oldRSs, newRS], newRS, this.now);
  }

  private scale(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): void {
    const d = this.d;
    const only = activeOrLatest(newRS, oldRSs);
    if (only) {
      this.scaleTo(only, desiredReplicas(d));
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of activeReplicaSets(oldRSs)) this.scaleTo(old, 0);
      return;
    }
    for (const { rs, size, direction } of proportionalSizes(d, newRS, oldRSs)) {
      this.scaleReplicaSet(rs, size, direction);
    }
  }

  // ---- rollouts -------------------------------------------------------------------------------

  private rolloutRolling(): void {
    const { newRS, oldRSs } = this.replicaSets(true);
    const allRSs = [...oldRSs, newRS!];
    // One move per pass: up if the new RS can grow, else down if old ones can shrink; the
    // history is trimmed only once nothing moves and the rollout is complete.
    const moved =
      this.reconcileNewReplicaSet(allRSs, newRS!) ||
      this.reconcileOldReplicaSets(allRSs, activeReplicaSets(oldRSs), newRS!);
    if (!moved && deploymentComplete(this.input.deployment, this.input.deployment.status ?? {})) {
      this.cleanup(oldRSs);
    }
    this.syncRolloutStatus(allRSs, newRS);
  }

  /** Grow (or shrink) the new RS towards replicas within the surge; true when it changed size. */
  private reconcileNewReplicaSet(allRSs: ReplicaSet[], newRS: ReplicaSet): boolean {
    const replicas = desiredReplicas(this.d);
    if (replicasOf(newRS) === replicas) return false;
    if (replicasOf(newRS) > replicas) return this.scaleTo(newRS, replicas);
    return this.scaleTo(newRS, this.newRSNewReplicas(allRSs, newRS));
  }

  /**
   * Shrink old RSes as far as maxUnavailable allows (reconcileOldReplicaSets): first their
   * unavailable pods (they serve nobody, and would otherwise block the rollout), then
   * available ones, oldest RS first. True when anything shrank.
   */
  private reconcileOldReplicaSets(allRSs: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet): boolean {
    if (specReplicas(oldRSs) === 0) return false;
    const minAvailable = desiredReplicas(this.d) - maxUnavailable(this.d);
    const newRSUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = specReplicas(allRSs) - minAvailable - newRSUnavailable;
    if (maxScaledDown <= 0) return false;
    let cleaned = 0;
    for (const rs of [...oldRSs].sort(byCreation)) {
      if (cleaned >= maxScaledDown) break;
      const unavailable = replicasOf(rs) - (rs.status?.availableReplicas ?? 0);
      if (replicasOf(rs) === 0 || unavailable <= 0) continue;
      const down = Math.min(maxScaledDown - cleaned, unavailable);
      this.scaleTo(rs, replicasOf(rs) - down);
      cleaned += down;
    }
    return cleaned + this.scaleDownOldForRollingUpdate(allRSs, oldRSs) > 0;
  }

  private scaleDownOldForRollingUpdate(allRSs: ReplicaSet[], oldRSs: ReplicaSet[]): number {
    const minAvailable = desiredReplicas(this.d) - maxUnavailable(this.d);
    const available = availableReplicas(allRSs);
    if (available <= minAvailable) return 0;
    const total = available - minAvailable;
    let done = 0;
    for (const rs of [...oldRSs].sort(byCreation)) {
      if (done >= total) break;
      if (replicasOf(rs) === 0) continue;
      const down = Math.min(replicasOf(rs), total - done);
      this.scaleTo(rs, replicasOf(rs) - down);
      done += down;
    }
    return done;
  }

  private rolloutRecreate(): void {
    let { newRS, oldRSs } = this.replicaSets(false);
    let allRSs = [...oldRSs, newRS];
    let scaledDown = false;
    for (const rs of activeReplicaSets(oldRSs)) scaledDown = this.scaleTo(rs, 0) || scaledDown;
    if (scaledDown || this.oldPodsRunning(oldRSs)) {
      this.syncRolloutStatus(allRSs, newRS);
      return;
    }
    if (!newRS) {
      ({ newRS, oldRSs } = this.replicaSets(true));
      allRSs = [...oldRSs, newRS];
    }
    this.scaleTo(newRS!, desiredReplicas(this.d));
    if (deploymentComplete(this.input.deployment, this.input.deployment.status ?? {})) this.cleanup(oldRSs);
    this.syncRolloutStatus(allRSs, newRS);
  }

  /** Old pods that may still run (Recreate waits for them all to be gone): not Succeeded or Failed. */
  private oldPodsRunning(oldRSs: ReplicaSet[]): boolean {
    if (actualReplicas(oldRSs) > 0) return true;
    const oldUIDs = new Set(oldRSs.map((rs) => rs.metadata?.uid));
    return this.input.pods.some((pod) => {
      const owner = controllerRefOf(pod as KubeObject)?.uid;
      return owner !== undefined && oldUIDs.has(owner) && !isTerminal(pod);
    });
  }

  // ---- history and status ---------------------------------------------------------------------

  /** Delete the oldest empty RSes beyond revisionHistoryLimit (cleanupDeployment). */
  private cleanup(oldRSs: ReplicaSet[]): void {
    const limit = this.d.spec?.revisionHistoryLimit;
    if (limit === undefined) return;
    const alive = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
    const excess = alive.length - limit;
    if (excess <= 0) return;
    for (const rs of [...alive].sort(byRevision).slice(0, excess)) {
      const settled = (rs.metadata?.generation ?? 0) <= (rs.status?.observedGeneration ?? 0);
      if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || !settled) continue;
      this.steps.push({ op: 'delete', rs, events: [] });
    }
  }

  /** Status after a rollout step (syncRolloutStatus), then Shoal's rollback bookkeeping. */
  private syncRolloutStatus(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): void {
    const d = this.d;
    const status = rolloutStatus(d, allRSs, newRS, this.now);
    const failure = replicaFailure(newRS, allRSs);
    if (failure) setCondition(status, failure);
    else removeCondition(status, REPLICA_FAILURE);
    if (
      newRS &&
      deploymentComplete(d, status) &&
      newRS.metadata?.annotations?.[ROLLOUT_COMPLETE] !== 'true'
    ) {
      newRS.metadata!.annotations = { ...newRS.metadata!.annotations, [ROLLOUT_COMPLETE]: 'true' };
      this.write(newRS);
    }
    this.requeueAfterMs = stuckRequeueMs(d, status, this.now);
    this.rollbackMarker(newRS);
    if (!applyRollbackHold(d, newRS, status, this.now)) {
      const rollback = planAutoRollback(d, newRS, allRSs, status);
      if (rollback) this.events.push(rollback.event);
      if (rollback?.deployment) {
        d.spec = rollback.deployment.spec;
        d.metadata = rollback.deployment.metadata;
        this.deploymentChanged = true;
      }
    }
    d.status = status;
  }

  /** Drop the automatic-rollback marker once the template is no longer the one it restored. */
  private rollbackMarker(newRS: ReplicaSet | undefined): void {
    if (clearStaleRollbackMarker(this.d, newRS)) this.deploymentChanged = true;
  }

  private event(type: PlannedEvent['type'], reason: string, message: string): void {
    this.events.push({ type, reason, message });
  }
}

/** The first ReplicaFailure condition of the new RS, else of an old one, as a Deployment condition. */
function replicaFailure(newRS: ReplicaSet | undefined, allRSs: readonly (ReplicaSet | undefined)[]) {
  for (const rs of [newRS, ...allRSs.filter((r) => r !== newRS)]) {
    const c = rs?.status?.conditions?.find((c) => c.type === REPLICA_FAILURE);
    if (c) {
      return {
        type: REPLICA_FAILURE,
        status: c.status,
        reason: c.reason ?? '',
        message: c.message ?? '',
        lastUpdateTime: c.lastTransitionTime ?? '',
        lastTransitionTime: c.lastTransitionTime ?? '',
      };
    }
  }
  return undefined;
}

/**
 * Whether two statuses say the same: the API server drops zero counts, so 0 and a missing count
 * are the same (comparing them as different would rewrite the status on every pass).
 */
export function sameStatus(a: DeploymentStatus | undefined, b: DeploymentStatus | undefined): boolean {
  const norm = (s: DeploymentStatus | undefined) =>
    Object.fromEntries(Object.entries(s ?? {}).filter(([, v]) => v !== 0 && v !== undefined));
  return deepEqual(norm(a), norm(b));
}
