/**
 * The OpenAPI schemas of the served kinds: definitions generated from `kubernetes-types`
 * (scripts/gen-schemas.mjs → generated/definitions.json), with the patch metadata of
 * patch-metadata.ts injected, loaded once on first use. `schemaFor` walks them as
 * `SchemaNode`s for the patch engines; `unknownFields` finds what strict field validation rejects.
 * The OpenAPI documents (apiserver/openapi.ts) serve the same definitions.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isPlainObject } from '../object.js';
import type { ResourceDef } from '../resources.js';
import type { NodeShape, SchemaNode } from './navigator.js';
import { ATOMIC_STRUCTS, FIELD_PATCH_METADATA } from './patch-metadata.js';

export type { NodeShape, SchemaNode } from './navigator.js';

/** One JSON schema in Kubernetes' OpenAPI v2 form (refs are `#/definitions/NAME`). */
export type JsonSchema = { [key: string]: unknown };

export const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
export const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

const REF_PREFIX = '#/definitions/';

interface Loaded {
  definitions: Record<string, JsonSchema>;
  /** "group/version/kind" → definition name. */
  byGvk: Map<string, string>;
  nodes: Map<string, Node>;
}

let loaded: Loaded | undefined;

/** The generated file, found from src/ (tests run by a TypeScript loader) or dist/src/ (compiled). */
function definitionsFile(): string {
  const candidates = [
    new URL('./generated/definitions.json', import.meta.url),
    new URL('../../../../src/api/schema/generated/definitions.json', import.meta.url),
  ].map((u) => fileURLToPath(u));
  const found = candidates.find((p) => existsSync(p));
  if (!found)
    throw new Error(
      `schema definitions not found (looked in ${candidates.join(', ')}): run npm run gen:schemas`,
    );
  return found;
}

function load(): Loaded {
  if (loaded) return loaded;
  const parsed = JSON.parse(readFileSync(definitionsFile(), 'utf8')) as {
    definitions: Record<string, JsonSchema>;
  };
  const definitions = parsed.definitions;
  for (const [name, fields] of Object.entries(FIELD_PATCH_METADATA)) {
    const properties = definitions[name]?.properties as Record<string, JsonSchema> | undefined;
    if (!properties) continue;
    for (const [field, meta] of Object.entries(fields)) {
      const prop = properties[field];
      if (!prop) continue;
      if (meta.patchStrategy) prop['x-kubernetes-patch-strategy'] = meta.patchStrategy;
      if (meta.patchMergeKey) prop['x-kubernetes-patch-merge-key'] = meta.patchMergeKey;
      if (meta.listType) prop['x-kubernetes-list-type'] = meta.listType;
      if (meta.listMapKeys) prop['x-kubernetes-list-map-keys'] = [...meta.listMapKeys];
      if (meta.mapType) prop['x-kubernetes-map-type'] = meta.mapType;
    }
  }
  for (const name of ATOMIC_STRUCTS) {
    const def = definitions[name];
    if (def) def['x-kubernetes-map-type'] = 'atomic';
  }
  const byGvk = new Map<string, string>();
  for (const [name, def] of Object.entries(definitions)) {
    const gvks = def['x-kubernetes-group-version-kind'] as
      | { group: string; version: string; kind: string }[]
      | undefined;
    for (const g of gvks ?? []) byGvk.set(`${g.group}/${g.version}/${g.kind}`, name);
  }
  loaded = { definitions, byGvk, nodes: new Map() };
  return loaded;
}

/** All definitions, by Kubernetes name, patch metadata included. Shared: do not modify. */
export function definitions(): Readonly<Record<string, JsonSchema>> {
  return load().definitions;
}

/** The definition name of a group/version/kind ("io.k8s.api.apps.v1.Deployment"), if there is one. */
export function definitionNameForKind(group: string, version: string, kind: string): string | undefined {
  return load().byGvk.get(`${group}/${version}/${kind}`);
}

