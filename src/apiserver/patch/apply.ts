/**
 * Server-side apply (`application/apply-patch+yaml`): a manager declares the fields it wants and
 * their values, and comes to own exactly those fields.
 *
 * 1. The configuration is merged into the live object (keyed lists by their list-map keys).
 * 2. Fields the manager applied last time and leaves out now are removed, unless another manager
 *    owns them too (pruning).
 * 3. Every field the merge changes or adds that another manager owns is a conflict: 409 with
 *    one cause per field, unless `force`, which moves those fields to the applier. Applying the
 *    value a field already has is no conflict: the field is then shared.
 * 4. The manager's Apply entry becomes the configuration's field set; other managers lose the
 *    fields that changed hands or disappeared.
 *
 * Kubernetes' migration aids are included: an object nobody tracked is first attributed to
 * "before-first-apply"; for the manager "kubectl", conflicts with fields still matching the
 * client-side `last-applied-configuration` annotation are taken over, and that annotation is kept
 * in step with what was applied.
 */
import { errors, type FieldError, field, type StatusCause, statusError } from '../../api/errors.js';
import { canonicalJson, deepEqual, isPlainObject } from '../../api/json-value.js';
import type { KubeObject } from '../../api/object.js';
import type { SchemaNode } from '../../api/schema/navigator.js';
import { formatTime } from '../../api/time.js';
import { type FieldSet, type Path, pathString } from './fieldset.js';
import {
  BEFORE_FIRST_APPLY,
  changedFields,
  decodeOrEmpty,
  identity,
  type ManagerEntry,
  recordUpdate,
  releaseFields,
  type Scope,
  scoped,
  setManagedFields,
  withoutManagedFields,
} from './managed-fields.js';
import { compareTyped, configFieldSet, mergeTyped, removeItems, toFieldSet } from './typed.js';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

export interface ApplyContext extends Scope {
  manager: string;
  force: boolean;
  /** The version being written, e.g. "apps/v1"; the configuration must use it. */
  apiVersion: string;
  /** The kind being written; defaults to the live object's. */
  kind?: string;
  now: () => Date;
  schema: SchemaNode;
}

/** Apply `config` to `current` (undefined: create). Returns the new object; throws ApiError. */
export function serverSideApply(
  current: KubeObject | undefined,
  config: Record<string, unknown>,
  ctx: ApplyContext,
): KubeObject {
  checkConfig(config, current, ctx);
  const configSet = scoped(configFieldSet(config, ctx.schema), ctx);
  const live = withoutManagedFields(current);

  const managers = current ? decodeOrEmpty(current.metadata?.managedFields) : new Map<string, ManagerEntry>();
  if (current && managers.size === 0) {
    recordUpdate(managers, {}, live, {
      ...scopeOf(ctx),
      manager: BEFORE_FIRST_APPLY,
      apiVersion: ctx.apiVersion,
      now: ctx.now,
      schema: ctx.schema,
    });
  }
  const mine: ManagerEntry = {
    manager: ctx.manager,
    operation: 'Apply',
    apiVersion: ctx.apiVersion,
    fields: configSet,
  };
  if (ctx.subresource) mine.subresource = ctx.subresource;
  const myId = identity(mine);
  const previous = managers.get(myId);

  // 1-2: merge, then prune what this manager dropped and nobody else claims.
  let others = configSet.clone();
  for (const [id, entry] of managers) if (id !== myId) others = others.union(entry.fields);
  const merged = mergeTyped(live, config, ctx.schema) as Record<string, unknown>;
  const removal = previous ? previous.fields.difference(others) : undefined;
  const result = (
    removal && !removal.isEmpty() ? removeItems(merged, ctx.schema, removal, others) : merged
  ) as KubeObject;

  // 3: conflicts.
  const { changed, removed } = changedFields(live, result, ctx.schema, ctx);
  let conflicts = findConflicts(managers, myId, changed);
  if (conflicts.length > 0 && !ctx.force) {
    const allowed = ctx.manager === 'kubectl' && current ? allowedByLastApplied(current, ctx) : undefined;
    if (allowed) conflicts = conflicts.filter((c) => !allowed.has(c.path));
    if (conflicts.length > 0) throw conflictError(conflicts);
  }

  // 4: ownership.
  releaseFields(managers, changed, removed, myId);
  const keepTime = previous?.time && deepEqual(live, result) && previous.fields.equals(configSet);
  managers.set(myId, { ...mine, time: keepTime ? previous.time! : formatTime(ctx.now()) });

  if (ctx.manager === 'kubectl') syncLastApplied(result, config);
  setManagedFields(result, managers);
  return result;
}

function scopeOf(ctx: Scope): Scope {
  const scope: Scope = {};
  if (ctx.subresource) scope.subresource = ctx.subresource;
  if (ctx.hasStatusSubresource) scope.hasStatusSubresource = true;
  return scope;
}

