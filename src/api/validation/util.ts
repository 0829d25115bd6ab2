/**
 * Small helpers the kind validators share: tolerant accessors (objects arrive as parsed JSON, so
 * a field may hold anything), Kubernetes-style field paths, semantic equality, and the common
 * numeric checks.
 */
import { type FieldError, field } from '../errors.js';
import { isPlainObject } from '../object.js';
import { isValidPercent } from './names.js';

export type Obj = Record<string, unknown>;

/** The value as an array, or [] when it is anything else. */
export function arr<T = unknown>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

export { rec, str } from '../object.js';

export function isSet(v: unknown): boolean {
  return v !== undefined && v !== null;
}

export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

// ---- paths ------------------------------------------------------------------------------------

/** `child('spec', 'template', 'spec')` → "spec.template.spec". */
export function child(base: string, ...names: string[]): string {
  return [base, ...names].filter((s) => s !== '').join('.');
}

export function index(base: string, i: number): string {
  return `${base}[${i}]`;
}

export function key(base: string, k: string): string {
  return `${base}[${k}]`;
}

// ---- equality ---------------------------------------------------------------------------------

function isEmpty(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    v === '' ||
    (Array.isArray(v) && v.length === 0) ||
    (isPlainObject(v) && Object.keys(v).length === 0)
  );
}

/**
 * Kubernetes' semantic equality, as far as JSON can tell it: a missing field, null, "", [] and {}
 * are all "unset" and equal to each other.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (isEmpty(a) && isEmpty(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

/** The paths at which two values differ, with both sides, for human-readable diffs. */
export function differences(a: unknown, b: unknown, path: string, out: string[] = [], limit = 20): string[] {
  if (out.length >= limit || semanticEqual(a, b)) return out;
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => {
      differences(x, b[i], index(path, i), out, limit);
    });
    return out;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) differences(a[k], b[k], child(path, k), out, limit);
    return out;
  }
  out.push(`- ${path}: ${JSON.stringify(a ?? null)}`);
  out.push(`+ ${path}: ${JSON.stringify(b ?? null)}`);
  return out;
}

// ---- common checks ----------------------------------------------------------------------------

const IMMUTABLE = 'field is immutable';
const NONNEGATIVE = 'must be greater than or equal to 0';

/** apimachinery's ValidateImmutableField. */
export function immutable(newVal: unknown, oldVal: unknown, path: string): FieldError[] {
  return semanticEqual(newVal, oldVal) ? [] : [field.invalid(path, newVal ?? null, IMMUTABLE)];
}

/** ValidateNonnegativeField, for a field that may be absent. */
export function nonNegative(v: unknown, path: string): FieldError[] {
  if (!isSet(v)) return [];
  if (typeof v !== 'number' || !Number.isFinite(v)) return [field.invalid(path, v, 'must be an integer')];
  return v < 0 ? [field.invalid(path, v, NONNEGATIVE)] : [];
}

/** An int-or-string that must be a non-negative integer or a percentage ("25%"). */
export function positiveIntOrPercent(v: unknown, path: string): FieldError[] {
  if (!isSet(v)) return [];
  if (typeof v === 'string') return check(v, path, isValidPercent);
  if (typeof v === 'number') return nonNegative(v, path);
  return [field.invalid(path, v, "must be an integer or percentage (e.g '5%')")];
}

/** The number an int-or-percent holds (25 for "25%"), or 0 when it holds neither. */
export function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && isValidPercent(v).length === 0) return Number.parseInt(v.slice(0, -1), 10);
  return 0;
}

export function notMoreThan100Percent(v: unknown, path: string): FieldError[] {
  if (typeof v !== 'string' || isValidPercent(v).length > 0) return [];
  return intOrPercentValue(v) > 100 ? [field.invalid(path, v, 'must not be greater than 100%')] : [];
}

/** A field that must be one of a fixed set when present; `required` when it may not be absent. */
export function oneOf(v: unknown, path: string, supported: string[], required = false): FieldError[] {
  if (!isSet(v) || v === '') return required ? [field.required(path, '')] : [];
  return supported.includes(v as string) ? [] : [field.notSupported(path, v, supported)];
}

/** Run a string check over a value and turn each message into a field.invalid at `path`. */
export function check<T>(value: T, path: string, fn: (v: T) => string[]): FieldError[] {
  return fn(value).map((m) => field.invalid(path, value, m));
}
