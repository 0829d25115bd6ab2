/**
 * URL → what is being addressed. Kubernetes' paths:
 *   /api/v1/{resource}[/{name}[/{subresource}]]                       (cluster-scoped, or all namespaces)
 *   /api/v1/namespaces/{namespace}/{resource}[/{name}[/{subresource}]]
 *   /apis/{group}/{version}/...                                       (the same below a named group)
 */
import { lookupResource, type ResourceDef } from '../api/resources.js';

export interface ResourceRoute {
  def: ResourceDef;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export type Route =
  | { type: 'resource'; route: ResourceRoute }
  /** A group/version path with no such resource. */
  | { type: 'unknown' }
  /** Not an API resource path (discovery, openapi, health). */
  | { type: 'other' };

export function parsePath(path: string): Route {
  const segments = path.split('/').filter((s) => s !== '');
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 3) {
    group = '';
    version = segments[1]!;
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    group = segments[1]!;
    version = segments[2]!;
    rest = segments.slice(3);
  } else {
    return { type: 'other' };
  }
  rest = rest.map(decodeURIComponent);
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const inner = lookupResource(group, version, rest[2]!);
    // /api/v1/namespaces/{name}/status and /finalize address the namespace itself.
    if (inner?.namespaced && rest.length <= 5) {
      return {
        type: 'resource',
        route: {
          def: inner,
          namespace: rest[1]!,
          ...(rest[3] ? { name: rest[3] } : {}),
          ...(rest[4] ? { subresource: rest[4] } : {}),
        },
      };
    }
  }
  const def = lookupResource(group, version, rest[0]!);
  if (!def || rest.length > 3) return { type: 'unknown' };
  return {
    type: 'resource',
    route: { def, ...(rest[1] ? { name: rest[1] } : {}), ...(rest[2] ? { subresource: rest[2] } : {}) },
  };
}
