/**
 * The verbs on resources: list/watch/create/deletecollection on collections; get/update/patch/
 * delete on objects; the status, scale and binding subresources. Each turns the HTTP request into
 * a ResourceStorage call and the result into the representation the client asked for.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringify as toYaml } from 'yaml';
import { errors, hasCode } from '../api/errors.js';
import { type FieldRequirement, parseFieldSelector } from '../api/fields.js';
import {
  formatSelector,
  fromLabelSelector,
  parseSelector,
  type Requirement,
  SelectorError,
} from '../api/labels.js';
import { isPlainObject, type KubeList, type KubeObject } from '../api/object.js';
import type { ResourceDef } from '../api/resources.js';
import { decodeBody, readBody } from './body.js';
import { yieldSeat } from './flow-control.js';
import { sendBody } from './large-body.js';
import type { NodeProxy } from './node-proxy.js';
import { managerOrUserAgent, type PatchType, patchTypeFromContentType } from './patch/index.js';
import type {
  FieldValidation,
  ResourceStorage,
  WriteOptions,
  WriteResult,
} from './registry/resource-storage.js';
import type { ResourceRoute } from './routes.js';
import type { WatchServer } from './watch.js';

export type TablePrinter = (
  def: ResourceDef,
  objects: KubeObject[],
  options: { now: Date; includeObject?: 'None' | 'Object' | 'Metadata' },
) => Record<string, unknown>;

export interface HandlerDeps {
  storage: ResourceStorage;
  watches: WatchServer;
  printTable: TablePrinter;
  now?: () => Date;
  /** Serves pods/log (and, through ApiServer's upgrade path, exec/attach); absent → 501. */
  nodeProxy?: NodeProxy;
}

type Representation = 'json' | 'yaml' | 'table';

function representation(accept: string | undefined): Representation {
  if (!accept) return 'json';
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    const p = new Map(params.map((x) => x.split('=') as [string, string]));
    if (type === 'application/json' && p.get('as') === 'Table') {
      if (p.get('g') === 'meta.k8s.io' && (p.get('v') === 'v1' || p.get('v') === 'v1beta1')) return 'table';
      continue;
    }
    if (type === 'application/yaml') return 'yaml';
    if (type === 'application/json' || type === '*/*' || type === 'application/*') return 'json';
    if (type === 'application/vnd.kubernetes.protobuf') continue;
  }
  return 'json';
}

export class ResourceHandler {
  private readonly now: () => Date;

  constructor(private readonly deps: HandlerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    route: ResourceRoute,
    query: URLSearchParams,
  ): Promise<void> {
    const { def, namespace, name, subresource } = route;
    const method = req.method ?? 'GET';
    const repr = representation(req.headers.accept);
    const verb = `${method} ${def.resource}${subresource ? `/${subresource}` : ''}`;
    if (!def.namespaced && namespace !== undefined) throw errors.pathNotFound(req.url ?? '');
    if (def.namespaced && namespace === undefined && name !== undefined)
      throw errors.pathNotFound(req.url ?? '');

    if (name === undefined) {
      switch (method) {
        case 'GET':
          if (isTrue(query.get('watch'))) return this.watch(res, route, query, repr);
          return this.list(res, route, query, repr);
        case 'POST':
          if (def.namespaced && namespace === undefined) throw errors.methodNotAllowed(method, def.resource);
          return this.create(req, res, route, query, repr);
        case 'DELETE':
          return this.deleteCollection(req, res, route, query, repr);
        default:
          throw errors.methodNotAllowed(method, def.resource);
      }
    }

    if (subresource === undefined || subresource === 'status' || subresource === 'finalize') {
      if (subresource === 'finalize' && def.kind !== 'Namespace') throw errors.pathNotFound(req.url ?? '');
      if (subresource === 'status' && !def.hasStatus) throw errors.pathNotFound(req.url ?? '');
      const options = { subresource: subresource === 'status' ? ('status' as const) : undefined };
      switch (method) {
        case 'GET':
          if (repr === 'json') {
            const json = await this.deps.storage.getJson(def, namespace, name);
            return sendBody(res, 200, { 'content-type': 'application/json' }, json);
          }
          return this.send(res, 200, await this.deps.storage.get(def, namespace, name), repr, def);
        case 'PUT':
          if (subresource === 'finalize') return this.finalize(req, res, route, query, repr);
          return this.update(req, res, route, query, repr, options);
        case 'PATCH':
          if (subresource === 'finalize') throw errors.methodNotAllowed(method, verb);
          return this.patch(req, res, route, query, repr, options);
        case 'DELETE':
          if (subresource) throw errors.methodNotAllowed(method, verb);
          return this.delete(req, res, route, query, repr);
        default:
          throw errors.methodNotAllowed(method, verb);
      }
    }
    if (subresource === 'scale' && def.subresources.includes('scale')) {
      return this.scale(req, res, route, query, method);
    }
    if (subresource === 'binding' && def.kind === 'Pod' && method === 'POST') {
      return this.bind(req, res, route, query);
    }
    if (subresource === 'eviction' && def.kind === 'Pod' && method === 'POST') {
      return this.evict(req, res, route, query);
    }
    if (def.kind === 'Pod' && this.deps.nodeProxy) {
      if (subresource === 'log') return this.deps.nodeProxy.logs(req, res, route, query);
      // Upgrade requests come through ApiServer.handleUpgrade; a plain request cannot stream.
      if (subresource === 'exec' || subresource === 'attach')
        throw errors.badRequest('Upgrade request required');
      if (subresource === 'portforward') {
        throw errors.notImplemented('pods/portforward (kubectl port-forward)');
      }
    }
    if (def.subresources.includes(subresource as never)) {
      throw errors.notImplemented(`${def.resource}/${subresource}`);
    }
    throw errors.pathNotFound(req.url ?? '');
  }

