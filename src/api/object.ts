/**
 * The one object envelope every kind shares: apiVersion, kind, metadata, then the kind's own
 * fields (spec, status, data, ...). Typed views of particular kinds come from `kubernetes-types`.
 */
import type { OwnerReference, ObjectMeta as ReadonlyObjectMeta } from 'kubernetes-types/meta/v1.js';

export type { OwnerReference };

/** `kubernetes-types` marks the fields the server owns read-only; the server is the one writing them. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type ObjectMeta = Mutable<ReadonlyObjectMeta>;

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Tolerant readers for objects that arrive as parsed JSON, where a field may hold anything.

/** The value as a plain object, or {} when it is anything else. */
export function rec(v: unknown): Record<string, unknown> {
  return isPlainObject(v) ? v : {};
}

/** The plain objects in the value when it is an array (other entries skipped), else []. */
export function objectsIn(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter(isPlainObject) : [];
}

/** The value as a string, or '' when it is not one. */
export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The value as a finite number, or 0 when it is not one. */
export function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
