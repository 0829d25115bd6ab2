/**
 * The OpenAPI documents: /openapi/v2 (Swagger 2.0, every definition) and /openapi/v3 (an index
 * of group-versions, each served at /openapi/v3/api/v1 or /openapi/v3/apis/GROUP/VERSION with
 * its paths and the component schemas they reach). kubectl explain reads v3; kubectl apply reads
 * v3 for strategic-merge metadata and to learn, from the `fieldValidation` parameter on a
 * kind's PATCH operations, that the server validates fields itself; kubectl validates a
 * `kind: List` itself against v2, fetched as protobuf (openapi-v2-proto.ts). Operations, paths and
 * parameters follow Kubernetes' layout and are derived from the resource table; schemas come
 * from the generated definitions (api/schema). Built on first request, then served from memory
 * with ETags and hash-pinned, immutable URLs.
 */
import { createHash } from 'node:crypto';
import { groupVersions, RESOURCES, type ResourceDef, type Subresource } from '../api/resources.js';
import {
  definitionNameForKind,
  definitions,
  INT_OR_STRING,
  type JsonSchema,
  QUANTITY,
} from '../api/schema/index.js';
import { GIT_VERSION, subresourceKind } from './discovery.js';
import type { ApiRequest, ApiResponse } from './http-types.js';
import { encodeOpenAPIV2Protobuf } from './openapi-v2-proto.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const STATUS = `${META}.Status`;
const DELETE_OPTIONS = `${META}.DeleteOptions`;
const PATCH = `${META}.Patch`;

/** A query or path parameter, in a form that renders to either OpenAPI version. */
interface Param {
  name: string;
  in: 'query' | 'path';
  type: 'string' | 'integer' | 'boolean';
  description: string;
  required?: boolean;
}

function q(name: string, type: Param['type'], description: string): Param {
  return { name, in: 'query', type, description };
}

const P = {
  pretty: q('pretty', 'string', "If 'true', the output is pretty printed."),
  dryRun: q(
    'dryRun',
    'string',
    'When present, modifications are not persisted. The only valid value is All.',
  ),
  fieldManager: q('fieldManager', 'string', 'The name of the actor or entity making these changes.'),
  fieldValidation: q(
    'fieldValidation',
    'string',
    'How the server treats unknown and duplicate fields in the request: Ignore, Warn (the default) or Strict (reject the request).',
  ),
  force: q('force', 'boolean', 'Take ownership of conflicting fields in an apply request.'),
  labelSelector: q('labelSelector', 'string', 'Only objects whose labels match this selector.'),
  fieldSelector: q('fieldSelector', 'string', 'Only objects whose fields match this selector.'),
  watch: q('watch', 'boolean', 'Watch for changes to the described resources, as a stream of events.'),
  allowWatchBookmarks: q('allowWatchBookmarks', 'boolean', 'Ask for BOOKMARK events in a watch.'),
  resourceVersion: q('resourceVersion', 'string', 'The resource version a list or watch starts from.'),
  resourceVersionMatch: q('resourceVersionMatch', 'string', 'How resourceVersion applies to a list.'),
  sendInitialEvents: q('sendInitialEvents', 'boolean', 'Start a watch with the current objects.'),
  timeoutSeconds: q('timeoutSeconds', 'integer', 'Time limit of a list or watch call.'),
  limit: q('limit', 'integer', 'The most objects to return; the rest is fetched with continue.'),
  continue: q('continue', 'string', 'The token from a previous limited list, to fetch the next chunk.'),
  gracePeriodSeconds: q(
    'gracePeriodSeconds',
    'integer',
    'Seconds before the object is deleted; 0 deletes now.',
  ),
  propagationPolicy: q(
    'propagationPolicy',
    'string',
    'What happens to dependents: Orphan, Background or Foreground.',
  ),
  orphanDependents: q('orphanDependents', 'boolean', 'Deprecated: use propagationPolicy.'),
  namespace: {
    name: 'namespace',
    in: 'path',
    type: 'string',
    required: true,
    description: 'Object name and auth scope, such as for teams and projects.',
  } as Param,
  name: {
    name: 'name',
    in: 'path',
    type: 'string',
    required: true,
    description: 'Name of the object.',
  } as Param,
};

