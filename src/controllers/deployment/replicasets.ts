/**
 * What the deployment controller knows about a Deployment's ReplicaSets (Kubernetes'
 * pkg/controller/deployment/util): which one is "new" (its template is the Deployment's), their
 * revisions and orderings, replica counts, the surge/unavailability budget, and the annotations
 * the controller keeps on them. All pure; nothing here writes.
 */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { scaledValue } from '../../api/int-or-percent.js';
import { semanticEqual } from '../../api/validation/util.js';

/** The label (on the RS selector, RS template and pods) that tells one template's pods from another's. */
export const POD_TEMPLATE_HASH = 'pod-template-hash';
export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
/** Shoal's opt-in: roll back by itself when a rollout misses its progress deadline. */
export const ROLLBACK_ON_FAILURE = 'shoal.dev/rollback-on-failure';
/** On a ReplicaSet: this template once completed a rollout (all replicas updated and available). */
export const ROLLOUT_COMPLETE = 'shoal.dev/rollout-complete';
/** On a Deployment: its template is the result of an automatic rollback (JSON, see rollback.ts). */
export const ROLLED_BACK = 'shoal.dev/rolled-back';

/**
 * Deployment annotations never copied onto its ReplicaSets: the controller's own bookkeeping, and
 * kubectl's last-applied configuration (Kubernetes' skipCopyAnnotation, plus Shoal's markers).
 */
const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  'deprecated.deployment.rollback.to',
  ROLLOUT_COMPLETE,
  ROLLED_BACK,
]);

/** An annotation the controller (or kubectl) keeps for itself, not the user's. */
export function isBookkeepingAnnotation(key: string): boolean {
  return NOT_COPIED.has(key);
}

/** Anything with annotations (a ReplicaSet, a Deployment). */
type Annotated = { metadata?: { annotations?: Record<string, string> } };

export const replicasOf = (rs: ReplicaSet | undefined): number => rs?.spec?.replicas ?? 0;
export const desiredReplicas = (d: Deployment): number => d.spec?.replicas ?? 1;

/** The RS's revision annotation as a number; 0 when missing or not a number. */
export function revisionOf(obj: Annotated): number {
  return intAnnotation(obj, REVISION) ?? 0;
}

export function maxRevision(rses: readonly ReplicaSet[]): number {
  return rses.reduce((max, rs) => Math.max(max, revisionOf(rs)), 0);
}

/** When `rs` was created; one not created yet (about to be, in this pass) is the newest. */
function createdAt(rs: ReplicaSet): number {
  const t = rs.metadata?.creationTimestamp;
  return t ? Date.parse(t) : Number.MAX_SAFE_INTEGER;
}

/** Oldest first; ties by name (ReplicaSetsByCreationTimestamp). */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  return createdAt(a) - createdAt(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** Lowest revision first; ties oldest first (ReplicaSetsByRevision). */
export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  return revisionOf(a) - revisionOf(b) || byCreation(a, b);
}

/** Largest first; ties older first: the order to scale down in (ReplicaSetsBySizeOlder). */
export function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  return replicasOf(b) - replicasOf(a) || byCreation(a, b);
}

/** Largest first; ties newer first: the order to scale up in (ReplicaSetsBySizeNewer). */
export function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  return replicasOf(b) - replicasOf(a) || byCreation(b, a);
}

/** A copy of `template` without the pod-template-hash label: what a rollback puts back on a Deployment. */
export function templateWithoutHash(template: PodTemplateSpec | undefined): PodTemplateSpec {
  const t = structuredClone(template ?? {});
  if (t.metadata?.labels) delete t.metadata.labels[POD_TEMPLATE_HASH];
  return t;
}

/** Whether two pod templates are the same apart from the pod-template-hash label (EqualIgnoreHash). */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return semanticEqual(templateWithoutHash(a), templateWithoutHash(b));
}

