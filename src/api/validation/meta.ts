/**
 * ObjectMeta and the pieces of metadata every kind shares: names, namespaces, labels,
 * annotations, owner references, finalizers, label selectors, and the metadata rules on update.
 * Follows apimachinery's api/validation/objectmeta.go and core's additions to it.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { type FieldError, field } from '../errors.js';
import { selectorMatches as labelSelectorMatches, SelectorError } from '../labels.js';
import { isPlainObject } from '../object.js';
import { isDNS1123Label, isQualifiedName, isValidLabelValue, type NameFn } from './names.js';
import { arr, check, child, index, isSet, type Obj, rec, semanticEqual, str } from './util.js';

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export function validateLabelName(name: string, path: string): FieldError[] {
  return check(name, path, isQualifiedName);
}

/** Label keys and values; errors point at the map (`metadata.labels`), as Kubernetes does. */
export function validateLabels(labels: unknown, path: string): FieldError[] {
  if (!isSet(labels)) return [];
  if (!isPlainObject(labels))
    return [field.invalid(path, labels, 'must be a map of string keys to string values')];
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels)) {
    errs.push(...validateLabelName(k, path));
    if (typeof v !== 'string') {
      errs.push(field.invalid(path, v, 'must be a string'));
      continue;
    }
    errs.push(...check(v, path, isValidLabelValue));
  }
  return errs;
}

export function validateAnnotations(annotations: unknown, path: string): FieldError[] {
  if (!isSet(annotations)) return [];
  if (!isPlainObject(annotations)) {
    return [field.invalid(path, annotations, 'must be a map of string keys to string values')];
  }
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    // The rule is QualifiedName except that case doesn't matter.
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(field.invalid(path, k, m));
    if (typeof v !== 'string') errs.push(field.invalid(path, v, 'must be a string'));
    total += Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : String(v));
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(field.tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

/** Split an apiVersion into group and version, as schema.ParseGroupVersion does. */
function parseGroupVersion(apiVersion: string): { group: string; version: string } | undefined {
  if (apiVersion === '' || apiVersion === '/') return { group: '', version: '' };
  const parts = apiVersion.split('/');
  if (parts.length === 1) return { group: '', version: parts[0]! };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]! };
  return undefined;
}