  // ---- collections -----------------------------------------------------------------------------

  private selectors(
    def: ResourceDef,
    query: URLSearchParams,
  ): { labels?: Requirement[]; fields?: FieldRequirement[] } {
    const out: { labels?: Requirement[]; fields?: FieldRequirement[] } = {};
    const ls = query.get('labelSelector');
    if (ls) {
      try {
        out.labels = parseSelector(ls);
      } catch (err) {
        if (err instanceof SelectorError)
          throw errors.badRequest(`unable to parse requirement: ${err.message}`);
        throw err;
      }
    }
    const fs = query.get('fieldSelector');
    if (fs) out.fields = parseFieldSelector(def.kind, fs);
    return out;
  }

  private async list(
    res: ServerResponse,
    route: ResourceRoute,
    query: URLSearchParams,
    repr: Representation,
  ) {
    const limit = intParam(query, 'limit');
    const rv = query.get('resourceVersion');
    const rvMatch = query.get('resourceVersionMatch');
    const options = {
      ...this.selectors(route.def, query),
      ...(limit !== undefined ? { limit } : {}),
      ...(query.get('continue') ? { continue: query.get('continue')! } : {}),
      ...(rv !== null ? { resourceVersion: rv } : {}),
      ...(rvMatch ? { resourceVersionMatch: rvMatch } : {}),
    };
    if (repr === 'json') {
      const json = await this.deps.storage.listJson(route.def, route.namespace, options);
      return sendBody(res, 200, { 'content-type': 'application/json' }, json);
    }
    const list = await this.deps.storage.list(route.def, route.namespace, options);
    if (repr === 'table') {
      const table = this.table(route.def, list.items, query);
      table.metadata = list.metadata;
      return this.send(res, 200, table, 'json');
    }
    return this.send(res, 200, list, repr);
  }

  private async watch(
    res: ServerResponse,
    route: ResourceRoute,
    query: URLSearchParams,
    repr: Representation,
  ) {
    const timeoutSeconds = intParam(query, 'timeoutSeconds');
    const rv = query.get('resourceVersion');
    await this.deps.watches.serve(
      {
        def: route.def,
        namespace: route.namespace,
        ...this.selectors(route.def, query),
        ...(rv !== null ? { resourceVersion: rv } : {}),
        allowBookmarks: isTrue(query.get('allowWatchBookmarks')),
        ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
        ...(repr === 'table' ? { render: (obj: KubeObject) => this.table(route.def, [obj], query) } : {}),
      },
      res,
    );
  }

