/**
 * What the patch engines ask of a `SchemaNode`: the schema of a child, a field's strategic-merge
 * strategy, and how server-side apply treats a list or map (atomic, keyed by list-map keys, a set
 * of values, or granular). A missing schema (undeclared field, preserve-unknown-fields) behaves
 * like structured-merge-diff's "deduced" type: maps are granular, lists are atomic.
 */

import { isPlainObject } from '../../api/json-value.js';
import type { SchemaNode } from '../../api/schema/navigator.js';

export type Schema = SchemaNode | undefined;

/** The schema of `value[key]` when `value` is described by `s`. */
export function childSchema(s: Schema, key: string): Schema {
  if (!s) return undefined;
  if (s.shape === 'object') return s.field(key);
  if (s.shape === 'map') return s.elements();
  return undefined;
}

/** Whether `key` is a declared field of the struct `s` (not a free-form map key). */
export function isDeclaredField(s: Schema, key: string): boolean {
  return s?.shape === 'object' && s.field(key) !== undefined;
}

export function itemSchema(s: Schema): Schema {
  return s?.shape === 'array' ? s.elements() : undefined;
}

/** Strategic merge patch metadata of a field: its strategy (without retainKeys) and merge key. */
export function patchMeta(s: Schema): {
  strategy: '' | 'merge' | 'replace';
  mergeKey: string;
  retainKeys: boolean;
} {
  const parts = (s?.patchStrategy ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const retainKeys = parts.includes('retainKeys');
  const strategy = parts.includes('merge') ? 'merge' : parts.includes('replace') ? 'replace' : '';
  return { strategy, mergeKey: s?.patchMergeKey ?? '', retainKeys };
}

/** How server-side apply identifies the items of a list. */
export type ListSemantics = { kind: 'atomic' } | { kind: 'map'; keys: string[] } | { kind: 'set' };

function listSemantics(s: Schema): ListSemantics {
  if (s?.shape !== 'array') return { kind: 'atomic' };
  if (s.listType === 'map' && s.listMapKeys && s.listMapKeys.length > 0)
    return { kind: 'map', keys: s.listMapKeys };
  if (s.listType === 'set') return { kind: 'set' };
  if (s.listType === 'atomic') return { kind: 'atomic' };
  const { strategy, mergeKey } = patchMeta(s);
  if (strategy === 'merge') {
    if (mergeKey) return { kind: 'map', keys: [mergeKey] };
    const item = s.elements();
    if (!item || item.shape === 'scalar') return { kind: 'set' };
  }
  return { kind: 'atomic' };
}

/**
 * Defaults of list-map key fields that clients may omit (the schemas Kubernetes serves carry
 * `default: TCP` for ports' protocol, which is what makes `k:{"containerPort":80,"protocol":"TCP"}`
 * match an item applied without a protocol).
 */
const KEY_DEFAULTS: Record<string, unknown> = { protocol: 'TCP' };

export function keyDefault(item: Schema, key: string): unknown {
  const field = childSchema(item, key) as (SchemaNode & { default?: unknown }) | undefined;
  if (field && field.default !== undefined) return field.default;
  return KEY_DEFAULTS[key];
}

/**
 * How a value is walked by server-side apply: as a leaf (scalar, null, atomic list or map, or a
 * value whose shape does not match its schema), as named fields (struct or granular map), or as a
 * list of items identified by keys or by value.
 */
export type Walk =
  | { kind: 'leaf' }
  | { kind: 'fields'; struct: boolean }
  | { kind: 'keyed'; keys: string[] }
  | { kind: 'set' };

export function walkOf(value: unknown, s: Schema): Walk {
  if (Array.isArray(value)) {
    if (s?.shape !== 'array') return { kind: 'leaf' };
    const sem = listSemantics(s);
    if (sem.kind === 'map') return { kind: 'keyed', keys: sem.keys };
    if (sem.kind === 'set') return { kind: 'set' };
    return { kind: 'leaf' };
  }
  if (isPlainObject(value)) {
    if (!s || s.shape === 'unknown') return { kind: 'fields', struct: false };
    if (s.shape === 'object')
      return s.mapType === 'atomic' ? { kind: 'leaf' } : { kind: 'fields', struct: true };
    if (s.shape === 'map')
      return s.mapType === 'atomic' ? { kind: 'leaf' } : { kind: 'fields', struct: false };
    return { kind: 'leaf' };
  }
  return { kind: 'leaf' };
}
