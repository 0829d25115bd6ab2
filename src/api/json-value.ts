/**
 * Plain JSON values as the patch engines (and the agent, the CLI, the protobuf decoder) see them,
 * and the few operations they need:
 * deep copy, deep equality, a key setter that cannot reach `__proto__`, a depth guard, and Go's
 * `%v` rendering (Kubernetes' merge errors print values that way, so ours do too).
 */
import { isPlainObject } from './object.js';

export type JsonObject = { [key: string]: JsonValue };
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

export { isPlainObject };

/** Deepest nesting a patch body may have; real objects stay far below it. */
export const MAX_DEPTH = 1000;

/** Set `obj[key] = value` even for the key "__proto__", without touching the prototype. */
export function put(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

export function deepClone<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => deepClone(v)) as T;
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) put(out, k, deepClone(v));
    return out as T;
  }
  return value;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) {
      if (!Object.hasOwn(b, k) || !deepEqual(a[k], b[k])) return false;
    }
    return true;
  }
  return false;
}

/** JSON with object keys sorted and no spaces: the canonical form used in field paths. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Check that a decoded document is plain JSON (finite numbers, plain objects and arrays) and no
 * deeper than MAX_DEPTH. Iterative, so hostile nesting cannot exhaust the stack. Returns a
 * description of the first problem, or undefined.
 */
export function jsonProblem(root: unknown): string | undefined {
  const stack: { value: unknown; depth: number }[] = [{ value: root, depth: 1 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (depth > MAX_DEPTH) return `exceeded max depth of ${MAX_DEPTH}`;
    if (value === null || typeof value === 'string' || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return `unsupported number ${value}`;
      continue;
    }
    if (Array.isArray(value)) {
      for (const v of value) stack.push({ value: v, depth: depth + 1 });
      continue;
    }
    if (isPlainObject(value) && isPlainPrototype(value)) {
      for (const v of Object.values(value)) stack.push({ value: v, depth: depth + 1 });
      continue;
    }
    return `unsupported value of type ${value === undefined ? 'undefined' : (value.constructor?.name ?? typeof value)}`;
  }
  return undefined;
}

function isPlainPrototype(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The JSON type name Go's decoder would use in "cannot unmarshal X" messages. */
export function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  return typeof value;
}

/** Go's `%v` of a decoded JSON value: `map[image:nginx name:web]`, `[a b]`. */
export function goFormat(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goFormat).join(' ')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort();
    return `map[${keys.map((k) => `${k}:${goFormat(value[k])}`).join(' ')}]`;
  }
  return String(value);
}
