/**
 * A walk through a kind's schema, field by field: what the patch engines (strategic merge,
 * server-side apply) and strict field validation need to know about each position in an object.
 * The generated OpenAPI schemas implement it (see index.ts); tests may use small hand-made ones.
 */

export type NodeShape =
  /** A struct with named fields. */
  | 'object'
  /** A map with free-form string keys (labels, data, ...). */
  | 'map'
  | 'array'
  | 'scalar'
  /** Anything goes (x-kubernetes-preserve-unknown-fields, RawExtension, IntOrString is scalar). */
  | 'unknown';

export interface SchemaNode {
  shape: NodeShape;
  /** For objects: the child at a field name; undefined when the field is not declared. */
  field(name: string): SchemaNode | undefined;
  /** For objects: the declared field names. */
  fieldNames(): string[];
  /** For arrays: the item schema. For maps: the value schema. */
  elements(): SchemaNode | undefined;
  /** Kubernetes' x-kubernetes-patch-strategy, e.g. 'merge', 'retainKeys', 'merge,retainKeys', 'replace'. */
  patchStrategy?: string;
  /** Kubernetes' x-kubernetes-patch-merge-key, e.g. 'name' for containers. */
  patchMergeKey?: string;
  /** x-kubernetes-list-type: 'atomic' | 'set' | 'map'. */
  listType?: 'atomic' | 'set' | 'map';
  /** x-kubernetes-list-map-keys. */
  listMapKeys?: string[];
  /** x-kubernetes-map-type: 'atomic' | 'granular'. */
  mapType?: 'atomic' | 'granular';
  /** For scalars: 'string' | 'integer' | 'number' | 'boolean' | 'int-or-string' | 'quantity' | 'date-time' | 'byte'. */
  scalarType?: string;
}
