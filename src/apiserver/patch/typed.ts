/**
 * The operations server-side apply performs on objects described by a schema, after
 * sigs.k8s.io/structured-merge-diff: the set of fields a value sets (`toFieldSet`), merging an
 * applied configuration into a live object (`mergeTyped`), what changed between two versions
 * (`compareTyped`: added, modified, removed), and removing owned items (`removeItems`).
 *
 * Structs and granular maps are walked field by field (`f:`), lists keyed by their list-map keys
 * (`k:`) or values (`v:`), and everything else (scalars, atomic lists and maps) is a leaf.
 */
import { errors } from '../../api/errors.js';
import { deepClone, deepEqual, isPlainObject, put } from '../../api/json-value.js';
import {
  FieldSet,
  fieldElement,
  keyElement,
  type PathElement,
  pathString,
  valueElement,
} from './fieldset.js';
import { childSchema, isDeclaredField, itemSchema, keyDefault, type Schema, walkOf } from './schema-walk.js';

/** An applied configuration that does not fit its schema (duplicate or missing list keys...). */
export class InvalidConfigError extends Error {}

// ---- list items -------------------------------------------------------------------------------

interface IndexedList {
  order: PathElement[];
  items: Map<PathElement, unknown>;
}

/**
 * The path elements of a keyed or set list's items. With `strict` (an applied configuration)
 * problems throw InvalidConfigError; otherwise (a live object) they return undefined and the
 * caller treats the list as atomic.
 */
function indexList(
  list: unknown[],
  s: Schema,
  path: PathElement[],
  strict: boolean,
): IndexedList | undefined {
  const walk = walkOf(list, s);
  const itemS = itemSchema(s);
  const out: IndexedList = { order: [], items: new Map() };
  for (const [i, item] of list.entries()) {
    let pe: PathElement;
    if (walk.kind === 'keyed') {
      if (!isPlainObject(item)) {
        if (strict)
          throw new InvalidConfigError(
            `${pathString(path)}[${i}]: expected map, got ${JSON.stringify(item)}`,
          );
        return undefined;
      }
      const keys: Record<string, unknown> = {};
      for (const key of walk.keys) {
        const value = Object.hasOwn(item, key) && item[key] !== null ? item[key] : keyDefault(itemS, key);
        if (value === undefined) {
          if (!strict) return undefined;
          throw new InvalidConfigError(
            `${pathString(path)}[${i}]: associative list with keys has an element that omits key field ${JSON.stringify(key)} (and doesn't have default value)`,
          );
        }
        keys[key] = value;
      }
      pe = keyElement(keys);
    } else {
      pe = valueElement(item);
    }
    if (out.items.has(pe)) {
      if (!strict) return undefined;
      throw new InvalidConfigError(`${pathString(path)}: duplicate entries for key ${pathString([pe])}`);
    }
    out.order.push(pe);
    out.items.set(pe, item);
  }
  return out;
}

function isList(kind: string): kind is 'keyed' | 'set' {
  return kind === 'keyed' || kind === 'set';
}

// ---- toFieldSet ---------------------------------------------------------------------------------

/**
 * The fields a value sets: every leaf, every list item, and map entries that are null, empty or
 * undeclared (structured-merge-diff's ToFieldSet). `strict` rejects malformed list keys.
 */
export function toFieldSet(value: unknown, s: Schema, strict = true): FieldSet {
  const root = new FieldSet();
  collect(value, s, root, [], strict);
  root.member = false;
  root.prune();
  return root;
}

function collect(value: unknown, s: Schema, node: FieldSet, path: PathElement[], strict: boolean): void {
  const walk = walkOf(value, s);
  if (walk.kind === 'fields') {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const pe = fieldElement(key);
      const cs = childSchema(s, key);
      const childNode = new FieldSet();
      collect(child, cs, childNode, [...path, pe], strict);
      const empty = isPlainObject(child) && Object.keys(child).length === 0;
      if (child === null || empty || !walk.struct || !isDeclaredField(s, key)) childNode.member = true;
      if (!childNode.isEmpty()) node.children.set(pe, childNode);
    }
    return;
  }
  if (isList(walk.kind)) {
    const indexed = indexList(value as unknown[], s, path, strict);
    if (!indexed) {
      node.member = true;
      return;
    }
    for (const pe of indexed.order) {
      const childNode = new FieldSet();
      collect(indexed.items.get(pe), itemSchema(s), childNode, [...path, pe], strict);
      childNode.member = true;
      node.children.set(pe, childNode);
    }
    return;
  }
  node.member = true;
}

/** Wrap toFieldSet's InvalidConfigError as Kubernetes' "failed to create typed patch object". */
export function configFieldSet(config: Record<string, unknown>, s: Schema): FieldSet {
  try {
    return toFieldSet(config, s, true);
  } catch (err) {
    if (err instanceof InvalidConfigError) {
      throw errors.badRequest(
        `failed to create typed patch object (${describeObject(config)}): ${err.message}`,
      );
    }
    throw err;
  }
}