/** The definition name of a served kind. */
export function definitionName(def: Pick<ResourceDef, 'group' | 'version' | 'kind'>): string {
  const name = definitionNameForKind(def.group, def.version, def.kind);
  if (!name) throw new Error(`no schema for ${def.group}/${def.version} ${def.kind}`);
  return name;
}

/** The definition name a `$ref` points at. */
export function refName(ref: string): string {
  return ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : ref;
}

/** The schema of a served kind, as a navigable tree. */
export function schemaFor(def: ResourceDef): SchemaNode {
  return schemaForDefinition(definitionName(def));
}

/** The schema of any generated definition (e.g. io.k8s.api.autoscaling.v1.Scale for /scale). */
export function schemaForDefinition(name: string): SchemaNode {
  const state = load();
  let node = state.nodes.get(name);
  if (!node) {
    const def = state.definitions[name];
    if (!def) throw new Error(`no schema definition ${name}`);
    node = new Node(def, name, undefined);
    state.nodes.set(name, node);
  }
  return node;
}

/**
 * The fields of `object` that the kind's schema does not declare, as Kubernetes names them in
 * `unknown field "spec.foo"`: dotted, with list indexes (`spec.containers[0].bogus`). Maps
 * (labels, annotations, data) and free-form areas (RawExtension) are not checked.
 */
export function unknownFields(def: ResourceDef, object: unknown): string[] {
  const out: string[] = [];
  walk(schemaFor(def), object, '', (_holder, _key, path) => out.push(path) < MAX_REPORTED);
  return out;
}

/**
 * Removes from `object` the fields its kind's schema does not declare, as Kubernetes drops them
 * when it decodes a request into its types, and names them as `unknownFields` does (the first
 * 100; every one is removed).
 */
export function pruneUnknownFields(def: ResourceDef, object: unknown): string[] {
  const out: string[] = [];
  walk(schemaFor(def), object, '', (holder, key, path) => {
    delete holder[key];
    if (out.length < MAX_REPORTED) out.push(path);
    return true;
  });
  return out;
}

/** Kubernetes reports at most this many unknown fields in one error; more is noise. */
const MAX_REPORTED = 100;

/**
 * Calls `unknown` for each field the schema does not declare, with the object holding it, until
 * `unknown` returns false. Returns false once stopped.
 */
function walk(
  node: SchemaNode,
  value: unknown,
  path: string,
  unknown: (holder: Record<string, unknown>, key: string, path: string) => boolean,
): boolean {
  switch (node.shape) {
    case 'object': {
      if (!isPlainObject(value)) return true;
      for (const key of Object.keys(value)) {
        const child = node.field(key);
        const childPath = path ? `${path}.${key}` : key;
        if (!(child ? walk(child, value[key], childPath, unknown) : unknown(value, key, childPath)))
          return false;
      }
      return true;
    }
    case 'array': {
      const items = node.elements();
      if (!Array.isArray(value) || !items || !isStructured(items)) return true;
      for (let i = 0; i < value.length; i++)
        if (!walk(items, value[i], `${path}[${i}]`, unknown)) return false;
      return true;
    }
    case 'map': {
      const values = node.elements();
      if (!isPlainObject(value) || !values || !isStructured(values)) return true;
      for (const [key, item] of Object.entries(value))
        if (!walk(values, item, `${path}.${key}`, unknown)) return false;
      return true;
    }
    default:
      return true;
  }
}

function isStructured(node: SchemaNode): boolean {
  return node.shape === 'object' || node.shape === 'array' || node.shape === 'map';
}

const LIST_TYPES = new Set(['atomic', 'set', 'map']);
const MAP_TYPES = new Set(['atomic', 'granular']);

/**
 * A position in a schema: the schema written there (with its own extensions) over the
 * definition it refers to. Children are made on first use and kept, so each definition's tree
 * is built once however often it is walked.
 */
class Node implements SchemaNode {
  readonly shape: NodeShape;
  readonly patchStrategy?: string;
  readonly patchMergeKey?: string;
  readonly listType?: 'atomic' | 'set' | 'map';
  readonly listMapKeys?: string[];
  readonly mapType?: 'atomic' | 'granular';
  readonly scalarType?: string;
  /** The definition this position refers to, if any. */
  readonly definition?: string;
  private readonly resolved: JsonSchema;
  private readonly children = new Map<string, Node | null>();
  private elementNode: Node | null | undefined;

