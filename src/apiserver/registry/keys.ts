/**
 * Where objects live in the store: `/registry/<group or core>/<resource>/<namespace>/<name>` for
 * namespaced kinds and `/registry/<group or core>/<resource>/<name>` for cluster-scoped ones. The
 * trailing slash in prefixes keeps namespace "a" from matching namespace "ab".
 */
import type { ResourceDef } from '../../api/resources.js';

export function resourcePrefix(def: ResourceDef): string {
  return `/registry/${def.group || 'core'}/${def.resource}/`;
}

export function collectionPrefix(def: ResourceDef, namespace: string | undefined): string {
  return def.namespaced && namespace ? `${resourcePrefix(def)}${namespace}/` : resourcePrefix(def);
}

export function objectKey(def: ResourceDef, namespace: string | undefined, name: string): string {
  return def.namespaced ? `${resourcePrefix(def)}${namespace}/${name}` : `${resourcePrefix(def)}${name}`;
}