  private async create(
    req: IncomingMessage,
    res: ServerResponse,
    route: ResourceRoute,
    query: URLSearchParams,
    repr: Representation,
  ) {
    const decoded = decodeBody(await readBody(req), req.headers['content-type']);
    const result = await this.deps.storage.create(route.def, route.namespace, decoded.value, {
      ...writeOptions(req, query),
      duplicateFields: decoded.duplicates,
    });
    return this.sendWritten(res, result, repr, route.def);
  }

  private async deleteCollection(
    req: IncomingMessage,
    res: ServerResponse,
    route: ResourceRoute,
    query: URLSearchParams,
    repr: Representation,
  ) {
    const options = await deleteOptions(req, query);
    const list = await this.deps.storage.list(route.def, route.namespace, this.selectors(route.def, query));
    const deleted: KubeObject[] = [];
    for (const obj of list.items) {
      try {
        const r = await this.deps.storage.delete(
          route.def,
          obj.metadata.namespace,
          obj.metadata.name!,
          options,
        );
        deleted.push(r.object);
      } catch (err) {
        if (!hasCode(err, 404)) throw err;
      }
    }
    const out: KubeList = { ...list, items: deleted };
    return this.send(res, 200, out, repr === 'table' ? 'json' : repr);
  }

  // ---- objects ---------------------------------------------------------------------------------

  private async update(
    req: IncomingMessage,
    res: ServerResponse,
    route: ResourceRoute,
    query: URLSearchParams,
    repr: Representation,
    options: { subresource?: 'status' },
  ) {
    const decoded = decodeBody(await readBody(req), req.headers['content-type']);
    const result = await this.deps.storage.update(route.def, route.namespace, route.name!, decoded.value, {
      ...writeOptions(req, query),
      duplicateFields: decoded.duplicates,
      ...options,
    });
    return this.sendWritten(res, result, repr, route.def);
  }

  private async patch(
    req: IncomingMessage,
    res: ServerResponse,
    route: ResourceRoute,
    query: URLSearchParams,
    repr: Representation,
    options: { subresource?: 'status' },
  ) {
    const type = patchType(req.headers['content-type']);
    const body = (await readBody(req)).toString('utf8');
    const base = writeOptions(req, query);
    if (type === 'apply' && !query.get('fieldManager')) {
      throw errors.badRequest('PATCH with apply content type requires a fieldManager query parameter');
    }
    const result = await this.deps.storage.patch(
      route.def,
      route.namespace,
      route.name!,
      {
        type,
        body,
        ...(base.fieldManager ? { fieldManager: base.fieldManager } : {}),
        ...(query.has('force') ? { force: isTrue(query.get('force')) } : {}),
      },
      { ...base, ...options },
    );
    return this.sendWritten(res, result, repr, route.def);
  }

  private async delete(
    req: IncomingMessage,
    res: ServerResponse,
    route: ResourceRoute,
    query: URLSearchParams,
    repr: Representation,
  ) {
    const options = await deleteOptions(req, query);
    const result = await this.deps.storage.delete(route.def, route.namespace, route.name!, options);
    return this.send(res, 200, result.object, repr === 'table' ? 'json' : repr);
  }

  /** PUT /api/v1/namespaces/{name}/finalize: the namespace controller's way to clear spec.finalizers. */
  private async finalize(
    req: IncomingMessage,
    res: ServerResponse,
    route: ResourceRoute,
    query: URLSearchParams,
    repr: Representation,
  ) {
    const decoded = decodeBody(await readBody(req), req.headers['content-type']);
    const incoming = decoded.value as KubeObject;
    const result = await this.deps.storage.patch(
      route.def,
      undefined,
      route.name!,
      {
        type: 'merge',
        body: JSON.stringify({
          spec: { finalizers: (incoming.spec as { finalizers?: string[] })?.finalizers ?? [] },
        }),
      },
      writeOptions(req, query),
    );
    return this.send(res, 200, result.object, repr, route.def);
  }

  // ---- subresources ----------------------------------------------------------------------------

