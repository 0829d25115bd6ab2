/**
 * Strategic merge patch (`application/strategic-merge-patch+json`), what `kubectl apply`
 * (client-side), `kubectl edit` and `kubectl patch` send for built-in kinds. The schema decides
 * how each field merges:
 *
 * - maps and structs merge key by key; `null` deletes a key;
 * - lists whose patch strategy is `merge` merge by their merge key (lists of objects) or as a set
 *   (lists of scalars); all other lists are replaced;
 * - directives: `$patch: replace | delete` on a map (and `merge`, which is the default),
 *   `{"$patch": "delete", <key>: ...}` and `{"$patch": "replace"}` items in a merged list,
 *   `$retainKeys`, `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>`.
 *
 * The result follows k8s.io/apimachinery's strategicpatch, including where merged items land:
 * items named in the patch take the patch's order (or `$setElementOrder`'s), items only on the
 * server keep theirs, and the two are interleaved by the server's order. Directives never leak
 * into the result. Malformed patches are 400s (Kubernetes answers some of them with a 500).
 */
import { errors } from '../../api/errors.js';
import { deepClone, goFormat, isPlainObject, put } from '../../api/json-value.js';
import { patchRejected } from './json-patch.js';
import { parseJsonObject } from './parse.js';
import { childSchema, itemSchema, patchMeta, type Schema } from './schema-walk.js';

type Obj = Record<string, unknown>;

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';
const SET_ELEMENT_ORDER = '$setElementOrder/';

export function applyStrategicMergePatch(doc: Obj, body: string, schema: Schema): Obj {
  const patch = parseJsonObject(body, 'error decoding patch');
  return strategicMerge(doc, patch, schema);
}

/** Merge `patch` into a copy of `original`. Neither input is modified. */
export function strategicMerge(original: Obj, patch: Obj, schema: Schema): Obj {
  return mergeMap(deepClone(original), patch, schema);
}

// ---- errors, worded as k8s.io/apimachinery/pkg/util/mergepatch words them ----------------------

const bad = (message: string) => errors.badRequest(message);
const noMergeKey = (m: unknown, key: string) =>
  bad(`map: ${goFormat(m)} does not contain declared merge key: ${key}`);
const badPatchType = (t: unknown, m: unknown) =>
  bad(`unknown patch type: ${goFormat(t)} in map: ${goFormat(m)}`);
const badRetainKeys = () => bad('invalid patch format of retainKeys');
const badSetElementOrder = () => bad('invalid patch format of setElementOrder list');
const badPrimitiveList = () => bad('invalid patch format of primitive list');

// ---- maps ---------------------------------------------------------------------------------------

/** Merge `patch` into `orig`, which this function owns and may change. */
function mergeMap(orig: Obj, patchIn: Obj, s: Schema): Obj {
  let patch = patchIn;
  if (Object.hasOwn(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === 'delete') return {};
    if (directive === 'replace') return mergeMap({}, without(patch, DIRECTIVE), s);
    if (directive !== 'merge') throw badPatchType(directive, patch);
    patch = without(patch, DIRECTIVE);
  }
  const pending = new Map(Object.entries(patch));
  applyRetainKeys(orig, pending);
  applySetElementOrder(orig, pending, s);

  const deletions: [string, unknown][] = [];
  for (const [key, value] of pending) {
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) deletions.push([key, value]);
    else mergeField(orig, key, value, s);
  }
  for (const [key, value] of deletions)
    deleteFromPrimitiveList(orig, key.slice(DELETE_FROM_PRIMITIVE_LIST.length), value);
  return orig;
}

function mergeField(orig: Obj, key: string, value: unknown, s: Schema): void {
  const cs = childSchema(s, key);
  if (value === null) {
    delete orig[key];
    return;
  }
  const current = Object.hasOwn(orig, key) ? orig[key] : undefined;
  if (current === undefined || kindOf(current) !== kindOf(value)) {
    setOrDelete(orig, key, cleanNew(value, cs, false));
    return;
  }
  if (isPlainObject(value)) {
    if (patchMeta(cs).strategy === 'replace') setOrDelete(orig, key, cleanNew(value, cs, false));
    else put(orig, key, mergeMap(current as Obj, value, cs));
  } else if (Array.isArray(value)) {
    put(orig, key, mergeList(current as unknown[], value, cs));
  } else {
    put(orig, key, value);
  }
}

function setOrDelete(orig: Obj, key: string, value: unknown): void {
  if (value === undefined) delete orig[key];
  else put(orig, key, value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function without(obj: Obj, key: string): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(obj)) if (k !== key) put(out, k, v);
  return out;
}

/**
 * A value that is new to the object, with its directives resolved: a map marked `$patch: delete`
 * disappears (undefined), other directives are applied against nothing, nulls are dropped.
 * List items carrying any `$patch` are dropped, as Kubernetes' removeDirectives does.
 */