/** The oldest RS whose template is the Deployment's (FindNewReplicaSet): the oldest wins a tie. */
export function findNewReplicaSet(d: Deployment, rses: readonly ReplicaSet[]): ReplicaSet | undefined {
  return [...rses].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

export function activeReplicaSets(rses: readonly (ReplicaSet | undefined)[]): ReplicaSet[] {
  return rses.filter((rs): rs is ReplicaSet => rs !== undefined && replicasOf(rs) > 0);
}

/** Sum of spec.replicas. */
export function specReplicas(rses: readonly (ReplicaSet | undefined)[]): number {
  return rses.reduce((n, rs) => n + replicasOf(rs), 0);
}

/** Sum of status.replicas (pods that exist). */
export function actualReplicas(rses: readonly (ReplicaSet | undefined)[]): number {
  return rses.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
}

export function readyReplicas(rses: readonly (ReplicaSet | undefined)[]): number {
  return rses.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
}

export function availableReplicas(rses: readonly (ReplicaSet | undefined)[]): number {
  return rses.reduce((n, rs) => n + (rs?.status?.availableReplicas ?? 0), 0);
}

// ---- the surge and unavailability budget -------------------------------------------------------

/**
 * maxSurge and maxUnavailable as pod counts for `d` (ResolveFenceposts). When both come out 0
 * (e.g. 25% of 1 rounds down to 0 and maxSurge is 0), one pod may be unavailable, or no rollout
 * could ever proceed.
 */
export function fenceposts(d: Deployment): { surge: number; unavailable: number } {
  const ru = d.spec?.strategy?.rollingUpdate;
  const replicas = desiredReplicas(d);
  const surge = scaledValue(ru?.maxSurge ?? '25%', replicas, true);
  const unavailable = scaledValue(ru?.maxUnavailable ?? '25%', replicas, false);
  return { surge, unavailable: surge === 0 && unavailable === 0 ? 1 : unavailable };
}

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** Pods allowed above `replicas` during a rolling update (MaxSurge); 0 for Recreate. */
export function maxSurge(d: Deployment): number {
  return isRollingUpdate(d) ? fenceposts(d).surge : 0;
}

/** Pods allowed to be unavailable (MaxUnavailable): 0 for Recreate, never more than `replicas`. */
export function maxUnavailable(d: Deployment): number {
  const replicas = desiredReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  return Math.min(fenceposts(d).unavailable, replicas);
}

// ---- annotations --------------------------------------------------------------------------------

function annotationsOf(obj: Annotated): Record<string, string> {
  obj.metadata ??= {};
  obj.metadata.annotations ??= {};
  return obj.metadata.annotations;
}

/** An annotation that holds a non-negative integer; undefined when missing or not one. */
function intAnnotation(obj: Annotated, key: string): number | undefined {
  const v = obj.metadata?.annotations?.[key];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

export const desiredReplicasAnnotation = (rs: ReplicaSet) => intAnnotation(rs, DESIRED_REPLICAS);
export const maxReplicasAnnotation = (rs: ReplicaSet) => intAnnotation(rs, MAX_REPLICAS);

/** Whether the desired/max-replicas annotations differ from what `d` wants now. */
export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, d: Deployment): boolean {
  return (
    desiredReplicasAnnotation(rs) !== desiredReplicas(d) ||
    maxReplicasAnnotation(rs) !== desiredReplicas(d) + maxSurge(d)
  );
}

/** Set desired-replicas and max-replicas on `rs` (a working copy) from `d`; true when changed. */
export function setReplicasAnnotations(rs: ReplicaSet, d: Deployment): boolean {
  if (!replicasAnnotationsNeedUpdate(rs, d)) return false;
  const a = annotationsOf(rs);
  a[DESIRED_REPLICAS] = String(desiredReplicas(d));
  a[MAX_REPLICAS] = String(desiredReplicas(d) + maxSurge(d));
  return true;
}

/**
 * Annotations of the new RS (SetNewReplicaSetAnnotations), on a working copy: the Deployment's
 * own annotations (except the bookkeeping ones), the revision raised to `newRevision` (an old RS
 * brought back by a rollback gets the next revision, its former one kept in revision-history),
 * and on a fresh RS the replica annotations. True when anything changed.
 */
export function setNewReplicaSetAnnotations(
  d: Deployment,
  rs: ReplicaSet,
  newRevision: number,
  exists: boolean,
): boolean {
  const a = annotationsOf(rs);
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (isBookkeepingAnnotation(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  const old = a[REVISION];
  if (old !== undefined && !/^\d+$/.test(old)) return changed;
  const oldRevision = old === undefined ? 0 : Number(old);
  if (oldRevision < newRevision) {
    a[REVISION] = String(newRevision);
    changed = true;
    if (old !== undefined) a[REVISION_HISTORY] = appendHistory(a[REVISION_HISTORY], old);
  }
  if (!exists && setReplicasAnnotations(rs, d)) changed = true;
  return changed;
}

/** Kubernetes' cap on revision-history (maxRevHistoryLengthInChars): the oldest entries go first. */
const MAX_HISTORY_CHARS = 2000;

function appendHistory(history: string | undefined, revision: string): string {
  const entries = history ? [...history.split(','), revision] : [revision];
  while (entries.length > 1 && entries.join(',').length > MAX_HISTORY_CHARS) entries.shift();
  return entries.join(',');
}
