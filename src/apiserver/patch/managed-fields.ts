/**
 * `metadata.managedFields`: who owns which fields. Entries are decoded into FieldSets per manager
 * identity (manager, operation, apiVersion for updaters, subresource), changed by creates,
 * updates and patches (`updateManagedFields`, operation Update) and by server-side apply
 * (apply.ts, operation Apply), then encoded back sorted as Kubernetes sorts them.
 *
 * Follows k8s.io/apimachinery/pkg/util/managedfields: updaters own the fields they change and take
 * them from everyone else; removed fields leave every set; `managedFields: []` or `[{}]` in a
 * request resets them; managedFields a client leaves out, or garbles, are kept from the stored
 * object; an existing object without managedFields is not tracked until applied to; system
 * metadata (name, uid, resourceVersion, ...) is never owned; at most 10 Update entries are kept,
 * older ones folding into "ancient-changes".
 */

import { deepClone, isPlainObject } from '../../api/json-value.js';
import type { KubeObject } from '../../api/object.js';
import type { SchemaNode } from '../../api/schema/navigator.js';
import { formatTime } from '../../api/time.js';
import { FieldSet, type Path } from './fieldset.js';
import { compareTyped } from './typed.js';

export type Operation = 'Apply' | 'Update';

export interface ManagerEntry {
  manager: string;
  operation: Operation;
  apiVersion: string;
  subresource?: string;
  /** RFC 3339, seconds precision. */
  time?: string;
  fields: FieldSet;
}

/** Managers by identity. */
export type Managers = Map<string, ManagerEntry>;

/** Kubernetes' DefaultMaxUpdateManagers. */
export const MAX_UPDATE_MANAGERS = 10;
const ANCIENT_CHANGES = 'ancient-changes';
export const BEFORE_FIRST_APPLY = 'before-first-apply';

/** Which writes a request makes: the main resource or a subresource, and whether status is split off. */
export interface Scope {
  subresource?: string;
  /** The kind has a /status subresource, so writes to the main resource do not own status. */
  hasStatusSubresource?: boolean;
}

/** The identity two entries share when they are the same manager (BuildManagerIdentifier). */
export function identity(
  e: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>,
): string {
  return JSON.stringify([
    e.manager,
    e.operation,
    e.operation === 'Apply' ? '' : e.apiVersion,
    e.subresource ?? '',
  ]);
}

/**
 * The manager name for a request: `fieldManager` when given, else the user agent up to its first
 * "/" (kubectl/v1.32.0 ... → "kubectl"), printable characters only, at most 128 bytes.
 */
export function managerOrUserAgent(fieldManager: string | undefined, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  const agent = userAgent ?? '';
  let manager = managersByUserAgent.get(agent);
  if (manager === undefined) {
    // A client sends the same user agent on every request: clean it once, not once per write.
    if (managersByUserAgent.size >= MAX_REMEMBERED_USER_AGENTS) managersByUserAgent.clear();
    manager = managerFromUserAgent(agent);
    managersByUserAgent.set(agent, manager);
  }
  return manager;
}

const MAX_REMEMBERED_USER_AGENTS = 256;
const managersByUserAgent = new Map<string, string>();

function managerFromUserAgent(userAgent: string): string {
  const prefix = userAgent.split('/')[0] ?? '';
  let out = '';
  for (const ch of prefix) {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) continue;
    if (Buffer.byteLength(out + ch) > 128) break;
    out += ch;
  }
  return out;
}

// ---- decode / encode ----------------------------------------------------------------------------

export function isResetManagedFields(list: unknown): boolean {
  if (!Array.isArray(list)) return false;
  if (list.length === 0) return true;
  return list.length === 1 && isPlainObject(list[0]) && Object.keys(list[0]).length === 0;
}