  constructor(schema: JsonSchema, definition: string | undefined, own: JsonSchema | undefined) {
    this.definition = definition;
    this.resolved = schema;
    const ext = (key: string): unknown => own?.[key] ?? schema[key];
    const strategy = ext('x-kubernetes-patch-strategy');
    if (typeof strategy === 'string') this.patchStrategy = strategy;
    const mergeKey = ext('x-kubernetes-patch-merge-key');
    if (typeof mergeKey === 'string') this.patchMergeKey = mergeKey;
    const listType = ext('x-kubernetes-list-type');
    if (typeof listType === 'string' && LIST_TYPES.has(listType))
      this.listType = listType as Node['listType'];
    const mapKeys = ext('x-kubernetes-list-map-keys');
    if (Array.isArray(mapKeys)) this.listMapKeys = mapKeys.map(String);
    const mapType = ext('x-kubernetes-map-type');
    if (typeof mapType === 'string' && MAP_TYPES.has(mapType)) this.mapType = mapType as Node['mapType'];
    const [shape, scalarType] = shapeOf(schema, definition);
    this.shape = ext('x-kubernetes-preserve-unknown-fields') === true ? 'unknown' : shape;
    if (scalarType) this.scalarType = scalarType;
  }

  field(name: string): SchemaNode | undefined {
    if (this.shape !== 'object') return undefined;
    let child = this.children.get(name);
    if (child === undefined) {
      const properties = this.resolved.properties as Record<string, JsonSchema> | undefined;
      const prop = properties && Object.hasOwn(properties, name) ? properties[name] : undefined;
      child = prop ? nodeAt(prop) : null;
      this.children.set(name, child);
    }
    return child ?? undefined;
  }

  fieldNames(): string[] {
    if (this.shape !== 'object') return [];
    return Object.keys((this.resolved.properties as Record<string, JsonSchema> | undefined) ?? {});
  }

  elements(): SchemaNode | undefined {
    if (this.elementNode === undefined) {
      const inner =
        this.shape === 'array'
          ? this.resolved.items
          : this.shape === 'map'
            ? this.resolved.additionalProperties
            : undefined;
      this.elementNode = isPlainObject(inner) ? nodeAt(inner) : null;
    }
    return this.elementNode ?? undefined;
  }
}

/** The node for a schema written at some position: shared definition nodes for bare `$ref`s. */
function nodeAt(schema: JsonSchema): Node {
  const ref = typeof schema.$ref === 'string' ? refName(schema.$ref) : undefined;
  if (!ref) return new Node(schema, undefined, undefined);
  const hasOwnExtensions = Object.keys(schema).some((k) => k.startsWith('x-kubernetes-'));
  if (!hasOwnExtensions) return schemaForDefinition(ref) as Node;
  const target = load().definitions[ref];
  if (!target) throw new Error(`no schema definition ${ref}`);
  return new Node(target, ref, schema);
}

function shapeOf(schema: JsonSchema, definition: string | undefined): [NodeShape, string?] {
  if (definition === INT_OR_STRING) return ['scalar', 'int-or-string'];
  if (definition === QUANTITY) return ['scalar', 'quantity'];
  const type = schema.type;
  switch (type) {
    case 'array':
      return ['array'];
    case 'string': {
      const format = schema.format;
      if (format === 'date-time' || format === 'byte' || format === 'int-or-string')
        return ['scalar', format];
      return ['scalar', 'string'];
    }
    case 'integer':
    case 'number':
    case 'boolean':
      return ['scalar', type];
    default: {
      if (isPlainObject(schema.properties)) return ['object'];
      if (isPlainObject(schema.additionalProperties)) return ['map'];
      // An object with nothing declared (RawExtension, FieldsV1) or a schema without a type.
      return ['unknown'];
    }
  }
}