function cleanNew(value: unknown, s: Schema, inList: boolean): unknown {
  if (Array.isArray(value)) return cleanList(value, itemSchema(s));
  if (!isPlainObject(value)) return value;
  if (Object.hasOwn(value, DIRECTIVE)) {
    const directive = value[DIRECTIVE];
    if (directive !== 'delete' && directive !== 'replace' && directive !== 'merge')
      throw badPatchType(directive, value);
    if (inList || directive === 'delete') return undefined;
    return mergeMap({}, without(value, DIRECTIVE), s);
  }
  return mergeMap({}, value, s);
}

function cleanList(list: unknown[], itemS: Schema): unknown[] {
  const out: unknown[] = [];
  for (const item of list) {
    const cleaned = cleanNew(item, itemS, true);
    if (cleaned !== undefined) out.push(cleaned);
  }
  return out;
}

// ---- directives on maps -----------------------------------------------------------------------

/** `$retainKeys`: keys of the original not listed are cleared; the patch may set only listed keys. */
function applyRetainKeys(orig: Obj, pending: Map<string, unknown>): void {
  if (!pending.has(RETAIN_KEYS)) return;
  const list = pending.get(RETAIN_KEYS);
  pending.delete(RETAIN_KEYS);
  if (!Array.isArray(list)) throw badRetainKeys();
  const keep = new Set(list);
  for (const [key, value] of pending) {
    if (value === null || key.startsWith(DELETE_FROM_PRIMITIVE_LIST) || key.startsWith(SET_ELEMENT_ORDER))
      continue;
    if (!keep.has(key)) throw badRetainKeys();
  }
  for (const key of Object.keys(orig)) if (!keep.has(key)) delete orig[key];
}

/**
 * `$setElementOrder/<field>`: merge the field's list (if the patch has one), then order the items
 * named in the directive as it says, interleaving the server-only items by the server's order.
 */
function applySetElementOrder(orig: Obj, pending: Map<string, unknown>, s: Schema): void {
  for (const [directiveKey, order] of [...pending]) {
    if (!directiveKey.startsWith(SET_ELEMENT_ORDER)) continue;
    pending.delete(directiveKey);
    if (!Array.isArray(order)) throw badSetElementOrder();
    const field = directiveKey.slice(SET_ELEMENT_ORDER.length);
    const cs = childSchema(s, field);
    const { strategy, mergeKey } = patchMeta(cs);
    if (strategy !== 'merge') continue; // only merged lists have an order to keep
    const hasOrig = Object.hasOwn(orig, field);
    const hasPatch = pending.has(field);
    const origList = hasOrig ? orig[field] : [];
    const patchList = hasPatch ? pending.get(field) : [];
    if (!Array.isArray(origList))
      throw bad(`expected a []interface {}, but received a ${goFormat(origList)}`);
    if (!Array.isArray(patchList))
      throw bad(`expected a []interface {}, but received a ${goFormat(patchList)}`);
    validateAgainstOrder(patchList, order, mergeKey);

    let merged: unknown[];
    if (hasOrig && hasPatch) merged = mergeList(origList, patchList, cs);
    else if (hasPatch) merged = cleanList(patchList, itemSchema(cs));
    else if (hasOrig) merged = origList;
    else continue;
    pending.delete(field);
    if (origList.length === 0 && patchList.length === 0) {
      put(orig, field, merged);
      continue;
    }
    const kind = elementKind(origList, patchList);
    if (kind === 'map' && !mergeKey) throw bad('cannot merge lists without merge key for type struct');
    put(orig, field, normalizeOrder(merged, order, origList, kind === 'map' ? mergeKey : ''));
  }
}

/** The patch's items must appear in the directive, in the same relative order. */
function validateAgainstOrder(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  let items = patchList;
  if (mergeKey) {
    for (const item of patchList) {
      if (!isPlainObject(item))
        throw bad(`expected a map[string]interface {}, but received a ${goFormat(item)}`);
    }
    items = patchList.filter((item) => (item as Obj)[DIRECTIVE] !== 'delete');
  }
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    const item = items[p];
    if (isPlainObject(item) && Object.hasOwn(item, DIRECTIVE)) {
      p++;
      continue;
    }
    if (sameEntry(item, order[o], mergeKey)) p++;
    o++;
  }
  if (p < items.length && o >= order.length) {
    throw bad(
      `The order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER.slice(0, -1)} list:\n${goFormat(order)}\n`,
    );
  }
}

function sameEntry(a: unknown, b: unknown, mergeKey: string): boolean {
  if (!mergeKey) return a === b;
  if (!isPlainObject(a)) throw bad(`expected a map[string]interface {}, but received a ${goFormat(a)}`);
  if (!isPlainObject(b)) throw bad(`expected a map[string]interface {}, but received a ${goFormat(b)}`);
  if (!Object.hasOwn(a, mergeKey)) throw noMergeKey(a, mergeKey);
  if (!Object.hasOwn(b, mergeKey)) throw noMergeKey(b, mergeKey);
  return a[mergeKey] === b[mergeKey];
}