/**
 * The FieldsV1 a set was decoded from, for sets decoded from a stored object: a write changes a
 * manager's set by making a new one, so a set still found here at encoding time is unchanged and
 * is written back as it was read instead of being encoded again (status writes leave every other
 * manager's set alone, and encoding them was a tenth of a status write).
 */
const storedFieldsV1 = new WeakMap<FieldSet, unknown>();

/**
 * Decode managedFields; throws an Error describing the first malformed entry. `stored`: they come
 * from a stored object (written by this server, so already in canonical form), and unchanged sets
 * may be written back as they are.
 */
export function decodeManagedFields(list: unknown, stored = false): Managers {
  const out: Managers = new Map();
  if (list === undefined || list === null) return out;
  if (!Array.isArray(list)) throw new Error('managedFields must be a list');
  for (const [i, raw] of list.entries()) {
    if (!isPlainObject(raw)) throw new Error(`managed fields entry ${i} is not an object`);
    const { manager, operation, apiVersion, subresource, time, fieldsType, fieldsV1 } = raw;
    if (operation !== 'Apply' && operation !== 'Update')
      throw new Error('operation must be `Apply` or `Update`');
    if (typeof apiVersion !== 'string' || apiVersion === '') throw new Error('apiVersion must not be empty');
    if (fieldsType === undefined || fieldsType === '')
      throw new Error(`missing fieldsType in managed fields entry ${i}`);
    if (fieldsType !== 'FieldsV1')
      throw new Error(`invalid fieldsType ${JSON.stringify(fieldsType)} in managed fields entry ${i}`);
    if (manager !== undefined && typeof manager !== 'string')
      throw new Error(`invalid manager in managed fields entry ${i}`);
    if (subresource !== undefined && typeof subresource !== 'string')
      throw new Error(`invalid subresource in entry ${i}`);
    if (time !== undefined && time !== null && (typeof time !== 'string' || Number.isNaN(Date.parse(time)))) {
      throw new Error(`invalid time in managed fields entry ${i}`);
    }
    const entry: ManagerEntry = {
      manager: manager ?? '',
      operation,
      apiVersion,
      fields: fieldsV1 === undefined || fieldsV1 === null ? new FieldSet() : FieldSet.fromFieldsV1(fieldsV1),
    };
    if (stored && isPlainObject(fieldsV1)) storedFieldsV1.set(entry.fields, fieldsV1);
    if (subresource) entry.subresource = subresource;
    if (typeof time === 'string') entry.time = time;
    out.set(identity(entry), entry);
  }
  return out;
}

/** Decode a stored object's managedFields, treating anything malformed as no managers at all. */
export function decodeOrEmpty(list: unknown): Managers {
  try {
    return decodeManagedFields(list, true);
  } catch {
    return new Map();
  }
}

function seconds(time: string | undefined): number {
  return time ? Math.floor(Date.parse(time) / 1000) : 0;
}