const LIST_PARAMS = [
  P.allowWatchBookmarks,
  P.continue,
  P.fieldSelector,
  P.labelSelector,
  P.limit,
  P.resourceVersion,
  P.resourceVersionMatch,
  P.sendInitialEvents,
  P.timeoutSeconds,
  P.watch,
];
const WRITE_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation];
const DELETE_PARAMS = [P.dryRun, P.gracePeriodSeconds, P.orphanDependents, P.propagationPolicy];

const LOG_PARAMS = [
  q('container', 'string', 'The container whose logs to stream; defaults to the only container.'),
  q('follow', 'boolean', 'Follow the log stream.'),
  q('limitBytes', 'integer', 'Stop after this many bytes.'),
  q('previous', 'boolean', 'The logs of the previous, terminated container.'),
  q('sinceSeconds', 'integer', 'Only logs newer than this many seconds.'),
  q('tailLines', 'integer', 'Only this many lines from the end.'),
  q('timestamps', 'boolean', 'Prefix every line with an RFC3339 timestamp.'),
];
const STREAM_PARAMS = [
  q('command', 'string', 'The command to run (repeat for each argument).'),
  q('container', 'string', 'The container to use; defaults to the only container.'),
  q('stderr', 'boolean', 'Redirect standard error.'),
  q('stdin', 'boolean', 'Redirect standard input.'),
  q('stdout', 'boolean', 'Redirect standard output.'),
  q('tty', 'boolean', 'Allocate a terminal.'),
];
const PORTFORWARD_PARAMS = [q('ports', 'integer', 'The ports to forward.')];

const JSON_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const WATCH_TYPES = ['application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];
const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

interface Gvk {
  group: string;
  version: string;
  kind: string;
}

/** One operation, independent of the OpenAPI version it is rendered in. */
interface Operation {
  method: 'get' | 'put' | 'post' | 'patch' | 'delete';
  operationId: string;
  description: string;
  action: string;
  gvk: Gvk;
  params: Param[];
  /** Definition name of the request body. */
  body?: string;
  bodyTypes?: string[];
  /** Definition name of the response; undefined: a string (logs, streams). */
  response?: string;
  responseCodes: number[];
  produces: string[];
  tag: string;
}

interface PathItem {
  path: string;
  params: Param[];
  operations: Operation[];
}

function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Kubernetes' operation-id infix and tag for a group/version: "CoreV1"/"core_v1", "NetworkingV1"/"networking_v1". */
function groupVersionNames(group: string, version: string): { infix: string; tag: string } {
  const short = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '');
  const words = short.split('.');
  return {
    infix: words.map(upperFirst).join('') + upperFirst(version),
    tag: `${words.join('_')}_${version}`,
  };
}

function defName(gvk: Gvk): string {
  const name = definitionNameForKind(gvk.group, gvk.version, gvk.kind);
  if (!name) throw new Error(`no schema for ${gvk.group}/${gvk.version} ${gvk.kind}`);
  return name;
}

