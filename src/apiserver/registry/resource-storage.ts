/**
 * The generic REST storage behind every kind: turns API verbs into store transactions with
 * Kubernetes semantics (metadata the server owns, generation, the spec/status split, optimistic
 * concurrency on resourceVersion, graceful deletion and finalizers, dry runs).
 */
import { randomUUID } from 'node:crypto';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { errors, type FieldError, fromStoreError, type Target } from '../../api/errors.js';
import { type FieldRequirement, fieldsMatch } from '../../api/fields.js';
import { matches, type Requirement } from '../../api/labels.js';
import { isPlainObject, type KubeList, type KubeObject } from '../../api/object.js';
import { apiVersionOf, lookupResource, type ResourceDef } from '../../api/resources.js';
import { formatTime } from '../../api/time.js';
import { validateDNS1123Subdomain } from '../../api/validation/pod.js';
import { encodeContinue } from '../../store/keys.js';
import { isStoreError, type KeyValue, type Store, type TxnOp } from '../../store/store.js';
import {
  admitDefaultTolerations,
  DEFAULT_TOLERATION_SECONDS,
  type DefaultTolerationSeconds,
} from '../admission/default-tolerations.js';
import { admitPodPriority, type PriorityClasses } from '../admission/priority.js';
import { collectionPrefix, objectKey, resourcePrefix } from './keys.js';
import type { Machinery, PatchRequest } from './machinery.js';
import { ServiceAllocator } from './service-allocator.js';
import { strategyFor } from './strategies.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** What a write tells its caller as it goes. */
export interface WriteProgress {
  /**
   * Called once the write is decided and only the store's commit is left to wait for: the request
   * gives its flow-control seat back, since seats bound work on the server's thread, and the
   * store's group commit should take as many writes as are waiting.
   */
  committing?: () => void;
}

export interface WriteOptions extends WriteProgress {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: FieldValidation;
  /** Fields the request body gave twice (found while decoding). */
  duplicateFields?: string[];
}

export interface WriteResult {
  object: KubeObject;
  /** 201 for a new object, 200 otherwise. */
  created: boolean;
  warnings: string[];
  /**
   * `object` as JSON, made from the stored text (as GET serves it) without parsing it; set when
   * the result is exactly what the store now holds.
   */
  json?: () => string;
}

export interface MutateOptions extends WriteOptions {
  subresource?: 'status';
  /** The resourceVersion the client based its change on; a different one is a conflict. */
  expected?: number;
  /** Create the object when it does not exist (server-side apply). */
  mayCreate?: boolean;
  /**
   * A server-internal write (binding): may change status and fields users cannot. It changes
   * only the fields `validate` checks, in an object defaulted and validated when it was written,
   * so this replaces defaulting and validating the whole object again. Like Kubernetes' binding,
   * which updates the stored pod directly, it leaves managedFields as they were.
   */
  internal?: { validate: (next: KubeObject) => FieldError[] };
  /** `compute` already recorded the change in managedFields (patches do). */
  managedFieldsTracked?: boolean;
}