function validateOwnerReferences(refs: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const raw of arr(refs)) {
    const ref = rec(raw);
    const apiVersion = str(ref.apiVersion);
    const kind = str(ref.kind);
    const gv = parseGroupVersion(apiVersion) ?? { group: '', version: '' };
    if (gv.version === '')
      errs.push(field.invalid(child(path, 'apiVersion'), apiVersion, 'version must not be empty'));
    if (kind === '') errs.push(field.invalid(child(path, 'kind'), kind, 'must not be empty'));
    if (str(ref.name) === '')
      errs.push(field.invalid(child(path, 'name'), str(ref.name), 'must not be empty'));
    if (str(ref.uid) === '') errs.push(field.invalid(child(path, 'uid'), str(ref.uid), 'must not be empty'));
    if (gv.group === '' && gv.version === 'v1' && kind === 'Event') {
      errs.push(field.invalid(path, raw, '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (ref.controller === true) {
      const current = `${kind}/${str(ref.name)}`;
      if (firstController !== '') {
        errs.push(
          field.invalid(
            path,
            refs,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`,
          ),
        );
      } else {
        firstController = current;
      }
    }
  }
  return errs;
}

const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/** A finalizer name: a qualified name, and (core's rule) either standard or domain-prefixed. */
export function validateFinalizerName(name: string, path: string, indexedPath = path): FieldError[] {
  const errs = check(name, path, isQualifiedName);
  if (!name.includes('/') && !STANDARD_FINALIZERS.has(name)) {
    errs.push(
      field.invalid(indexedPath, name, 'name is neither a standard finalizer name nor is it fully qualified'),
    );
  }
  return errs;
}

function validateFinalizers(finalizers: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const list = arr(finalizers);
  list.forEach((f, i) => {
    errs.push(...validateFinalizerName(str(f), path, index(path, i)));
  });
  if (list.includes('orphan') && list.includes('foregroundDeletion')) {
    errs.push(field.invalid(path, list, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

/**
 * Metadata of a new object. The server has already turned generateName into a name, so the name
 * is required; `nameFn` is the kind's name rule.
 */
export function validateObjectMeta(
  meta: unknown,
  namespaced: boolean,
  nameFn: NameFn,
  path = 'metadata',
): FieldError[] {
  const m = rec(meta);
  const errs: FieldError[] = [];
  const generateName = str(m.generateName);
  if (generateName !== '') {
    for (const msg of nameFn(generateName, true))
      errs.push(field.invalid(child(path, 'generateName'), generateName, msg));
  }
  const name = str(m.name);
  if (name === '') errs.push(field.required(child(path, 'name'), 'name or generateName is required'));
  else for (const msg of nameFn(name, false)) errs.push(field.invalid(child(path, 'name'), name, msg));
  errs.push(...validateNamespaceField(m, namespaced, path));
  errs.push(...validateCommonMeta(m, path));
  return errs;
}

function validateNamespaceField(m: Obj, namespaced: boolean, path: string): FieldError[] {
  const ns = str(m.namespace);
  if (namespaced) {
    if (ns === '') return [field.required(child(path, 'namespace'), '')];
    return isDNS1123Label(ns).map((msg) => field.invalid(child(path, 'namespace'), ns, msg));
  }
  return ns !== '' ? [field.forbidden(child(path, 'namespace'), 'not allowed on this type')] : [];
}

function validateCommonMeta(m: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof m.generation === 'number' && m.generation < 0) {
    errs.push(field.invalid(child(path, 'generation'), m.generation, 'must be greater than or equal to 0'));
  }
  errs.push(...validateLabels(m.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(m.annotations, child(path, 'annotations')));
  errs.push(...validateOwnerReferences(m.ownerReferences, child(path, 'ownerReferences')));
  errs.push(...validateFinalizers(m.finalizers, child(path, 'finalizers')));
  return errs;
}

/**
 * Metadata rules on update: identity fields may not change, finalizers may not be added to an
 * object being deleted, and labels/annotations/owners/finalizers must still be well formed.
 * Fields the server fills itself (uid, creationTimestamp) only count when the client set them.
 */
export function validateObjectMetaUpdate(meta: unknown, oldMeta: unknown, path = 'metadata'): FieldError[] {
  const m = rec(meta);
  const old = rec(oldMeta);
  const errs: FieldError[] = [];
  if (isSet(old.deletionTimestamp)) {
    const oldSet = new Set(arr(old.finalizers));
    const added = [...new Set(arr<string>(m.finalizers).filter((f) => !oldSet.has(f)))].sort();
    if (added.length > 0) {
      errs.push(
        field.forbidden(
          child(path, 'finalizers'),
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added
            .map((f) => JSON.stringify(f))
            .join(', ')}}`,
        ),
      );
    }
  }
  const immutableIfSet = (name: string, always: boolean) => {
    const nv = m[name];
    const ov = old[name];
    if (!always && !isSet(nv)) return;
    if (!semanticEqual(nv, ov)) errs.push(field.invalid(child(path, name), nv ?? '', 'field is immutable'));
  };
  immutableIfSet('name', true);
  immutableIfSet('namespace', true);
  immutableIfSet('uid', false);
  immutableIfSet('creationTimestamp', false);
  immutableIfSet('deletionTimestamp', false);
  immutableIfSet('deletionGracePeriodSeconds', false);
  errs.push(...validateCommonMeta(m, path));
  return errs;
}

// ---- label selectors ----------------------------------------------------------------------------

/** metav1 LabelSelector: matchLabels and matchExpressions, strictly (label values must be valid). */
export function validateLabelSelector(selector: unknown, path: string): FieldError[] {
  if (!isSet(selector)) return [];
  const sel = rec(selector);
  const errs: FieldError[] = [];
  arr(sel.matchExpressions).forEach((raw, i) => {
    const p = index(child(path, 'matchExpressions'), i);
    const req = rec(raw);
    const op = str(req.operator);
    const values = arr(req.values);
    switch (op) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) {
          errs.push(
            field.required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"),
          );
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) {
          errs.push(
            field.forbidden(
              child(p, 'values'),
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        }
        break;
      default:
        errs.push(field.invalid(child(p, 'operator'), req.operator ?? '', 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(str(req.key), child(p, 'key')));
    values.forEach((v, j) => {
      for (const m of isValidLabelValue(str(v))) errs.push(field.invalid(index(child(p, 'values'), j), v, m));
    });
  });
  errs.push(...validateLabels(sel.matchLabels, child(path, 'matchLabels')));
  return errs;
}

/** Whether a selector has no requirements at all (which matches everything). */
export function isEmptySelector(selector: unknown): boolean {
  const sel = rec(selector);
  return Object.keys(rec(sel.matchLabels)).length === 0 && arr(sel.matchExpressions).length === 0;
}

/**
 * Whether `labels` satisfy a LabelSelector. A missing selector matches nothing, an empty one
 * everything (metav1.LabelSelectorAsSelector). The object is not validated yet, so fields of the
 * wrong type read as empty, and a selector labels.ts cannot compile (a bad operator) matches nothing.
 */
export function selectorMatches(selector: unknown, labels: unknown): boolean {
  if (!isSet(selector)) return false;
  const sel = rec(selector);
  const typed: LabelSelector = {
    matchLabels: rec(sel.matchLabels) as Record<string, string>,
    matchExpressions: arr(sel.matchExpressions).map((raw) => {
      const req = rec(raw);
      return { key: str(req.key), operator: str(req.operator), values: arr<string>(req.values) };
    }),
  };
  try {
    return labelSelectorMatches(typed, rec(labels) as Record<string, string>);
  } catch (err) {
    if (err instanceof SelectorError) return false;
    throw err;
  }
}

/** A selector as labels.Selector.String() prints it: requirements sorted by key, "" when empty. */
export function selectorString(selector: unknown): string {
  if (!isSet(selector)) return '';
  const sel = rec(selector);
  const parts: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(rec(sel.matchLabels))) parts.push([k, `${k}=${str(v)}`]);
  for (const raw of arr(sel.matchExpressions)) {
    const req = rec(raw);
    const k = str(req.key);
    const values = arr(req.values).map(str).sort();
    switch (req.operator) {
      case 'In':
        parts.push([k, `${k} in (${values.join(',')})`]);
        break;
      case 'NotIn':
        parts.push([k, `${k} notin (${values.join(',')})`]);
        break;
      case 'Exists':
        parts.push([k, k]);
        break;
      case 'DoesNotExist':
        parts.push([k, `!${k}`]);
        break;
      default:
        return '<error>';
    }
  }
  parts.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return parts.map(([, p]) => p).join(',');
}

/** metav1.FormatLabelSelector: "app=web,tier in (a,b)", "<none>" for a missing or empty selector. */
export function formatLabelSelector(selector: unknown): string {
  return selectorString(selector) || '<none>';
}