/** `$deleteFromPrimitiveList/<field>: [values]` removes those values from a list of scalars. */
function deleteFromPrimitiveList(orig: Obj, field: string, values: unknown): void {
  if (!Array.isArray(values)) throw badPrimitiveList();
  const current = Object.hasOwn(orig, field) ? orig[field] : undefined;
  if (!Array.isArray(current)) return;
  put(
    orig,
    field,
    current.filter((item) => !values.some((v) => v === item)),
  );
}

// ---- lists --------------------------------------------------------------------------------------

function mergeList(orig: unknown[], patch: unknown[], s: Schema): unknown[] {
  const { strategy, mergeKey } = patchMeta(s);
  const itemS = itemSchema(s);
  if (strategy !== 'merge') return cleanList(patch, itemS);
  if (orig.length === 0 && patch.length === 0) return orig;
  const kind = elementKind(orig, patch);
  if (kind === 'scalar') {
    return normalizeOrder(dedupe([...orig, ...patch]), patch, orig, '');
  }
  if (!mergeKey) throw bad('cannot merge lists without merge key for type struct');
  const [base, items] = resolveSpecialItems(orig as Obj[], patch as Obj[], mergeKey, itemS);
  const merged: unknown[] = [...base];
  for (const item of items) {
    if (!Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
    const at = merged.findIndex((m) => matches(m, mergeKey, item[mergeKey]));
    if (at >= 0) {
      merged[at] = mergeMap(merged[at] as Obj, item, itemS);
    } else {
      const added = cleanNew(item, itemS, false);
      if (added !== undefined) merged.push(added);
    }
  }
  return normalizeOrder(merged, items, base, mergeKey);
}

function matches(item: unknown, mergeKey: string, value: unknown): boolean {
  return isPlainObject(item) && Object.hasOwn(item, mergeKey) && item[mergeKey] === value;
}

/**
 * Handle `{"$patch": "delete", key: v}` (drop the matching items) and `{"$patch": "replace"}`
 * (the patch's other items become the whole list). Returns the base list and the items to merge.
 */
function resolveSpecialItems(orig: Obj[], patch: Obj[], mergeKey: string, itemS: Schema): [unknown[], Obj[]] {
  let base: unknown[] = orig;
  const items: Obj[] = [];
  let replace = false;
  for (const item of patch) {
    if (!Object.hasOwn(item, DIRECTIVE)) {
      items.push(item);
      continue;
    }
    switch (item[DIRECTIVE]) {
      case 'delete':
        if (!Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
        base = base.filter((m) => !matches(m, mergeKey, item[mergeKey]));
        break;
      case 'replace':
        replace = true;
        break;
      case 'merge':
        throw bad('merging lists cannot yet be specified in the patch');
      default:
        throw badPatchType(item[DIRECTIVE], item);
    }
  }
  if (replace) return [cleanList(items, itemS), []];
  return [base, items];
}

/** 'map' or 'scalar': all items must be alike, and lists of lists are not supported. */
function elementKind(...lists: unknown[][]): 'map' | 'scalar' {
  let seen: string | undefined;
  for (const list of lists) {
    for (const item of list) {
      if (Array.isArray(item)) throw patchRejected('lists of lists are not supported');
      const kind = isPlainObject(item) ? 'map' : kindOf(item);
      if (seen !== undefined && seen !== kind)
        throw bad(`list element types are not identical: ${goFormat(lists)}`);
      seen = kind;
    }
  }
  return seen === 'map' ? 'map' : 'scalar';
}

function dedupe(list: unknown[]): unknown[] {
  const seen = new Set<unknown>();
  return list.filter((item) => {
    if (seen.has(item)) return false;
    seen.add(item);
    return true;
  });
}

/**
 * Order a merged list: items named in `patchOrder` follow it; the others keep `serverOrder`; the
 * server-only items are then interleaved before any patch item that comes later on the server.
 */
function normalizeOrder(
  merged: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string,
): unknown[] {
  const id = (item: unknown): unknown => {
    if (!mergeKey) return item;
    if (!isPlainObject(item) || !Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
    return item[mergeKey];
  };
  const positions = (list: unknown[]) => {
    const at = new Map<unknown, number>();
    list.forEach((item, i) => {
      const key = id(item);
      if (!at.has(key)) at.set(key, i);
    });
    return at;
  };
  const inPatch = positions(patchOrder);
  const onServer = positions(serverOrder);
  const byPosition = (at: Map<unknown, number>) => (a: unknown, b: unknown) => {
    const i = at.get(id(a));
    const j = at.get(id(b));
    return i !== undefined && j !== undefined ? i - j : 0;
  };
  const patchItems = merged.filter((item) => inPatch.has(id(item))).sort(byPosition(inPatch));
  const serverOnly = merged.filter((item) => !inPatch.has(id(item))).sort(byPosition(onServer));

  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < patchItems.length) {
    if (i >= serverOnly.length) out.push(patchItems[j++]);
    else if (j >= patchItems.length) out.push(serverOnly[i++]);
    else {
      const left = onServer.get(id(serverOnly[i]));
      const right = onServer.get(id(patchItems[j]));
      if (left !== undefined && right !== undefined && left < right) out.push(serverOnly[i++]);
      else out.push(patchItems[j++]);
    }
  }
  return out;
}