  private async scale(
    req: IncomingMessage,
    res: ServerResponse,
    route: ResourceRoute,
    query: URLSearchParams,
    method: string,
  ) {
    const { def, namespace, name } = route;
    if (method === 'GET')
      return this.send(res, 200, scaleOf(await this.deps.storage.get(def, namespace, name!)), 'json');
    const options = writeOptions(req, query);
    if (method === 'PUT') {
      const decoded = decodeBody(await readBody(req), req.headers['content-type']).value as KubeObject;
      const replicas = checkReplicas(name!, (decoded?.spec as { replicas?: unknown } | undefined)?.replicas);
      const rv = decoded?.metadata?.resourceVersion;
      const result = await this.deps.storage.mutate(
        def,
        namespace,
        name!,
        (current) => ({ ...current!, spec: { ...(current!.spec as object), replicas } }),
        { ...options, ...(rv ? { expected: Number(rv) } : {}) },
      );
      return this.send(res, 200, scaleOf(result.object), 'json');
    }
    if (method === 'PATCH') {
      // A Scale patch touches spec.replicas, which sits at the same path in the workload.
      const type = patchType(req.headers['content-type']);
      if (type === 'apply') throw errors.unsupportedMediaType('application/apply-patch+yaml');
      const body = (await readBody(req)).toString('utf8');
      const result = await this.deps.storage.patch(def, namespace, name!, { type, body }, options);
      checkReplicas(name!, (result.object.spec as { replicas?: unknown } | undefined)?.replicas);
      return this.send(res, 200, scaleOf(result.object), 'json');
    }
    throw errors.methodNotAllowed(method, `${def.resource}/scale`);
  }

  private async bind(
    req: IncomingMessage,
    res: ServerResponse,
    route: ResourceRoute,
    query: URLSearchParams,
  ) {
    const decoded = decodeBody(await readBody(req), req.headers['content-type']);
    const binding = decoded.value as {
      target?: { name?: string; kind?: string };
      metadata?: { name?: string };
    };
    const node = binding?.target?.name;
    if (!node) {
      throw errors.invalid({ kind: 'Binding', resource: 'bindings', name: route.name! }, [
        { type: 'Required', field: 'target.name' },
      ]);
    }
    await this.deps.storage.bind(route.namespace!, route.name!, node, writeOptions(req, query));
    return this.send(res, 201, successStatus(), 'json');
  }

  private async evict(
    req: IncomingMessage,
    res: ServerResponse,
    route: ResourceRoute,
    query: URLSearchParams,
  ) {
    const decoded = decodeBody(await readBody(req), req.headers['content-type']);
    const eviction = decoded.value as { deleteOptions?: { gracePeriodSeconds?: number } };
    const grace = eviction?.deleteOptions?.gracePeriodSeconds;
    await this.deps.storage.delete(route.def, route.namespace, route.name!, {
      ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
      dryRun: query.get('dryRun') === 'All',
    });
    return this.send(res, 201, successStatus(), 'json');
  }

  // ---- output ----------------------------------------------------------------------------------

  private table(def: ResourceDef, objects: KubeObject[], query: URLSearchParams): Record<string, unknown> {
    const include = query.get('includeObject');
    return this.deps.printTable(def, objects, {
      now: this.now(),
      ...(include === 'None' || include === 'Object' || include === 'Metadata'
        ? { includeObject: include }
        : {}),
    });
  }

  /** A write's answer: 201 for a new object; JSON straight from the stored text when there is one. */
  private async sendWritten(
    res: ServerResponse,
    result: WriteResult,
    repr: Representation,
    def: ResourceDef,
  ): Promise<void> {
    const status = result.created ? 201 : 200;
    if (repr !== 'json' || !result.json)
      return this.send(res, status, result.object, repr, def, result.warnings);
    const headers = { 'content-type': 'application/json', ...warningHeader(result.warnings) };
    return sendBody(res, status, headers, result.json());
  }

  private send(
    res: ServerResponse,
    status: number,
    body: unknown,
    repr: Representation,
    def?: ResourceDef,
    warnings: string[] = [],
  ): void {
    let payload: unknown = body;
    if (repr === 'table' && def && isPlainObject(body))
      payload = this.table(def, [body as KubeObject], new URLSearchParams());
    const headers: Record<string, string | string[]> = warningHeader(warnings);
    if (repr === 'yaml') {
      headers['content-type'] = 'application/yaml';
      res.writeHead(status, headers);
      res.end(toYaml(payload));
      return;
    }
    headers['content-type'] = 'application/json';
    res.writeHead(status, headers);
    res.end(JSON.stringify(payload));
  }
}

