/**
 * ControllerRevisions, the template history DaemonSets and StatefulSets keep (Kubernetes'
 * pkg/controller/history): one immutable revision per distinct pod template, named
 * `<owner>-<hash>`, numbered so the newest is highest. A template that returns to an earlier
 * state (a rollback) reuses that revision and renumbers it instead of making a copy. Pods carry
 * the label `controller-revision-hash` saying which revision made them; revisions no pod uses
 * beyond `revisionHistoryLimit` are pruned, oldest first.
 *
 * The decisions are pure (`planUpdateRevision`, `revisionsToPrune`); `ensureRevision` and
 * `pruneRevisions` write.
 */
import type { ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { hasCode } from '../../api/errors.js';
import { canonicalJson } from '../../api/json-value.js';
import type { KubeObject } from '../../api/object.js';
import { lookupKind } from '../../api/resources.js';
import type { Client } from '../../client/rest.js';
import { fnv32a, safeEncode } from '../../util/fnv.js';
import { newControllerRef } from '../framework/owner.js';

export const REVISION_HASH_LABEL = 'controller-revision-hash';
export const CONTROLLER_REVISIONS = lookupKind('apps/v1', 'ControllerRevision')!;

/** The hash a revision of `data` is named and labelled with; `collisionCount` makes a fresh one. */
export function revisionHash(data: unknown, collisionCount = 0): string {
  const text = canonicalJson(data) + (collisionCount > 0 ? `#${collisionCount}` : '');
  return safeEncode(String(fnv32a(Buffer.from(text, 'utf8'))));
}

/** What a revision stores: the template as a patch replacing the owner's template, as Kubernetes stores it. */
export function templateRevisionData(template: PodTemplateSpec | undefined): Record<string, unknown> {
  return { spec: { template: { ...structuredClone(template ?? {}), $patch: 'replace' } } };
}

/** The pod template a revision recorded. */
export function templateOf(rev: ControllerRevision): PodTemplateSpec {
  const data = (rev.data ?? {}) as { spec?: { template?: Record<string, unknown> } };
  const { $patch: _, ...template } = data.spec?.template ?? {};
  return structuredClone(template) as PodTemplateSpec;
}

function sameData(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

export function maxRevision(revisions: readonly ControllerRevision[]): number {
  let max = 0;
  for (const r of revisions) max = Math.max(max, r.revision ?? 0);
  return max;
}

export type RevisionPlan =
  /** The newest revision already records the template. */
  | { action: 'none'; revision: ControllerRevision; collisionCount: number }
  /** An older revision records it (a rollback): renumber it as the newest. */
  | { action: 'renumber'; revision: ControllerRevision; number: number; collisionCount: number }
  /** No revision records it: create this one. */
  | { action: 'create'; revision: ControllerRevision; collisionCount: number };

/**
 * Which revision records `owner`'s current `template`, among the revisions it owns. A new
 * revision's name that is already taken by different data (a hash collision) raises the
 * collision count until the name is free, as Kubernetes does with status.collisionCount.
 */
export function planUpdateRevision(
  owner: KubeObject,
  template: PodTemplateSpec | undefined,
  revisions: readonly ControllerRevision[],
  collisionCount = 0,
): RevisionPlan {
  const data = templateRevisionData(template);
  const max = maxRevision(revisions);
  const equal = revisions
    .filter((r) => sameData(r.data, data))
    .sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0))[0];
  if (equal) {
    if ((equal.revision ?? 0) === max) return { action: 'none', revision: equal, collisionCount };
    return { action: 'renumber', revision: equal, number: max + 1, collisionCount };
  }
  const taken = new Set(revisions.map((r) => r.metadata?.name));
  let count = collisionCount;
  let hash = revisionHash(data, count);
  // Each step changes the hash; a few thousand revisions cannot keep every candidate taken.
  for (let i = 0; i < 10_000 && taken.has(`${owner.metadata.name}-${hash}`); i++) {
    count++;
    hash = revisionHash(data, count);
  }
  const labels = { ...(template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash };
  const revision: ControllerRevision = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${owner.metadata.name}-${hash}`,
      namespace: owner.metadata.namespace!,
      labels,
      ownerReferences: [newControllerRef(owner)],
    },
    data,
    revision: max + 1,
  };
  return { action: 'create', revision, collisionCount: count };
}

/** The hash part of a revision's name (`<owner>-<hash>`): what DaemonSet pods are labelled with. */
export function hashOfRevision(rev: ControllerRevision): string {
  return rev.metadata?.labels?.[REVISION_HASH_LABEL] ?? rev.metadata!.name!.split('-').pop()!;
}

/**
 * Revisions to delete: those not in `live` (revisions a pod or the status still uses), beyond
 * the `limit` most recent of them.
 */
export function revisionsToPrune(
  revisions: readonly ControllerRevision[],
  live: ReadonlySet<string>,
  limit: number,
): ControllerRevision[] {
  const old = revisions
    .filter((r) => !live.has(r.metadata!.name!))
    .sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
  return old.slice(0, Math.max(0, old.length - Math.max(0, limit)));
}

/** Make a plan's revision exist as planned; returns it as stored. */
export async function ensureRevision(client: Client, plan: RevisionPlan): Promise<ControllerRevision> {
  const rev = plan.revision;
  const namespace = rev.metadata!.namespace;
  const name = rev.metadata!.name!;
  if (plan.action === 'none') return rev;
  if (plan.action === 'renumber') {
    const patched = await client.patch(CONTROLLER_REVISIONS, namespace, name, 'merge', {
      revision: plan.number,
      metadata: { resourceVersion: rev.metadata!.resourceVersion },
    });
    return patched as unknown as ControllerRevision;
  }
  try {
    const created = await client.create(CONTROLLER_REVISIONS, namespace, rev as unknown as KubeObject);
    return created as unknown as ControllerRevision;
  } catch (err) {
    if (!hasCode(err, 409)) throw err;
    // Created by an earlier pass the cache has not shown yet: use it if it records the same template.
    const existing = (await client.get(
      CONTROLLER_REVISIONS,
      namespace,
      name,
    )) as unknown as ControllerRevision;
    if (sameData(existing.data, rev.data)) return existing;
    throw err;
  }
}

/** Delete the revisions `revisionsToPrune` picks (one already gone or replaced is skipped). */
export async function pruneRevisions(
  client: Client,
  revisions: readonly ControllerRevision[],
  live: ReadonlySet<string>,
  limit: number,
): Promise<void> {
  for (const r of revisionsToPrune(revisions, live, limit)) {
    await client
      .delete(CONTROLLER_REVISIONS, r.metadata!.namespace, r.metadata!.name!, {
        preconditions: { uid: r.metadata!.uid! },
      })
      .catch((err: unknown) => {
        if (!hasCode(err, 404, 409)) throw err;
      });
  }
}