/** `default/web; apps/v1, Kind=Deployment`, as Kubernetes names an object in apply errors. */
export function describeObject(obj: Record<string, unknown>): string {
  const meta = isPlainObject(obj.metadata) ? obj.metadata : {};
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const gv = apiVersion.includes('/') ? apiVersion : `/${apiVersion}`;
  return `${String(meta.namespace ?? '')}/${String(meta.name ?? '')}; ${gv}, Kind=${String(obj.kind ?? '')}`;
}

// ---- merge --------------------------------------------------------------------------------------

/**
 * Merge an applied configuration `rhs` into a live value `lhs` (neither is modified): fields merge
 * recursively, null deletes, leaves take the configuration's value, and keyed lists keep
 * live-only items in place while the configuration's items take its order.
 */
export function mergeTyped(lhs: unknown, rhs: unknown, s: Schema): unknown {
  if (rhs === undefined) return deepClone(lhs);
  const walk = walkOf(rhs, s);
  if (walk.kind === 'fields') {
    const base = isPlainObject(lhs) && walkOf(lhs, s).kind === 'fields' ? lhs : {};
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(base)) put(out, k, deepClone(v));
    for (const [k, v] of Object.entries(rhs as Record<string, unknown>)) {
      if (v === null) delete out[k];
      else put(out, k, mergeTyped(Object.hasOwn(base, k) ? base[k] : undefined, v, childSchema(s, k)));
    }
    return out;
  }
  if (isList(walk.kind)) {
    const itemS = itemSchema(s);
    const right = indexList(rhs as unknown[], s, [], false);
    if (!right) return deepClone(rhs);
    const left =
      Array.isArray(lhs) && walkOf(lhs, s).kind === walk.kind ? indexList(lhs, s, [], false) : undefined;
    if (!left) return right.order.map((pe) => mergeTyped(undefined, right.items.get(pe), itemS));
    return mergeLists(left, right, (l, r) => mergeTyped(l, r, itemS));
  }
  return deepClone(rhs);
}

/** Interleave two keyed lists the way structured-merge-diff does. */
function mergeLists(
  left: IndexedList,
  right: IndexedList,
  merge: (l: unknown, r: unknown) => unknown,
): unknown[] {
  const inLeft = new Set(left.order);
  const shared = right.order.filter((pe) => inLeft.has(pe));
  let nextShared = 0;
  const done = new Set<PathElement>();
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  const takeRight = () => {
    const pe = right.order[j++]!;
    out.push(merge(left.items.get(pe), right.items.get(pe)));
    done.add(pe);
    if (shared[nextShared] === pe) nextShared++;
  };
  while (i < left.order.length || j < right.order.length) {
    if (i < left.order.length) {
      const pe = left.order[i]!;
      if (j < right.order.length && pe === right.order[j]) {
        takeRight();
        i++;
        continue;
      }
      if (!right.items.has(pe)) {
        out.push(deepClone(left.items.get(pe)));
        i++;
        continue;
      }
      if (done.has(pe) || (j < right.order.length && shared[nextShared] !== pe)) {
        i++;
        continue;
      }
    }
    if (j < right.order.length) takeRight();
    else i++; // unreachable in practice: a shared item not yet merged once the right side is done
  }
  return out;
}

