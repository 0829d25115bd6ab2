/**
 * Helpers for defaulting: get-or-create nested objects, set-if-unset, and writing quantities in
 * the canonical form Kubernetes serializes them in.
 */
import { isPlainObject, objectsIn } from '../object.js';
import { canonicalQuantity } from '../quantity.js';

export type Obj = Record<string, unknown>;

/** `parent[key]` as an object, creating `{}` there when it is missing. Non-objects are left alone. */
export function obj(parent: Obj, key: string): Obj {
  const v = parent[key];
  if (isPlainObject(v)) return v;
  if (v === undefined || v === null) {
    const created: Obj = {};
    parent[key] = created;
    return created;
  }
  return {};
}

/** `parent[key]` as an object when it is one, else undefined (nothing is created). */
export function maybe(parent: Obj, key: string): Obj | undefined {
  const v = parent[key];
  return isPlainObject(v) ? v : undefined;
}

/** The objects in `parent[key]` when it is an array. */
export function items(parent: Obj, key: string): Obj[] {
  return objectsIn(parent[key]);
}

export function unset(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

/** Set `parent[key]` to `value` when it is missing, null or "". */
export function setDefault(parent: Obj, key: string, value: unknown): void {
  if (unset(parent[key]))
    parent[key] = typeof value === 'object' && value !== null ? structuredClone(value) : value;
}

/** Rewrite every valid quantity in a resource map canonically ("0.5" → "500m", 1 → "1"). */
export function canonicalizeQuantities(map: unknown): void {
  if (!isPlainObject(map)) return;
  for (const [k, v] of Object.entries(map)) {
    const c = canonicalQuantity(v);
    if (c !== undefined) map[k] = c;
  }
}

export function canonicalizeQuantity(parent: Obj, key: string): void {
  const c = canonicalQuantity(parent[key]);
  if (c !== undefined) parent[key] = c;
}