/** The paths Kubernetes serves for one resource. */
function resourcePaths(def: ResourceDef): PathItem[] {
  const base = def.group ? `/apis/${def.group}/${def.version}` : `/api/${def.version}`;
  const scope = def.namespaced ? `${base}/namespaces/{namespace}` : base;
  const { infix, tag } = groupVersionNames(def.group, def.version);
  const ns = def.namespaced ? 'Namespaced' : '';
  const gvk: Gvk = { group: def.group, version: def.version, kind: def.kind };
  const kindDef = defName(gvk);
  const listDef = defName({ ...gvk, kind: def.listKind });
  const can = (verb: string) => def.verbs.includes(verb as ResourceDef['verbs'][number]);
  const scopeParams = def.namespaced ? [P.namespace, P.pretty] : [P.pretty];
  const op = (o: Omit<Operation, 'tag' | 'produces'> & { produces?: string[] }): Operation => ({
    produces: JSON_TYPES,
    tag,
    ...o,
  });
  const items: PathItem[] = [];

  // The same list, in the object's scope and (for namespaced kinds) across all namespaces.
  const listOp = (operationId: string) =>
    op({
      method: 'get',
      operationId,
      description: `list or watch objects of kind ${def.kind}`,
      action: 'list',
      gvk,
      params: LIST_PARAMS,
      response: listDef,
      responseCodes: [200],
      produces: [...JSON_TYPES, ...WATCH_TYPES],
    });

  const collection: Operation[] = [];
  if (can('list')) collection.push(listOp(`list${infix}${ns}${def.kind}`));
  if (can('create')) {
    collection.push(
      op({
        method: 'post',
        operationId: `create${infix}${ns}${def.kind}`,
        description: `create ${article(def.kind)} ${def.kind}`,
        action: 'post',
        gvk,
        params: WRITE_PARAMS,
        body: kindDef,
        response: kindDef,
        responseCodes: [200, 201, 202],
      }),
    );
  }
  if (can('deletecollection')) {
    collection.push(
      op({
        method: 'delete',
        operationId: `deletecollection${infix}${ns}${def.kind}`,
        description: `delete collection of ${def.kind}`,
        action: 'deletecollection',
        gvk,
        params: [
          ...DELETE_PARAMS,
          ...LIST_PARAMS.filter((p) => p.name !== 'watch' && p.name !== 'allowWatchBookmarks'),
        ],
        body: DELETE_OPTIONS,
        response: STATUS,
        responseCodes: [200],
      }),
    );
  }
  if (collection.length)
    items.push({ path: `${scope}/${def.resource}`, params: scopeParams, operations: collection });

  if (def.namespaced && can('list')) {
    items.push({
      path: `${base}/${def.resource}`,
      params: [P.pretty],
      operations: [listOp(`list${infix}${def.kind}ForAllNamespaces`)],
    });
  }

  const item: Operation[] = [];
  const itemParams = [P.name, ...scopeParams];
  if (can('get')) {
    item.push(
      op({
        method: 'get',
        operationId: `read${infix}${ns}${def.kind}`,
        description: `read the specified ${def.kind}`,
        action: 'get',
        gvk,
        params: [],
        response: kindDef,
        responseCodes: [200],
      }),
    );
  }
  if (can('update')) item.push(replaceOp(op, `replace${infix}${ns}${def.kind}`, def.kind, gvk, kindDef));
  if (can('patch')) item.push(patchOp(op, `patch${infix}${ns}${def.kind}`, def.kind, gvk, kindDef));
  if (can('delete')) {
    item.push(
      op({
        method: 'delete',
        operationId: `delete${infix}${ns}${def.kind}`,
        description: `delete ${article(def.kind)} ${def.kind}`,
        action: 'delete',
        gvk,
        params: DELETE_PARAMS,
        body: DELETE_OPTIONS,
        response: STATUS,
        responseCodes: [200, 202],
      }),
    );
  }
  if (item.length)
    items.push({ path: `${scope}/${def.resource}/{name}`, params: itemParams, operations: item });

  for (const sub of def.subresources) {
    const path = `${scope}/${def.resource}/{name}/${sub}`;
    const sgvk = subresourceKind(def, sub);
    const id = `${infix}${ns}${def.kind}${upperFirst(sub)}`;
    const ops = subresourceOps(op, sub, id, sgvk);
    if (ops.length) items.push({ path, params: itemParams, operations: ops });
  }
  return items;
}

type OpMaker = (o: Omit<Operation, 'tag' | 'produces'> & { produces?: string[] }) => Operation;

function article(kind: string): string {
  return /^[AEIOU]/.test(kind) ? 'an' : 'a';
}

function replaceOp(op: OpMaker, operationId: string, what: string, gvk: Gvk, body: string): Operation {
  return op({
    method: 'put',
    operationId,
    description: `replace the specified ${what}`,
    action: 'put',
    gvk,
    params: WRITE_PARAMS,
    body,
    response: body,
    responseCodes: [200, 201],
  });
}