/** Warnings for the client, as Kubernetes sends them: `Warning: 299 - "text"`, one per header line. */
function warningHeader(warnings: string[]): Record<string, string[]> {
  return warnings.length > 0 ? { warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`) } : {};
}

export function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}

function intParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`invalid ${name}: "${v}" is not an integer`);
  return Number(v);
}

function patchType(contentType: string | undefined): PatchType {
  const type = patchTypeFromContentType(contentType ?? '');
  if (!type) throw errors.unsupportedMediaType((contentType ?? '').split(';')[0]!.trim());
  return type;
}

function writeOptions(req: IncomingMessage, query: URLSearchParams): WriteOptions {
  const dryRun = query.getAll('dryRun');
  for (const d of dryRun)
    if (d !== 'All') throw errors.badRequest(`Invalid dry run value: ${d}; supported values: "All"`);
  const fv = query.get('fieldValidation');
  if (fv && !['Strict', 'Warn', 'Ignore'].includes(fv)) {
    throw errors.badRequest(`fieldValidation must be one of Ignore, Warn, Strict; got ${fv}`);
  }
  // Kubernetes names the manager of a request without fieldManager after the client's user agent.
  const manager =
    managerOrUserAgent(query.get('fieldManager') || undefined, req.headers['user-agent']) || 'unknown';
  if (manager.length > 128) throw errors.badRequest('fieldManager must be at most 128 characters');
  return {
    dryRun: dryRun.length > 0,
    fieldManager: manager,
    fieldValidation: (fv as FieldValidation | null) ?? 'Warn',
    committing: () => yieldSeat(req),
  };
}

async function deleteOptions(req: IncomingMessage, query: URLSearchParams) {
  let body: Record<string, unknown> = {};
  const raw = await readBody(req);
  if (raw.length > 0) {
    const decoded = decodeBody(raw, req.headers['content-type'] || 'application/json').value;
    if (isPlainObject(decoded)) body = decoded;
  }
  const grace = query.get('gracePeriodSeconds') ?? (body.gracePeriodSeconds as number | undefined);
  const policy = query.get('propagationPolicy') ?? (body.propagationPolicy as string | undefined);
  const orphan = query.get('orphanDependents') ?? (body.orphanDependents as boolean | undefined);
  if (
    policy !== undefined &&
    policy !== null &&
    !['Orphan', 'Background', 'Foreground'].includes(String(policy))
  ) {
    throw errors.badRequest(`propagationPolicy must be one of Orphan, Background, Foreground; got ${policy}`);
  }
  const dryRun = [...query.getAll('dryRun'), ...((body.dryRun as string[] | undefined) ?? [])];
  const graceNum = grace === undefined || grace === null ? undefined : Number(grace);
  if (graceNum !== undefined && (!Number.isInteger(graceNum) || graceNum < 0)) {
    throw errors.badRequest(`gracePeriodSeconds must be a non-negative integer, got ${grace}`);
  }
  const preconditions = body.preconditions as { uid?: string; resourceVersion?: string } | undefined;
  const propagationPolicy = (policy ?? (orphan === true || orphan === 'true' ? 'Orphan' : undefined)) as
    | 'Orphan'
    | 'Background'
    | 'Foreground'
    | undefined;
  return {
    ...(graceNum !== undefined ? { gracePeriodSeconds: graceNum } : {}),
    ...(propagationPolicy ? { propagationPolicy } : {}),
    ...(preconditions ? { preconditions } : {}),
    dryRun: dryRun.includes('All'),
    committing: () => yieldSeat(req),
  };
}

function successStatus() {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
}

/** The autoscaling/v1 Scale view of a workload. */
export function scaleOf(obj: KubeObject): KubeObject {
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: Parameters<typeof fromLabelSelector>[0] };
  const status = (obj.status ?? {}) as { replicas?: number };
  const selector = fromLabelSelector(spec.selector ?? undefined);
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: selector ? formatSelector(selector) : '' },
  };
}

function checkReplicas(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw errors.invalid({ kind: 'Scale', group: 'autoscaling', resource: 'scale', name }, [
      { type: 'Invalid', field: 'spec.replicas', value, detail: 'must be greater than or equal to 0' },
    ]);
  }
  return value;
}
