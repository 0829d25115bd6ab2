/**
 * The four patch types of the Kubernetes API, as pure functions: JSON patch (RFC 6902), JSON
 * merge patch (RFC 7386), strategic merge patch (driven by the kind's SchemaNode: merge keys,
 * patch strategies and `$` directives) and server-side apply (field ownership recorded in
 * `metadata.managedFields`, conflicts, `force`). `applyPatch` decodes a body safely, applies it to
 * the stored object and brings managedFields up to date; `updateManagedFields` does the latter for
 * creates and updates. No I/O: the handler reads the stored object, calls these and writes.
 *
 * Errors are ApiErrors worded as Kubernetes words them: 400 for undecodable patches, 413 for
 * over-long JSON patches, 422 for JSON patches that do not apply and invalid patch options, 409
 * for apply conflicts.
 */
import { errors, statusError, type Target } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { SchemaNode } from '../../api/schema/navigator.js';
import { fieldManagerErrors, serverSideApply } from './apply.js';
import { applyJsonPatch } from './json-patch.js';
import { updateManagedFields as recordManagedFields, type UpdateContext } from './managed-fields.js';
import { applyMergePatch } from './merge-patch.js';
import { parseApplyBody } from './parse.js';
import { applyStrategicMergePatch } from './strategic.js';

export { LAST_APPLIED_ANNOTATION, printManager } from './apply.js';
export { FieldSet, pathString } from './fieldset.js';
export { MAX_JSON_PATCH_OPERATIONS } from './json-patch.js';
export {
  decodeManagedFields,
  encodeManagedFields,
  isResetManagedFields,
  MAX_UPDATE_MANAGERS,
  managerOrUserAgent,
} from './managed-fields.js';
export { strategicMerge } from './strategic.js';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** The Content-Type of each patch type, as clients send it. */
export const PATCH_CONTENT_TYPES: Readonly<Record<PatchType, string>> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

const BY_CONTENT_TYPE = new Map(
  Object.entries(PATCH_CONTENT_TYPES).map(([type, ct]) => [ct, type as PatchType]),
);

/** The patch type of a request's Content-Type (parameters such as charset ignored), if it is one. */
export function patchTypeFromContentType(contentType: string): PatchType | undefined {
  const base = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return BY_CONTENT_TYPE.get(base);
}

export interface PatchContext {
  /** The schema of the kind being patched (drives strategic merge and apply). */
  schema: SchemaNode;
  /**
   * The field manager: the `fieldManager` query parameter (required for apply) or, for other
   * patch types, `managerOrUserAgent(query, userAgent)`.
   */
  fieldManager?: string;
  /** The `force` query parameter, only when the request has one (Kubernetes rejects it on non-apply patches). */
  force?: boolean;
  now: () => Date;
  /** The version being written, e.g. "apps/v1". */
  apiVersion: string;
  /** The kind being written; apply bodies must name it (defaults to the stored object's kind). */
  kind?: string;
  /** Set when patching a subresource ("status", "scale"): recorded in managedFields entries. */
  subresource?: string;
  /** The kind has a /status subresource: writes to the main resource then do not own status. */
  hasStatusSubresource?: boolean;
  /** Names the object in the 404 a non-apply patch of an absent object gets. */
  target?: Target;
}

/**
 * Apply a patch of `type` to `current` (the stored object, or undefined when absent: only 'apply'
 * may create). Returns the new object with managedFields up to date; never mutates its inputs.
 * Throws ApiError.
 */
export function applyPatch(
  type: PatchType,
  current: KubeObject | undefined,
  patchBody: string,
  ctx: PatchContext,
): KubeObject {
  validatePatchOptions(type, ctx);
  if (type === 'apply') {
    const config = parseApplyBody(patchBody);
    return serverSideApply(current, config, {
      manager: ctx.fieldManager ?? '',
      force: ctx.force === true,
      apiVersion: ctx.apiVersion,
      now: ctx.now,
      schema: ctx.schema,
      ...(ctx.kind ? { kind: ctx.kind } : {}),
      ...(ctx.subresource ? { subresource: ctx.subresource } : {}),
      ...(ctx.hasStatusSubresource ? { hasStatusSubresource: true } : {}),
    });
  }
  const patched = applyUpdatePatch(type, current, patchBody, ctx);
  return recordManagedFields(current, patched, {
    manager: ctx.fieldManager ?? '',
    operation: 'Update',
    apiVersion: ctx.apiVersion,
    now: ctx.now,
    schema: ctx.schema,
    ...(ctx.subresource ? { subresource: ctx.subresource } : {}),
    ...(ctx.hasStatusSubresource ? { hasStatusSubresource: true } : {}),
  });
}

/** ValidatePatchOptions: apply needs a field manager; force is for apply only. */
function validatePatchOptions(type: PatchType, ctx: PatchContext): void {
  const problems = fieldManagerErrors(ctx.fieldManager);
  if (type === 'apply') {
    if (!ctx.fieldManager)
      problems.unshift({ type: 'Required', field: 'fieldManager', detail: 'is required for apply patch' });
  } else if (ctx.force !== undefined) {
    problems.unshift({
      type: 'Forbidden',
      field: 'force',
      detail: 'may not be specified for non-apply patch',
    });
  }
  if (problems.length > 0) {
    throw errors.invalid(
      { kind: 'PatchOptions', group: 'meta.k8s.io', resource: 'patchoptions', name: '' },
      problems,
    );
  }
}

/**
 * Bring managedFields up to date after an ordinary create (`old` undefined), update or patch by
 * `ctx.manager`: it comes to own the fields it changed. Returns a copy of `updated`'s top level
 * and metadata; nested values are shared with it.
 */
export function updateManagedFields(
  old: KubeObject | undefined,
  updated: KubeObject,
  ctx: {
    manager: string;
    operation: 'Update';
    apiVersion: string;
    now: () => Date;
    schema: SchemaNode;
    subresource?: string;
    hasStatusSubresource?: boolean;
  },
): KubeObject {
  const full: UpdateContext = { ...ctx };
  return recordManagedFields(old, updated, full);
}

/**
 * A json, merge or strategic patch alone, without recording managedFields: for callers that
 * default the result first and record the Update afterwards, in Kubernetes' order.
 */
export function applyUpdatePatch(
  type: Exclude<PatchType, 'apply'>,
  current: KubeObject | undefined,
  patchBody: string,
  ctx: PatchContext,
): KubeObject {
  validatePatchOptions(type, ctx);
  if (!current) {
    throw ctx.target
      ? errors.notFound(ctx.target)
      : statusError(404, 'NotFound', 'the object to patch was not found');
  }
  const doc = current as Record<string, unknown>;
  switch (type) {
    case 'json':
      return applyJsonPatch(doc, patchBody) as KubeObject;
    case 'merge':
      return applyMergePatch(doc, patchBody) as KubeObject;
    case 'strategic':
      return applyStrategicMergePatch(doc, patchBody, ctx.schema) as KubeObject;
  }
}