function patchOp(op: OpMaker, operationId: string, what: string, gvk: Gvk, response: string): Operation {
  return op({
    method: 'patch',
    operationId,
    description: `partially update the specified ${what}`,
    action: 'patch',
    gvk,
    params: [...WRITE_PARAMS, P.force],
    body: PATCH,
    bodyTypes: PATCH_TYPES,
    response,
    responseCodes: [200, 201],
  });
}

function subresourceOps(op: OpMaker, sub: Subresource, id: string, gvk: Gvk): Operation[] {
  switch (sub) {
    case 'status':
    case 'scale': {
      const kindDef = defName(gvk);
      const what = `${sub} of the specified ${gvk.kind}`;
      return [
        op({
          method: 'get',
          operationId: `read${id}`,
          description: `read ${what}`,
          action: 'get',
          gvk,
          params: [],
          response: kindDef,
          responseCodes: [200],
        }),
        replaceOp(op, `replace${id}`, what, gvk, kindDef),
        patchOp(op, `patch${id}`, what, gvk, kindDef),
      ];
    }
    case 'binding':
    case 'eviction': {
      const kindDef = defName(gvk);
      return [
        op({
          method: 'post',
          operationId: `create${id}`,
          description: `create ${sub} of a Pod`,
          action: 'post',
          gvk,
          params: WRITE_PARAMS,
          body: kindDef,
          response: kindDef,
          responseCodes: [200, 201, 202],
        }),
      ];
    }
    case 'log':
      return [
        op({
          method: 'get',
          operationId: `read${id}`,
          description: 'read log of the specified Pod',
          action: 'get',
          gvk,
          params: LOG_PARAMS,
          responseCodes: [200],
          produces: [
            'text/plain',
            'application/json',
            'application/yaml',
            'application/vnd.kubernetes.protobuf',
          ],
        }),
      ];
    default: {
      const params = sub === 'portforward' ? PORTFORWARD_PARAMS : STREAM_PARAMS;
      return (['get', 'post'] as const).map((method) =>
        op({
          method,
          operationId: `connect${upperFirst(method)}${id}`,
          description: `connect ${method.toUpperCase()} requests to ${sub} of Pod`,
          action: 'connect',
          gvk,
          params,
          responseCodes: [200],
          produces: ['*/*'],
        }),
      );
    }
  }
}

// ---- schemas -------------------------------------------------------------------------------

/** The definitions the documents serve: the generated ones plus the PATCH body type. */
function allDefinitions(): Record<string, JsonSchema> {
  return {
    ...definitions(),
    [PATCH]: {
      description: 'Patch is the body of a PATCH request, in the format its Content-Type names.',
      type: 'object',
    },
  };
}

/** Definitions reachable from `roots`, following $refs. */
function reachable(defs: Record<string, JsonSchema>, roots: Iterable<string>): string[] {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name) || !defs[name]) continue;
    seen.add(name);
    collectRefs(defs[name], stack);
  }
  return [...seen].sort();
}

function collectRefs(node: unknown, out: string[]): void {
  if (Array.isArray(node)) {
    for (const n of node) collectRefs(n, out);
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v.replace('#/definitions/', ''));
      else collectRefs(v, out);
    }
  }
}

/**
 * A v2 schema rewritten for v3 as Kubernetes serves it: component refs; a `$ref` that carries a
 * description or extensions wrapped in `allOf` (so kubectl explain prints the field's description
 * and its type's); IntOrString and Quantity as oneOf.
 */
function toV3Schema(name: string, schema: JsonSchema): JsonSchema {
  const out = wrapRefs(schema) as JsonSchema;
  if (name === INT_OR_STRING) {
    delete out.type;
    out.oneOf = [{ type: 'integer' }, { type: 'string' }];
  } else if (name === QUANTITY) {
    delete out.type;
    out.oneOf = [{ type: 'string' }, { type: 'number' }];
  }
  return out;
}

function wrapRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(wrapRefs);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === '$ref' ? v : wrapRefs(v);
  if (typeof out.$ref === 'string') {
    const ref = out.$ref.replace('#/definitions/', '#/components/schemas/');
    delete out.$ref;
    return Object.keys(out).length ? { allOf: [{ $ref: ref }], ...out } : { $ref: ref };
  }
  return out;
}

