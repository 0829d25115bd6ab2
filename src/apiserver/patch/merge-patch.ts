/**
 * JSON merge patch (RFC 7386, `application/merge-patch+json`): objects merge key by key, `null`
 * deletes a key, anything else (lists included) replaces. What `kubectl label`, `annotate` and
 * `scale` send. The patch must be an object: a bare value would replace the whole object.
 */
import { errors } from '../../api/errors.js';
import { deepClone, isPlainObject, jsonTypeName, put } from '../../api/json-value.js';
import { parseJson } from './parse.js';

/** RFC 7386 MergePatch(target, patch), returning a new value. */
export function mergePatchValue(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return deepClone(patch);
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else put(out, key, mergePatchValue(out[key], value));
  }
  return out;
}

export function applyMergePatch(doc: Record<string, unknown>, body: string): Record<string, unknown> {
  const patch = parseJson(body, 'error decoding patch');
  if (!isPlainObject(patch)) {
    throw errors.badRequest(`a JSON merge patch must be a JSON object, not a JSON ${jsonTypeName(patch)}`);
  }
  return deepClone(mergePatchValue(doc, patch)) as Record<string, unknown>;
}