// ---- compare ------------------------------------------------------------------------------------

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** What changed from `lhs` to `rhs`, as field sets (structured-merge-diff's Compare). */
export function compareTyped(lhs: unknown, rhs: unknown, s: Schema): Comparison {
  const result: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  compareAt(lhs, rhs, s, [], result);
  for (const set of [result.added, result.modified, result.removed]) {
    set.member = false;
    set.prune();
  }
  return result;
}

function compareAt(lhs: unknown, rhs: unknown, s: Schema, path: PathElement[], result: Comparison): void {
  // The same value on both sides (an unchanged subtree a write kept): nothing to find in it.
  if (lhs === rhs) return;
  const wl = walkOf(lhs, s);
  const wr = walkOf(rhs, s);
  if (wl.kind !== wr.kind || wl.kind === 'leaf') {
    if (!deepEqual(lhs, rhs)) changedShape(lhs, rhs, s, path, result);
    return;
  }
  if (wl.kind === 'fields') {
    const l = lhs as Record<string, unknown>;
    const r = rhs as Record<string, unknown>;
    const keys = new Set([...Object.keys(l), ...Object.keys(r)]);
    for (const key of keys) {
      const inL = Object.hasOwn(l, key);
      const inR = Object.hasOwn(r, key);
      if (inL && inR && l[key] === r[key]) continue;
      const p = [...path, fieldElement(key)];
      const cs = childSchema(s, key);
      if (!inL) subtree(r[key], cs, p, result.added, true, 'added');
      else if (!inR) subtree(l[key], cs, p, result.removed, true, 'removed');
      else compareAt(l[key], r[key], cs, p, result);
    }
    return;
  }
  const left = indexList(lhs as unknown[], s, path, false);
  const right = indexList(rhs as unknown[], s, path, false);
  if (!left || !right) {
    if (!deepEqual(lhs, rhs)) result.modified.insert(path);
    return;
  }
  const itemS = itemSchema(s);
  for (const pe of new Set([...left.order, ...right.order])) {
    const p = [...path, pe];
    if (!left.items.has(pe)) subtree(right.items.get(pe), itemS, p, result.added, true, 'added');
    else if (!right.items.has(pe)) subtree(left.items.get(pe), itemS, p, result.removed, true, 'removed');
    else compareAt(left.items.get(pe), right.items.get(pe), itemS, p, result);
  }
}

/** A value whose shape changed (e.g. a map became null): modified here, children come and go. */
function changedShape(lhs: unknown, rhs: unknown, s: Schema, path: PathElement[], result: Comparison): void {
  if (path.length > 0) result.modified.insert(path);
  subtree(lhs, s, path, result.removed, false, 'removed');
  subtree(rhs, s, path, result.added, false, 'added');
}

/**
 * Put every path of a value that appeared or disappeared into `set`. Like Kubernetes' own
 * managedFields, an added struct or list field is not itself recorded (its leaves and items are),
 * while added maps and list items are (the `".": {}` entries).
 */
function subtree(
  value: unknown,
  s: Schema,
  path: PathElement[],
  set: FieldSet,
  self: boolean,
  why: 'added' | 'removed',
): void {
  const walk = walkOf(value, s);
  const record = (yes: boolean) => {
    if (self && yes && path.length > 0) set.insert(path);
  };
  if (walk.kind === 'fields') {
    const obj = value as Record<string, unknown>;
    const empty = Object.keys(obj).length === 0;
    record(why === 'removed' || !walk.struct || empty || isListItem(path));
    for (const [key, child] of Object.entries(obj)) {
      subtree(child, childSchema(s, key), [...path, fieldElement(key)], set, true, why);
    }
    return;
  }
  if (isList(walk.kind)) {
    const indexed = indexList(value as unknown[], s, path, false);
    if (!indexed) {
      record(true);
      return;
    }
    record(why === 'removed');
    for (const pe of indexed.order)
      subtree(indexed.items.get(pe), itemSchema(s), [...path, pe], set, true, why);
    return;
  }
  record(true);
}

function isListItem(path: PathElement[]): boolean {
  const last = path[path.length - 1];
  return last !== undefined && !last.startsWith('f:');
}

// ---- remove -------------------------------------------------------------------------------------

const GONE = Symbol('gone');

/**
 * Remove the members of `remove` from a value (a member removes its whole subtree), except struct
 * fields under which `keep` still owns something. Maps and lists emptied by the removal
 * disappear; structs stay (as Go's encoding of Kubernetes objects keeps them).
 */
export function removeItems(value: unknown, s: Schema, remove: FieldSet, keep?: FieldSet): unknown {
  const out = removeAt(value, s, remove, keep);
  return out === GONE ? undefined : out;
}

function removeAt(value: unknown, s: Schema, remove: FieldSet, keep: FieldSet | undefined): unknown {
  const walk = walkOf(value, s);
  if (walk.kind === 'fields') {
    const obj = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    let removedAny = false;
    for (const [key, child] of Object.entries(obj)) {
      const pe = fieldElement(key);
      const sub = remove.child(pe);
      if (!sub) {
        put(out, key, child);
        continue;
      }
      const keepSub = keep?.child(pe);
      const keptBelow = walk.struct && isDeclaredField(s, key) && keepSub !== undefined && !keepSub.isEmpty();
      if (sub.member && !keptBelow) {
        removedAny = true;
        continue;
      }
      const next = removeAt(child, childSchema(s, key), sub, keepSub);
      if (next === GONE) removedAny = true;
      else put(out, key, next);
    }
    if (removedAny && Object.keys(out).length === 0 && !walk.struct) return GONE;
    return out;
  }
  if (isList(walk.kind)) {
    const indexed = indexList(value as unknown[], s, [], false);
    if (!indexed) return value;
    const out: unknown[] = [];
    let removedAny = false;
    for (const pe of indexed.order) {
      const item = indexed.items.get(pe);
      const sub = remove.child(pe);
      if (!sub) {
        out.push(item);
        continue;
      }
      if (sub.member) {
        removedAny = true;
        continue;
      }
      const next = removeAt(item, itemSchema(s), sub, keep?.child(pe));
      if (next === GONE) removedAny = true;
      else out.push(next);
    }
    if (removedAny && out.length === 0) return GONE;
    return out;
  }
  return value;
}