// ---- rendering -----------------------------------------------------------------------------

function gvkExtension(gvk: Gvk): Record<string, unknown> {
  return { 'x-kubernetes-group-version-kind': { group: gvk.group, kind: gvk.kind, version: gvk.version } };
}

function v3Param(p: Param): JsonSchema {
  return {
    name: p.name,
    in: p.in,
    description: p.description,
    ...(p.required ? { required: true } : {}),
    schema: { type: p.type, uniqueItems: true },
  };
}

function v2Param(p: Param): JsonSchema {
  return {
    name: p.name,
    in: p.in,
    description: p.description,
    ...(p.required ? { required: true } : {}),
    type: p.type,
    uniqueItems: true,
  };
}

function responseSchema(o: Operation, prefix: string): JsonSchema {
  return o.response ? { $ref: `${prefix}${o.response}` } : { type: 'string' };
}

function renderV3Operation(o: Operation): JsonSchema {
  const schema = responseSchema(o, '#/components/schemas/');
  const responses: Record<string, unknown> = {};
  for (const code of o.responseCodes) {
    responses[String(code)] = {
      description: code === 201 ? 'Created' : code === 202 ? 'Accepted' : 'OK',
      content: Object.fromEntries(o.produces.map((t) => [t, { schema }])),
    };
  }
  responses['401'] = { description: 'Unauthorized' };
  return {
    tags: [o.tag],
    description: o.description,
    operationId: o.operationId,
    ...(o.params.length ? { parameters: o.params.map(v3Param) } : {}),
    ...(o.body
      ? {
          requestBody: {
            content: Object.fromEntries(
              (o.bodyTypes ?? ['*/*']).map((t) => [
                t,
                { schema: { $ref: `#/components/schemas/${o.body}` } },
              ]),
            ),
            ...(o.method === 'delete' ? {} : { required: true }),
          },
        }
      : {}),
    responses,
    ...gvkExtension(o.gvk),
    'x-kubernetes-action': o.action,
  };
}

function renderV2Operation(o: Operation): JsonSchema {
  const schema = responseSchema(o, '#/definitions/');
  const responses: Record<string, unknown> = {};
  for (const code of o.responseCodes) {
    responses[String(code)] = {
      description: code === 201 ? 'Created' : code === 202 ? 'Accepted' : 'OK',
      schema,
    };
  }
  responses['401'] = { description: 'Unauthorized' };
  const params = o.params.map(v2Param);
  if (o.body) {
    params.unshift({
      name: 'body',
      in: 'body',
      ...(o.method === 'delete' ? {} : { required: true }),
      schema: { $ref: `#/definitions/${o.body}` },
    });
  }
  return {
    tags: [o.tag],
    description: o.description,
    operationId: o.operationId,
    consumes: o.bodyTypes ?? ['*/*'],
    produces: o.produces,
    schemes: ['https'],
    ...(params.length ? { parameters: params } : {}),
    responses,
    ...gvkExtension(o.gvk),
    'x-kubernetes-action': o.action,
  };
}

function refsOf(items: PathItem[]): string[] {
  const names: string[] = [];
  for (const item of items) {
    for (const o of item.operations) {
      if (o.body) names.push(o.body);
      if (o.response) names.push(o.response);
    }
  }
  return names;
}

const INFO = { title: 'Kubernetes', version: GIT_VERSION };

function v3Document(items: PathItem[]): JsonSchema {
  const defs = allDefinitions();
  const schemas: Record<string, JsonSchema> = {};
  for (const name of reachable(defs, refsOf(items))) schemas[name] = toV3Schema(name, defs[name]!);
  const paths: Record<string, unknown> = {};
  for (const item of items) {
    const pathItem: Record<string, unknown> = {};
    for (const o of item.operations) pathItem[o.method] = renderV3Operation(o);
    pathItem.parameters = item.params.map(v3Param);
    paths[item.path] = pathItem;
  }
  return {
    openapi: '3.0.0',
    info: INFO,
    paths,
    components: {
      schemas,
      securitySchemes: {
        BearerToken: {
          type: 'apiKey',
          description: 'Bearer Token authentication',
          name: 'authorization',
          in: 'header',
        },
      },
    },
    security: [{ BearerToken: [] }],
  };
}