/** The checks Kubernetes makes on an apply configuration before merging it. */
function checkConfig(
  config: Record<string, unknown>,
  current: KubeObject | undefined,
  ctx: ApplyContext,
): void {
  const version = typeof config.apiVersion === 'string' ? config.apiVersion : '';
  if (version !== ctx.apiVersion) {
    throw errors.badRequest(
      `Incorrect version specified in apply patch. Specified patch version: ${version}, expected: ${ctx.apiVersion}`,
    );
  }
  const expectedKind = ctx.kind ?? current?.kind;
  const kind = typeof config.kind === 'string' ? config.kind : '';
  if (expectedKind && kind !== expectedKind) {
    throw errors.badRequest(
      `Incorrect kind specified in apply patch. Specified patch kind: ${kind}, expected: ${expectedKind}`,
    );
  }
  if (config.metadata !== undefined && !isPlainObject(config.metadata)) {
    throw errors.badRequest(
      `failed to create typed patch object: .metadata: expected map, got ${JSON.stringify(config.metadata)}`,
    );
  }
  const meta = config.metadata as Record<string, unknown> | undefined;
  if (meta && meta.managedFields !== undefined && meta.managedFields !== null) {
    throw errors.badRequest('metadata.managedFields must be nil');
  }
}

interface Conflict {
  entry: ManagerEntry;
  path: Path;
}

function findConflicts(managers: Map<string, ManagerEntry>, myId: string, changed: FieldSet): Conflict[] {
  const out: Conflict[] = [];
  for (const [id, entry] of managers) {
    if (id === myId) continue;
    for (const path of entry.fields.intersection(changed).paths()) out.push({ entry, path });
  }
  return out;
}

/** How Kubernetes names a manager in conflict messages. */
export function printManager(
  e: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>,
): string {
  let out = JSON.stringify(e.manager);
  if (e.subresource) out += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') out += ` using ${e.apiVersion}`;
  return out;
}

/** 409 Conflict, worded and detailed as Kubernetes' NewConflictError. */
function conflictError(conflicts: Conflict[]) {
  const rows = conflicts
    .map((c) => ({ manager: printManager(c.entry), path: pathString(c.path) }))
    .sort((a, b) => (a.manager < b.manager ? -1 : a.manager > b.manager ? 1 : 0));
  const causes: StatusCause[] = rows.map((r) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${r.manager}`,
    field: r.path,
  }));
  let message: string;
  if (rows.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${rows[0]!.manager}: ${rows[0]!.path}`;
  } else {
    const lines: string[] = [];
    let last = '';
    for (const r of rows) {
      if (r.manager !== last) lines.push(`conflicts with ${r.manager}:`);
      last = r.manager;
      lines.push(`- ${r.path}`);
    }
    message = `Apply failed with ${rows.length} conflicts: ${lines.join('\n')}`;
  }
  return statusError(409, 'Conflict', message, { causes });
}

function lastAppliedOf(obj: Record<string, unknown>): string | undefined {
  const meta = obj.metadata;
  if (!isPlainObject(meta) || !isPlainObject(meta.annotations)) return undefined;
  const value = meta.annotations[LAST_APPLIED_ANNOTATION];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Fields "kubectl" may take over without force (lastAppliedManager): those the client-side apply
 * annotation sets to the values the live object still has.
 */
function allowedByLastApplied(current: KubeObject, ctx: ApplyContext): FieldSet | undefined {
  const annotation = lastAppliedOf(current);
  if (!annotation) return undefined;
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(annotation);
  } catch {
    return undefined;
  }
  if (!isPlainObject(lastApplied) || lastApplied.apiVersion !== ctx.apiVersion) return undefined;
  const live = withoutManagedFields(current);
  const diff = compareTyped(lastApplied, live, ctx.schema);
  const set = toFieldSet(lastApplied, ctx.schema, false);
  return scoped(set.difference(diff.modified).difference(diff.added).difference(diff.removed), ctx);
}

/** Keep an existing client-side apply annotation equal to what "kubectl" applied server-side. */
function syncLastApplied(result: KubeObject, config: Record<string, unknown>): void {
  if (!lastAppliedOf(result)) return;
  const copy = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  const meta = copy.metadata as Record<string, unknown> | undefined;
  if (meta && isPlainObject(meta.annotations)) {
    delete meta.annotations[LAST_APPLIED_ANNOTATION];
    if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
  }
  const annotations = (result.metadata as Record<string, unknown>).annotations as Record<string, unknown>;
  annotations[LAST_APPLIED_ANNOTATION] = canonicalJson(copy);
}

/** Validation of the fieldManager query parameter (ValidateFieldManager). */
export function fieldManagerErrors(fieldManager: string | undefined): FieldError[] {
  const out: FieldError[] = [];
  if (!fieldManager) return out;
  if (Buffer.byteLength(fieldManager) > 128) out.push(field.tooLong('fieldManager', 128));
  let offset = 0;
  for (const ch of fieldManager) {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) {
      const code = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      out.push(
        field.invalid('fieldManager', fieldManager, `invalid character U+${code} (at position ${offset})`),
      );
    }
    offset += Buffer.byteLength(ch);
  }
  return out;
}