export function encodeManagedFields(managers: Managers): Record<string, unknown>[] {
  const entries = [...managers.values()].filter((e) => !e.fields.isEmpty());
  entries.sort(
    (p, q) =>
      cmp(p.operation, q.operation) ||
      seconds(p.time) - seconds(q.time) ||
      cmp(p.manager, q.manager) ||
      cmp(p.apiVersion, q.apiVersion) ||
      cmp(p.subresource ?? '', q.subresource ?? ''),
  );
  return entries.map((e) => {
    const out: Record<string, unknown> = {
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
    };
    if (e.time) out.time = e.time;
    out.fieldsType = 'FieldsV1';
    out.fieldsV1 = storedFieldsV1.get(e.fields) ?? e.fields.toFieldsV1();
    if (e.subresource) out.subresource = e.subresource;
    return out;
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Write managers into obj.metadata.managedFields (removing the key when there are none). */
export function setManagedFields(obj: KubeObject, managers: Managers): void {
  const encoded = encodeManagedFields(capUpdateManagers(managers));
  if (!isPlainObject(obj.metadata)) obj.metadata = {};
  const meta = obj.metadata as Record<string, unknown>;
  if (encoded.length > 0) meta.managedFields = encoded;
  else delete meta.managedFields;
}

/** Fold the oldest Update entries into per-apiVersion "ancient-changes" entries beyond the cap. */
function capUpdateManagers(managers: Managers, max = MAX_UPDATE_MANAGERS): Managers {
  const updaters = [...managers.entries()].filter(([, e]) => e.operation === 'Update' && !e.fields.isEmpty());
  if (updaters.length <= max) return managers;
  const out: Managers = new Map(managers);
  updaters.sort(([ia, a], [ib, b]) => seconds(a.time) - seconds(b.time) || cmp(ia, ib));
  let count = updaters.length;
  for (const [id, entry] of updaters) {
    if (count <= max) break;
    if (entry.manager === ANCIENT_CHANGES) continue;
    const bucketEntry: ManagerEntry = {
      manager: ANCIENT_CHANGES,
      operation: 'Update',
      apiVersion: entry.apiVersion,
      fields: new FieldSet(),
    };
    const bucketId = identity(bucketEntry);
    const bucket = out.get(bucketId);
    out.delete(id);
    if (bucket) {
      out.set(bucketId, {
        ...bucket,
        fields: bucket.fields.union(entry.fields),
        ...(entry.time ? { time: entry.time } : {}),
      });
      count--;
    } else {
      out.set(bucketId, {
        ...bucketEntry,
        fields: entry.fields.clone(),
        ...(entry.time ? { time: entry.time } : {}),
      });
    }
  }
  return out;
}

// ---- which fields count --------------------------------------------------------------------------

/** Paths no manager ever owns (stripMeta). */
const STRIPPED: Path[] = [
  ['f:apiVersion'],
  ['f:kind'],
  ['f:metadata'],
  ['f:metadata', 'f:name'],
  ['f:metadata', 'f:namespace'],
  ['f:metadata', 'f:creationTimestamp'],
  ['f:metadata', 'f:selfLink'],
  ['f:metadata', 'f:uid'],
  ['f:metadata', 'f:clusterName'],
  ['f:metadata', 'f:generation'],
  ['f:metadata', 'f:managedFields'],
  ['f:metadata', 'f:resourceVersion'],
];

/** Keep only the fields a request in `scope` may own. */
export function scoped(set: FieldSet, scope: Scope): FieldSet {
  const out = set.clone();
  for (const path of STRIPPED) {
    const node = out.at(path);
    if (node) node.member = false;
  }
  if (scope.subresource === 'status') {
    for (const pe of [...out.children.keys()]) if (pe !== 'f:status') out.children.delete(pe);
  } else if (scope.hasStatusSubresource && !scope.subresource) {
    out.children.delete('f:status');
  }
  out.prune();
  return out;
}

/** A copy of the object without metadata.managedFields, as the field manager compares objects. */
export function withoutManagedFields(obj: KubeObject | undefined): Record<string, unknown> {
  if (!obj) return {};
  const copy = deepClone(obj) as Record<string, unknown>;
  if (isPlainObject(copy.metadata)) delete copy.metadata.managedFields;
  return copy;
}

// ---- Update ---------------------------------------------------------------------------------------

export interface UpdateContext extends Scope {
  manager: string;
  operation: 'Update';
  apiVersion: string;
  now: () => Date;
  schema: SchemaNode;
}

/**
 * The managers a write starts from: the stored object's, unless the request carries valid
 * managedFields of its own (or resets them with [] / [{}]). Subresource writes always start from
 * the stored object's.
 */
function startingManagers(
  old: KubeObject | undefined,
  updated: KubeObject,
  subresource: string | undefined,
): Managers {
  const fromOld = () => decodeOrEmpty(old?.metadata?.managedFields);
  if (subresource) return fromOld();
  const requested = updated.metadata?.managedFields;
  if (isResetManagedFields(requested)) return new Map();
  try {
    const managers = decodeManagedFields(requested);
    return managers.size > 0 ? managers : fromOld();
  } catch {
    return fromOld();
  }
}

/**
 * `obj` with a metadata object of its own, the rest shared: what a write may change in place
 * without touching its input.
 */
function withOwnMetadata(obj: KubeObject): KubeObject {
  return isPlainObject(obj.metadata) ? { ...obj, metadata: { ...obj.metadata } } : { ...obj };
}

/**
 * The object as the field manager compares it (no metadata.managedFields), sharing everything
 * else with `obj`: the comparison only reads, and skips subtrees both sides share unchanged.
 */
function comparable(obj: KubeObject | undefined): Record<string, unknown> {
  if (!obj) return {};
  const copy = withOwnMetadata(obj) as Record<string, unknown>;
  if (isPlainObject(copy.metadata)) delete copy.metadata.managedFields;
  return copy;
}

/**
 * Record that `ctx.manager` changed `old` into `updated` (a create when `old` is undefined).
 * Returns `updated` with metadata.managedFields brought up to date, in a copy of its top level
 * and metadata (nested values are shared with `updated`, which is left as it was).
 */
export function updateManagedFields(
  old: KubeObject | undefined,
  updated: KubeObject,
  ctx: UpdateContext,
): KubeObject {
  const result = withOwnMetadata(updated);
  const managers = startingManagers(old, updated, ctx.subresource);
  // An existing object nobody tracks stays untracked until someone applies to it.
  if (managers.size === 0 && old !== undefined && old.metadata?.uid) {
    delete (result.metadata as Record<string, unknown>).managedFields;
    return result;
  }
  recordUpdate(managers, comparable(old), comparable(updated), ctx);
  setManagedFields(result, managers);
  return result;
}

/** Apply an Update by `ctx.manager` from `before` to `after` to `managers` (in place). */
export function recordUpdate(
  managers: Managers,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  ctx: Omit<UpdateContext, 'operation'>,
): void {
  const { changed, removed } = changedFields(before, after, ctx.schema, ctx);
  releaseFields(managers, changed, removed);
  if (changed.isEmpty()) return;
  const mine: ManagerEntry = {
    manager: ctx.manager,
    operation: 'Update',
    apiVersion: ctx.apiVersion,
    fields: changed,
  };
  if (ctx.subresource) mine.subresource = ctx.subresource;
  const id = identity(mine);
  const previous = managers.get(id);
  managers.set(id, {
    ...mine,
    fields: previous ? previous.fields.union(changed) : changed,
    time: formatTime(ctx.now()),
  });
}

/** The fields a write from `before` to `after` set (added or modified) and removed, in `scope`. */
export function changedFields(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  schema: SchemaNode,
  scope: Scope,
): { changed: FieldSet; removed: FieldSet } {
  const diff = compareTyped(before, after, schema);
  return { changed: scoped(diff.modified.union(diff.added), scope), removed: scoped(diff.removed, scope) };
}

/**
 * Take `changed` and `removed` from every manager but `except` (in place): the writer owns them
 * now, or they are gone. A manager left with no fields is dropped.
 */
export function releaseFields(
  managers: Managers,
  changed: FieldSet,
  removed: FieldSet,
  except?: string,
): void {
  for (const [id, entry] of managers) {
    if (id === except) continue;
    // A write changes a few fields (a binding: spec.nodeName and a condition): a manager that
    // owns none of them keeps its set as it is, without copying it twice to find that out.
    if (!entry.fields.isEmpty() && !entry.fields.intersects(changed) && !entry.fields.intersects(removed))
      continue;
    const fields = entry.fields.difference(changed).difference(removed);
    if (fields.isEmpty()) managers.delete(id);
    else if (!fields.equals(entry.fields)) managers.set(id, { ...entry, fields });
  }
}