function v2Document(items: PathItem[]): JsonSchema {
  const paths: Record<string, unknown> = {};
  for (const item of items) {
    const pathItem: Record<string, unknown> = {};
    for (const o of item.operations) pathItem[o.method] = renderV2Operation(o);
    pathItem.parameters = item.params.map(v2Param);
    paths[item.path] = pathItem;
  }
  const defs = allDefinitions();
  const sorted = Object.fromEntries(
    Object.keys(defs)
      .sort()
      .map((k) => [k, defs[k]]),
  );
  return {
    swagger: '2.0',
    info: INFO,
    paths,
    definitions: sorted,
    securityDefinitions: {
      BearerToken: {
        type: 'apiKey',
        description: 'Bearer Token authentication',
        name: 'authorization',
        in: 'header',
      },
    },
    security: [{ BearerToken: [] }],
  };
}

// ---- serving -------------------------------------------------------------------------------

/** One served form of a document. */
interface Representation {
  body: string | Buffer;
  /** Uppercase hex sha512 of the body, as Kubernetes computes it; the ETag. */
  hash: string;
}

interface Served extends Representation {
  body: string;
}

interface Documents {
  v2: Served;
  /** The v2 document as gnostic protobuf; encoded on first request, as only kubectl's List validation asks. */
  v2Protobuf?: Representation;
  index: Served;
  /** "api/v1", "apis/apps/v1" → document. */
  groupVersions: Map<string, Served>;
}

let documents: Documents | undefined;

function served(value: Buffer): Representation;
function served(value: unknown): Served;
/** A document as JSON text, or bytes already encoded, with its hash. */
function served(value: unknown): Representation {
  const body = Buffer.isBuffer(value) ? value : JSON.stringify(value);
  return { body, hash: createHash('sha512').update(body).digest('hex').toUpperCase() };
}