export interface ListOptions {
  labels?: Requirement[];
  fields?: FieldRequirement[];
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface DeleteOptions extends WriteProgress {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface DeleteResult {
  object: KubeObject;
  /** True when the object is gone; false when it waits for finalizers or graceful termination. */
  deleted: boolean;
}

const MAX_RETRIES = 16;
const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
const NAMESPACE_DEF = lookupResource('', 'v1', 'namespaces')!;
const POD_DEF = lookupResource('', 'v1', 'pods')!;
const PRIORITY_CLASS_DEF = lookupResource('scheduling.k8s.io', 'v1', 'priorityclasses')!;
/** How long a listing of PriorityClasses serves pod admission (see listPriorityClasses). */
const PRIORITY_CLASS_TTL_MS = 2000;

export function decodeObject(kv: KeyValue): KubeObject {
  const obj = JSON.parse(kv.value) as KubeObject;
  obj.metadata.resourceVersion = String(kv.modRevision);
  return obj;
}

/**
 * The result of a write that the store now holds: its object is decoded from the stored JSON only
 * when asked for (a binding answers with a Status, and the scheduler sends one per pod), and an
 * answer in JSON is the stored text with its resourceVersion spliced in.
 */
function stored(kv: KeyValue, created: boolean, warnings: string[]): WriteResult {
  let object: KubeObject | undefined;
  return {
    get object() {
      object ??= decodeObject(kv);
      return object;
    },
    json: () => objectJson(kv),
    created,
    warnings,
  };
}

/**
 * Stored form: JSON with apiVersion, kind and metadata first and no resourceVersion (the store's
 * modRevision is the resourceVersion). The fixed order lets `objectJson` add the
 * resourceVersion to the text without parsing it.
 */
export function encodeObject(obj: KubeObject): string {
  const { apiVersion, kind, metadata, ...rest } = obj;
  return JSON.stringify({ apiVersion, kind, metadata: { ...metadata, resourceVersion: undefined }, ...rest });
}

const METADATA_OPEN = '"metadata":{';

/** The stored JSON with metadata.resourceVersion filled in, by splicing text. */
export function objectJson(kv: KeyValue): string {
  const v = kv.value;
  // apiVersion and kind come first and are plain names, so the first "metadata":{ is the object's.
  const at = v.indexOf(METADATA_OPEN);
  if (!v.startsWith('{"apiVersion":') || at < 0 || at > 256) return JSON.stringify(decodeObject(kv));
  const open = at + METADATA_OPEN.length;
  const rv = `"resourceVersion":"${kv.modRevision}"`;
  return `${v.slice(0, open)}${rv}${v[open] === '}' ? '' : ','}${v.slice(open)}`;
}

function target(def: ResourceDef, name?: string): Target {
  return { group: def.group, resource: def.resource, kind: def.kind, ...(name ? { name } : {}) };
}

function parseResourceVersion(rv: string | undefined, what = 'resourceVersion'): number | undefined {
  if (rv === undefined || rv === '') return undefined;
  if (!/^\d+$/.test(rv)) throw errors.badRequest(`invalid ${what}: "${rv}" is not a number`);
  return Number(rv);
}

/** Everything but metadata and status: a change here is a spec change. */
function specOf(obj: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return JSON.stringify(rest);
}

export class ResourceStorage {
  private readonly services: ServiceAllocator;

  constructor(
    private readonly store: Store,
    private readonly machinery: Machinery,
    private readonly clock: () => Date = () => new Date(),
    allocator?: ServiceAllocator,
    private readonly tolerationSeconds: DefaultTolerationSeconds = DEFAULT_TOLERATION_SECONDS,
  ) {
    this.services = allocator ?? new ServiceAllocator(store);
  }

  /** Store operations that must commit together with a write of `next` (Service addresses and ports). */
  private async companions(def: ResourceDef, next: KubeObject, current?: KubeObject): Promise<TxnOp[]> {
    return def.kind === 'Service' && def.group === '' ? this.services.assign(next, current) : [];
  }

  /** PriorityClasses as the priority admission reads them: straight from the store. */
  private readonly priorityClasses: PriorityClasses = {
    get: async (name) => {
      const kv = await this.store.get(objectKey(PRIORITY_CLASS_DEF, undefined, name));
      return kv ? JSON.parse(kv.value) : undefined;
    },
    list: () => this.listPriorityClasses(),
  };
  /**
   * Every pod created without a priorityClassName needs the classes (is one the global default?):
   * listed from the store per pod, that was a twentieth of the API server's time under a pod
   * storm. Kept for PRIORITY_CLASS_TTL_MS, and dropped whenever this server writes a class, so a
   * class written here applies to the next pod at once; another server's write (shared etcd)
   * within the TTL, as Kubernetes' informer-fed admission within its watch lag.
   */
  private priorityClassCache: { items: Promise<PriorityClass[]>; at: number } | undefined;
  /** PriorityClass writes begun or finished; a listing read across one of them is not kept. */
  private priorityClassWrites = 0;

  private listPriorityClasses(): Promise<PriorityClass[]> {
    const now = this.clock().getTime();
    const cached = this.priorityClassCache;
    if (cached && now - cached.at < PRIORITY_CLASS_TTL_MS) return cached.items;
    const writes = this.priorityClassWrites;
    const items = this.store
      .list(resourcePrefix(PRIORITY_CLASS_DEF))
      .then((r) => r.items.map((kv) => JSON.parse(kv.value) as PriorityClass));
    const entry = { items, at: now };
    this.priorityClassCache = entry;
    const drop = () => {
      if (this.priorityClassCache === entry) this.priorityClassCache = undefined;
    };
    items.then(() => {
      if (writes !== this.priorityClassWrites) drop();
    }, drop);
    return items;
  }

  /** Run a write of `def`; a PriorityClass write drops the kept listing as it begins and ends. */
  private async writing<T>(def: ResourceDef, write: () => Promise<T>): Promise<T> {
    if (def.resource !== PRIORITY_CLASS_DEF.resource || def.group !== PRIORITY_CLASS_DEF.group)
      return write();
    this.priorityClassWrites++;
    this.priorityClassCache = undefined;
    try {
      return await write();
    } finally {
      this.priorityClassWrites++;
      this.priorityClassCache = undefined;
    }
  }

  /** Store operations that must commit together with the removal of `current`. */
  private async releases(def: ResourceDef, current: KubeObject): Promise<TxnOp[]> {
    return def.kind === 'Service' && def.group === '' ? this.services.release(current) : [];
  }

  // ---- reads -----------------------------------------------------------------------------------

  async get(def: ResourceDef, namespace: string | undefined, name: string): Promise<KubeObject> {
    const kv = await this.store.get(objectKey(def, namespace, name));
    if (!kv) throw errors.notFound(target(def, name));
    return decodeObject(kv);
  }

  async list(def: ResourceDef, namespace: string | undefined, options: ListOptions = {}): Promise<KubeList> {
    const page = await this.listEntries(def, namespace, options);
    const list: KubeList = {
      apiVersion: apiVersionOf(def),
      kind: def.listKind,
      metadata: page.metadata,
      items: page.entries.map((e) => e.obj ?? decodeObject(e.kv)),
    };
    return list;
  }

  /**
   * The same list as JSON text, built from the stored JSON without parsing objects that need no
   * filtering: the cheap path for large plain lists.
   */
  async listJson(
    def: ResourceDef,
    namespace: string | undefined,
    options: ListOptions = {},
  ): Promise<string> {
    const page = await this.listEntries(def, namespace, options);
    const items = page.entries.map((e) => (e.obj ? JSON.stringify(e.obj) : objectJson(e.kv)));
    return `{"apiVersion":${JSON.stringify(apiVersionOf(def))},"kind":${JSON.stringify(def.listKind)},"metadata":${JSON.stringify(page.metadata)},"items":[${items.join(',')}]}`;
  }

  /** The stored JSON of one object, resourceVersion included, without parsing it. */
  async getJson(def: ResourceDef, namespace: string | undefined, name: string): Promise<string> {
    const kv = await this.store.get(objectKey(def, namespace, name));
    if (!kv) throw errors.notFound(target(def, name));
    return objectJson(kv);
  }

  private async listEntries(
    def: ResourceDef,
    namespace: string | undefined,
    options: ListOptions,
  ): Promise<{ entries: { kv: KeyValue; obj?: KubeObject }[]; metadata: KubeList['metadata'] }> {
    const prefix = collectionPrefix(def, namespace);
    const filtering = (options.labels?.length ?? 0) > 0 || (options.fields?.length ?? 0) > 0;
    const limit = options.limit && options.limit > 0 ? options.limit : 0;
    let revision: number | undefined;
    const rv = parseResourceVersion(options.resourceVersion);
    if (options.resourceVersionMatch === 'Exact') {
      if (rv === undefined) throw errors.badRequest('resourceVersionMatch=Exact needs a resourceVersion');
      revision = rv;
    } else if (rv !== undefined && rv > 0) {
      const current = await this.store.currentRevision();
      if (rv > current) {
        throw errors.timeout(`Too large resource version: ${rv}, current: ${current}`);
      }
    }
    const entries: { kv: KeyValue; obj?: KubeObject }[] = [];
    let token = options.continue;
    let next: string | undefined;
    let listRevision = 0;
    try {
      for (;;) {
        const page = await this.store.list(prefix, {
          ...(limit ? { limit: filtering ? Math.max(limit, 500) : limit } : {}),
          ...(token ? { continue: token } : {}),
          ...(revision !== undefined && !token ? { revision } : {}),
        });
        listRevision = page.revision;
        let stoppedAt: KeyValue | undefined;
        for (const kv of page.items) {
          if (filtering) {
            const obj = decodeObject(kv);
            if (!this.selects(obj, options)) continue;
            entries.push({ kv, obj });
          } else {
            entries.push({ kv });
          }
          if (limit && entries.length === limit) {
            stoppedAt = kv;
            break;
          }
        }
        if (stoppedAt) {
          const lastOfPage = page.items[page.items.length - 1];
          if (stoppedAt !== lastOfPage || page.continue) {
            next = encodeContinue({ rev: page.revision, key: stoppedAt.key, prefix });
          }
          break;
        }
        if (!page.continue) break;
        token = page.continue;
      }
    } catch (err) {
      if (isStoreError(err, 'Expired') && options.continue) {
        throw errors.gone(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        );
      }
      if (isStoreError(err, 'InvalidArgument') && options.continue) {
        throw errors.badRequest(`invalid continue token: ${(err as Error).message}`);
      }
      throw fromStoreError(err, target(def));
    }
    const metadata: KubeList['metadata'] = { resourceVersion: String(listRevision) };
    if (next) metadata.continue = next;
    return { entries, metadata };
  }

  selects(obj: KubeObject, options: { labels?: Requirement[]; fields?: FieldRequirement[] }): boolean {
    if (options.labels && !matches(options.labels, obj.metadata.labels)) return false;
    if (options.fields && !fieldsMatch(options.fields, obj)) return false;
    return true;
  }

  // ---- create ----------------------------------------------------------------------------------

  /** Writes `body` as a new object; the body is the caller's no more (see checkBody). */
  create(
    def: ResourceDef,
    namespace: string | undefined,
    body: unknown,
    options: WriteOptions & { managedFieldsTracked?: boolean } = {},
  ): Promise<WriteResult> {
    return this.writing(def, () => this.createObject(def, namespace, body, options));
  }

  private async createObject(
    def: ResourceDef,
    namespace: string | undefined,
    body: unknown,
    options: WriteOptions & { managedFieldsTracked?: boolean },
  ): Promise<WriteResult> {
    const warnings: string[] = [];
    const obj = this.checkBody(def, namespace, body, undefined, options, warnings);
    const now = this.clock();
    const meta = obj.metadata;
    if (!meta.name && meta.generateName) meta.name = generateName(meta.generateName);
    if (def.namespaced) meta.namespace = namespace;
    else delete meta.namespace;
    meta.uid = randomUUID();
    meta.creationTimestamp = formatTime(now);
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    if (!options.managedFieldsTracked) delete meta.managedFields;
    const strategy = strategyFor(def);
    if (strategy.generation) meta.generation = 1;
    else delete meta.generation;
    strategy.prepareForCreate(obj);
    if (def.kind === 'Pod' && def.group === '') {
      admitDefaultTolerations(obj, this.tolerationSeconds);
      await admitPodPriority(obj, this.priorityClasses);
    }
    const companions = await this.companions(def, obj);
    this.machinery.applyDefaults(def, obj);
    this.validate(def, obj, undefined);
    if (def.namespaced) await this.checkNamespaceWritable(namespace!);
    const tracked = options.managedFieldsTracked
      ? obj
      : this.machinery.trackUpdate(def, undefined, obj, this.manager(options), now);
    if (options.dryRun) {
      if (await this.store.get(objectKey(def, namespace, meta.name!))) {
        throw errors.alreadyExists(target(def, meta.name!));
      }
      return { object: tracked, created: true, warnings };
    }
    const key = objectKey(def, namespace, meta.name!);
    const value = encodeObject(tracked);
    options.committing?.();
    try {
      if (companions.length === 0) {
        return stored(await this.store.create(key, value), true, warnings);
      }
      const { results } = await this.store.txn([{ op: 'create', key, value }, ...companions]);
      return stored(results[0]!, true, warnings);
    } catch (err) {
      if (isStoreError(err, 'AlreadyExists') && err.key !== key)
        throw this.allocationConflict(def, meta.name!, err.key);
      throw fromStoreError(err, target(def, meta.name!));
    }
  }

  /**
   * Shape checks every write shares: an object of the right kind, fields known to the schema.
   * The body becomes the object written: it is defaulted and trimmed in place, not copied (a
   * request's decoded body, a patch's result), so callers hand over what they pass to
   * create and update.
   */
  private checkBody(
    def: ResourceDef,
    namespace: string | undefined,
    body: unknown,
    name: string | undefined,
    options: WriteOptions,
    warnings: string[],
  ): KubeObject {
    if (!isPlainObject(body)) {
      throw errors.badRequest(`the request body must be a ${def.kind} object`);
    }
    const obj = body as KubeObject;
    const apiVersion = apiVersionOf(def);
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersion) {
      throw errors.badRequest(
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersion})`,
      );
    }
    if (obj.kind !== undefined && obj.kind !== def.kind) {
      throw errors.badRequest(
        `the kind in the data (${String(obj.kind)}) does not match the expected kind (${def.kind})`,
      );
    }
    obj.apiVersion = apiVersion;
    obj.kind = def.kind;
    if (!isPlainObject(obj.metadata)) {
      if (obj.metadata !== undefined) throw errors.badRequest('metadata must be an object');
      obj.metadata = {};
    }
    if (def.namespaced && obj.metadata.namespace && namespace && obj.metadata.namespace !== namespace) {
      throw errors.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    if (name !== undefined && obj.metadata.name !== undefined && obj.metadata.name !== name) {
      throw errors.badRequest(
        `the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    if (name !== undefined) obj.metadata.name = name;
    const mode = options.fieldValidation ?? 'Warn';
    // Fields the schema does not know are never stored; Warn and Strict say which they were.
    const unknown = this.machinery.pruneUnknownFields(def, obj);
    if (mode !== 'Ignore') {
      const problems = [
        ...(options.duplicateFields ?? []).map((f) => `duplicate field "${f}"`),
        ...unknown.map((f) => `unknown field "${f}"`),
      ];
      if (problems.length > 0) {
        if (mode === 'Strict') throw errors.badRequest(`strict decoding error: ${problems.join(', ')}`);
        warnings.push(...problems);
      }
    }
    return obj;
  }

  private validate(def: ResourceDef, obj: KubeObject, old: KubeObject | undefined): void {
    this.check(def, obj, this.machinery.validate(def, obj, old));
  }

  private check(def: ResourceDef, obj: KubeObject, problems: FieldError[]): void {
    if (problems.length > 0) {
      throw errors.invalid({ ...target(def, obj.metadata.name), kind: def.kind }, problems);
    }
  }

  private async checkNamespaceWritable(namespace: string): Promise<void> {
    const kv = await this.store.get(objectKey(NAMESPACE_DEF, undefined, namespace));
    if (!kv) throw errors.notFound({ resource: 'namespaces', name: namespace });
    const ns = JSON.parse(kv.value) as KubeObject;
    if (ns.metadata.deletionTimestamp) {
      throw errors.forbidden(
        { resource: 'namespaces', name: namespace },
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
  }

  private manager(options: WriteOptions): string {
    return options.fieldManager || 'unknown';
  }

  // ---- update and patch ------------------------------------------------------------------------

  /** PUT: replace the object (or, for `subresource: 'status'`, only its status). Takes `body` over. */
  async update(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions & { subresource?: 'status' } = {},
  ): Promise<WriteResult> {
    const warnings: string[] = [];
    const incoming = this.checkBody(def, namespace, body, name, options, warnings);
    const expected = parseResourceVersion(incoming.metadata.resourceVersion);
    return this.mutate(
      def,
      namespace,
      name,
      (current) => {
        if (!current) return incoming;
        return options.subresource === 'status' ? withStatusFrom(current, incoming) : incoming;
      },
      { ...options, ...(expected !== undefined ? { expected } : {}) },
      warnings,
    );
  }

  /** PATCH: apply a patch document to the current object; server-side apply may create. */
  async patch(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    patch: PatchRequest,
    options: WriteOptions & { subresource?: 'status' } = {},
  ): Promise<WriteResult> {
    const warnings: string[] = [];
    return this.mutate(
      def,
      namespace,
      name,
      (current) => {
        const patched = this.machinery.patch(
          def,
          current,
          { ...patch, name, ...(options.subresource ? { subresource: options.subresource } : {}) },
          this.clock(),
        );
        const checked = this.checkBody(def, namespace, patched, name, options, warnings);
        const rv = checked.metadata.resourceVersion;
        if (current && rv && rv !== current.metadata.resourceVersion) {
          // A resourceVersion in the patch is a precondition.
          throw errors.conflict(target(def, name));
        }
        if (!current) return checked;
        return options.subresource === 'status' ? withStatusFrom(current, checked) : checked;
      },
      { ...options, mayCreate: patch.type === 'apply', managedFieldsTracked: patch.type === 'apply' },
      warnings,
    );
  }

  /**
   * Read, compute the new object, write with compare-and-swap; on a conflict the user did not
   * cause (no expected resourceVersion), read again and retry. `compute` gets a fresh copy.
   */
  mutate(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    compute: (current: KubeObject | undefined) => KubeObject,
    options: MutateOptions = {},
    warnings: string[] = [],
  ): Promise<WriteResult> {
    return this.writing(def, () => this.mutateObject(def, namespace, name, compute, options, warnings));
  }

  private async mutateObject(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    compute: (current: KubeObject | undefined) => KubeObject,
    options: MutateOptions,
    warnings: string[],
  ): Promise<WriteResult> {
    const { expected, mayCreate = false } = options;
    const key = objectKey(def, namespace, name);
    const strategy = strategyFor(def);
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) {
        if (!(strategy.allowCreateOnUpdate || mayCreate) || options.subresource) {
          throw errors.notFound(target(def, name));
        }
        const created = compute(undefined);
        const result = await this.create(def, namespace, created, { ...options, fieldValidation: 'Ignore' });
        return { ...result, warnings: [...warnings, ...result.warnings] };
      }
      const current = decodeObject(kv);
      if (expected !== undefined && expected !== kv.modRevision) throw errors.conflict(target(def, name));
      const next = compute(current);
      const now = this.clock();
      this.carryServerFields(
        def,
        current,
        next,
        options.subresource === 'status' || options.internal !== undefined,
      );
      const companions = await this.companions(def, next, current);
      if (options.internal) this.check(def, next, options.internal.validate(next));
      else {
        this.machinery.applyDefaults(def, next, current);
        this.validate(def, next, current);
      }
      const tracked = options.internal
        ? next
        : this.machinery.trackUpdate(def, current, next, this.manager(options), now, options.subresource);
      // Finalizers all gone from an object being deleted: the delete completes now.
      const finish =
        Boolean(tracked.metadata.deletionTimestamp) &&
        !tracked.metadata.finalizers?.length &&
        (tracked.metadata.deletionGracePeriodSeconds ?? 0) === 0 &&
        !(def.kind === 'Namespace' && namespaceFinalizers(tracked).length > 0);
      if (options.dryRun) return { object: tracked, created: false, warnings };
      const encoded = encodeObject(tracked);
      if (encoded === kv.value) return { object: current, created: false, warnings };
      try {
        if (finish) {
          const releases = await this.releases(def, current);
          options.committing?.();
          await this.store.txn([{ op: 'delete', key, modRevision: kv.modRevision }, ...releases]);
          return { object: tracked, created: false, warnings };
        }
        options.committing?.();
        if (companions.length === 0) {
          const written = await this.store.update(key, encoded, kv.modRevision);
          return stored(written, false, warnings);
        }
        const { results } = await this.store.txn([
          { op: 'update', key, value: encoded, modRevision: kv.modRevision },
          ...companions,
        ]);
        return stored(results[0]!, false, warnings);
      } catch (err) {
        if (isStoreError(err, 'Conflict') && expected === undefined) continue;
        if (isStoreError(err) && err.key !== undefined && err.key !== key) {
          if (isStoreError(err, 'AlreadyExists')) throw this.allocationConflict(def, name, err.key);
          continue; // a reservation changed under us: decide again
        }
        throw fromStoreError(err, target(def, name));
      }
    }
    throw errors.conflict(target(def, name), 'too many concurrent changes; please try again');
  }

  /** Fields a client cannot change by writing the object: the server's metadata, and the other half of the spec/status split. */
  private carryServerFields(
    def: ResourceDef,
    current: KubeObject,
    next: KubeObject,
    statusOnly: boolean,
  ): void {
    const m = next.metadata;
    const c = current.metadata;
    m.name = c.name;
    if (def.namespaced) m.namespace = c.namespace;
    else delete m.namespace;
    m.uid = c.uid;
    m.creationTimestamp = c.creationTimestamp;
    m.resourceVersion = c.resourceVersion;
    if (c.deletionTimestamp) {
      m.deletionTimestamp = c.deletionTimestamp;
      m.deletionGracePeriodSeconds = c.deletionGracePeriodSeconds;
    } else {
      delete m.deletionTimestamp;
      delete m.deletionGracePeriodSeconds;
    }
    if (def.hasStatus && !statusOnly) {
      if (current.status === undefined) delete next.status;
      else next.status = current.status;
    }
    const strategy = strategyFor(def);
    if (strategy.generation) {
      const generation = c.generation ?? 1;
      m.generation = specOf(next) === specOf(current) ? generation : generation + 1;
    } else if (c.generation !== undefined) {
      m.generation = c.generation;
    } else {
      delete m.generation;
    }
  }

  /** A requested ClusterIP or NodePort that another Service holds. */
  private allocationConflict(def: ResourceDef, name: string, reservation: string | undefined) {
    const what = reservation?.split('/').pop() ?? '';
    const isPort = reservation?.includes('/servicenodeports/');
    return errors.invalid({ ...target(def, name), kind: def.kind }, [
      isPort
        ? {
            type: 'Invalid',
            field: 'spec.ports[].nodePort',
            value: Number(what),
            detail: 'provided port is already allocated',
          }
        : {
            type: 'Invalid',
            field: 'spec.clusterIPs',
            value: [what],
            detail: `failed to allocate IP ${what}: provided IP is already allocated`,
          },
    ]);
  }

  /** pods/binding: assign a pod to a node, once. */
  async bind(
    namespace: string,
    name: string,
    node: string,
    options: WriteOptions = {},
  ): Promise<WriteResult> {
    const def = POD_DEF;
    return this.mutate(
      def,
      namespace,
      name,
      (current) => {
        const pod = current!;
        const spec = (pod.spec ?? {}) as { nodeName?: string };
        if (spec.nodeName) {
          throw errors.conflict(
            target(def, name),
            `pod ${name} is already assigned to node "${spec.nodeName}"`,
          );
        }
        if (pod.metadata.deletionTimestamp) {
          throw errors.conflict(
            target(def, name),
            `pod ${name} is being deleted, cannot be assigned to a host`,
          );
        }
        const status = (pod.status ?? {}) as { conditions?: { type: string }[] };
        const conditions = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
        conditions.push({
          type: 'PodScheduled',
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: formatTime(this.clock()),
        } as never);
        return { ...pod, spec: { ...spec, nodeName: node }, status: { ...status, conditions } };
      },
      // The node name is the binding's one input: the rest was validated when the pod was written.
      { ...options, internal: { validate: () => validateDNS1123Subdomain(node, 'spec.nodeName') } },
    );
  }

  // ---- delete ----------------------------------------------------------------------------------

  delete(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): Promise<DeleteResult> {
    return this.writing(def, () => this.deleteObject(def, namespace, name, options));
  }

  private async deleteObject(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions,
  ): Promise<DeleteResult> {
    const key = objectKey(def, namespace, name);
    const strategy = strategyFor(def);
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) throw errors.notFound(target(def, name));
      const current = decodeObject(kv);
      const pre = options.preconditions;
      if (pre?.uid && pre.uid !== current.metadata.uid) {
        throw errors.conflict(
          target(def, name),
          `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
        );
      }
      if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
        throw errors.conflict(
          target(def, name),
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
        );
      }
      const next = structuredClone(current);
      const meta = next.metadata;
      const finalizers = new Set(meta.finalizers ?? []);
      if (options.propagationPolicy === 'Orphan') finalizers.add('orphan');
      if (options.propagationPolicy === 'Foreground') finalizers.add('foregroundDeletion');
      // A namespace's contents go before the namespace itself (its spec.finalizers).
      const namespaceContents = def.kind === 'Namespace' && namespaceFinalizers(next).length > 0;
      if (namespaceContents) next.status = { ...(next.status as object), phase: 'Terminating' };
      const previousGrace = meta.deletionTimestamp ? (meta.deletionGracePeriodSeconds ?? 0) : undefined;
      // Already terminating: a shorter grace period may hurry it, a longer one changes nothing.
      const grace = Math.min(
        strategy.gracePeriod(current, options.gracePeriodSeconds),
        previousGrace ?? Infinity,
      );
      const waits = finalizers.size > 0 || grace > 0 || namespaceContents;
      if (options.dryRun) return { object: current, deleted: !waits };
      const unchanged =
        previousGrace !== undefined &&
        grace === previousGrace &&
        finalizers.size === (meta.finalizers ?? []).length &&
        (!namespaceContents || (current.status as { phase?: string } | undefined)?.phase === 'Terminating');
      if (waits && unchanged) return { object: current, deleted: false };
      try {
        if (!waits) {
          const releases = await this.releases(def, current);
          options.committing?.();
          await this.store.txn([{ op: 'delete', key, modRevision: kv.modRevision }, ...releases]);
          return { object: current, deleted: true };
        }
        if (previousGrace === undefined || grace < previousGrace) {
          meta.deletionTimestamp = formatTime(new Date(this.clock().getTime() + grace * 1000));
        }
        meta.deletionGracePeriodSeconds = grace;
        if (finalizers.size > 0) meta.finalizers = [...finalizers];
        const value = encodeObject(next);
        options.committing?.();
        const written = await this.store.update(key, value, kv.modRevision);
        return { object: decodeObject(written), deleted: false };
      } catch (err) {
        if (isStoreError(err, 'Conflict')) continue;
        if (isStoreError(err, 'NotFound')) throw errors.notFound(target(def, name));
        throw fromStoreError(err, target(def, name));
      }
    }
    throw errors.conflict(target(def, name), 'too many concurrent changes; please try again');
  }
}

function namespaceFinalizers(ns: KubeObject): string[] {
  return (ns.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [];
}

/**
 * `current` with the status of `incoming`: what a write to the status subresource stores. It
 * shares all but its top level and metadata (whose fields the write path sets) with `current`,
 * which the write path only reads after this: defaulting the stored spec again writes the values
 * it has, and the field manager skips subtrees both sides share. A deep copy here was 3% of the
 * API server's thread at 5,000 nodes (node status).
 */
function withStatusFrom(current: KubeObject, incoming: KubeObject): KubeObject {
  const next: KubeObject = { ...current, metadata: { ...current.metadata } };
  if (incoming.status === undefined) delete next.status;
  else next.status = incoming.status;
  return next;
}

function generateName(base: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return `${base}${suffix}`;
}