function build(): Documents {
  const byGv = new Map<string, PathItem[]>();
  const all: PathItem[] = [];
  for (const def of RESOURCES) {
    const key = def.group ? `apis/${def.group}/${def.version}` : `api/${def.version}`;
    const items = resourcePaths(def);
    byGv.set(key, [...(byGv.get(key) ?? []), ...items]);
    all.push(...items);
  }
  const groupVersionDocs = new Map<string, Served>();
  for (const gv of groupVersions()) {
    const key = gv.group ? `apis/${gv.group}/${gv.version}` : `api/${gv.version}`;
    groupVersionDocs.set(key, served(v3Document(byGv.get(key) ?? [])));
  }
  const index: Record<string, { serverRelativeURL: string }> = {};
  for (const [key, doc] of groupVersionDocs)
    index[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${doc.hash}` };
  return { v2: served(v2Document(all)), index: served({ paths: index }), groupVersions: groupVersionDocs };
}

/** Builds the documents now rather than on the first request (e.g. at server start). */
export function warmOpenAPI(): void {
  documents ??= build();
}

/** Whether the Accept header allows JSON (absent, *\/*, application/*, application/json). */
function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept.split(',').some((range) => {
    const type = range.split(';')[0]!.trim().toLowerCase();
    return type === '*/*' || type === 'application/*' || type === 'application/json';
  });
}

/** The protobuf media type of /openapi/v2, and the older spelling that clients still send. */
const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
const OPENAPI_V2_PROTOBUF_OLD = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/**
 * Which form of /openapi/v2 the Accept header asks for, negotiated as Kubernetes' OpenAPI
 * handler does: ranges by descending q (wildcards after exact types at equal q), the first
 * range that matches JSON or either protobuf spelling wins, JSON first for wildcards; undefined
 * when none matches (406).
 */
export function negotiateOpenAPIV2(accept: string | undefined): 'json' | 'protobuf' | undefined {
  const ranges = (accept?.trim() ? accept : '*/*')
    .split(',')
    .map((range, order) => {
      const [mediaType = '', ...params] = range.split(';').map((p) => p.trim());
      const qParam = params.find((p) => p.toLowerCase().startsWith('q='));
      const q = qParam ? Number(qParam.slice(2)) : 1;
      const [type = '', subtype = ''] = mediaType.toLowerCase().split('/');
      return { type, subtype, q: Number.isFinite(q) ? q : 0, order };
    })
    .filter((r) => r.type && r.subtype && r.q > 0)
    .sort(
      (a, b) =>
        b.q - a.q ||
        Number(a.type === '*') - Number(b.type === '*') ||
        Number(a.subtype === '*') - Number(b.subtype === '*') ||
        a.order - b.order,
    );
  const offered = [
    ['application/json', 'json'],
    [OPENAPI_V2_PROTOBUF_OLD, 'protobuf'],
    [OPENAPI_V2_PROTOBUF, 'protobuf'],
  ] as const;
  for (const r of ranges) {
    for (const [mediaType, form] of offered) {
      const [type, subtype] = mediaType.split('/');
      if ((r.type === '*' || r.type === type) && (r.subtype === '*' || r.subtype === subtype)) return form;
    }
  }
  return undefined;
}

function respond(req: ApiRequest, doc: Representation, extra: Record<string, string> = {}): ApiResponse {
  const etag = `"${doc.hash}"`;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    etag,
    vary: 'Accept',
    ...extra,
  };
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch?.split(',').some((t) => t.trim() === etag)) return { status: 304, headers, body: '' };
  return { status: 200, headers, body: req.method === 'HEAD' ? '' : doc.body };
}

function notAcceptable(offered: string): ApiResponse {
  return {
    status: 406,
    headers: { 'content-type': 'text/plain', vary: 'Accept' },
    body: `only ${offered} is served\n`,
  };
}

/** Answers /openapi/v2, /openapi/v3 and /openapi/v3/<group-version>; undefined for other paths. */
export function openapiResponse(req: ApiRequest): ApiResponse | undefined {
  if (!req.path.startsWith('/openapi/')) return undefined;
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  documents ??= build();
  if (req.path === '/openapi/v2') {
    // client-go asks for protobuf only and cannot read JSON here. Kubernetes gives both forms the
    // JSON's ETag; the protobuf form gets its own here, because kubectl's HTTP cache may still
    // hold the JSON that earlier Shoal versions sent for the protobuf Accept, and a shared ETag
    // would have it revalidated (304) and parsed as protobuf again.
    const form = negotiateOpenAPIV2(req.headers.accept);
    if (!form) return notAcceptable(`application/json or ${OPENAPI_V2_PROTOBUF}`);
    if (form === 'json') return respond(req, documents.v2);
    documents.v2Protobuf ??= served(encodeOpenAPIV2Protobuf(JSON.parse(documents.v2.body)));
    return respond(req, documents.v2Protobuf, { 'content-type': OPENAPI_V2_PROTOBUF });
  }
  if (req.path === '/openapi/v3') return respond(req, documents.index);
  if (!req.path.startsWith('/openapi/v3/')) return undefined;
  const key = req.path.slice('/openapi/v3/'.length);
  const doc = documents.groupVersions.get(key);
  if (!doc) return undefined;
  if (!acceptsJson(req.headers.accept)) return notAcceptable('application/json');
  const hash = req.query.get('hash');
  if (hash === null) return respond(req, doc, { 'cache-control': 'no-cache, private' });
  if (hash !== doc.hash) {
    // A stale pinned URL: send the client to the current one, as Kubernetes does.
    const location = `/openapi/v3/${key}?hash=${doc.hash}`;
    return {
      status: 301,
      headers: { location, 'content-type': 'text/plain' },
      body: `moved to ${location}\n`,
    };
  }
  const expires = new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString();
  return respond(req, doc, { 'cache-control': 'public, immutable', expires });
}

/** For tests and tools: the parsed v3 document of a group-version ("api/v1", "apis/apps/v1"). */
export function openapiV3Document(groupVersion: string): JsonSchema | undefined {
  documents ??= build();
  const doc = documents.groupVersions.get(groupVersion);
  return doc ? (JSON.parse(doc.body) as JsonSchema) : undefined;
}
