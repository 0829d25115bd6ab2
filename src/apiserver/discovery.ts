/**
 * Discovery: /version, /api, /apis, /apis/GROUP, /api/v1 and /apis/GROUP/VERSION, in the
 * legacy form (APIVersions, APIGroupList, APIResourceList) and, when the client asks for it in
 * Accept as kubectl does, the aggregated form (apidiscovery.k8s.io/v2 APIGroupDiscoveryList) that
 * lists every resource in one response. Everything is derived from the resource table and
 * serialized once; responses carry an ETag so clients revalidate cheaply.
 */
import { createHash } from 'node:crypto';
import {
  apiVersionOf,
  groupVersions,
  RESOURCES,
  type ResourceDef,
  type Subresource,
} from '../api/resources.js';
import { KUBERNETES_MAJOR, KUBERNETES_MINOR, KUBERNETES_VERSION } from '../api/version.js';
import type { ApiRequest, ApiResponse } from './http-types.js';

/** The Kubernetes release whose API Shoal speaks; kubectl compares its own minor with this. */
export const GIT_VERSION = `v${KUBERNETES_VERSION}+shoal`;

interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

interface SubresourceInfo {
  /** The kind the subresource takes and returns; undefined: the parent's kind. */
  kind?: string;
  /** Set when the kind lives in another group/version (Scale, Eviction). */
  groupVersion?: { group: string; version: string };
  verbs: string[];
}

/** What each subresource serves, as Kubernetes describes it in discovery. */
const SUBRESOURCES: Record<Subresource, SubresourceInfo> = {
  status: { verbs: ['get', 'patch', 'update'] },
  scale: {
    kind: 'Scale',
    groupVersion: { group: 'autoscaling', version: 'v1' },
    verbs: ['get', 'patch', 'update'],
  },
  binding: { kind: 'Binding', verbs: ['create'] },
  eviction: { kind: 'Eviction', groupVersion: { group: 'policy', version: 'v1' }, verbs: ['create'] },
  log: { verbs: ['get'] },
  exec: { kind: 'PodExecOptions', verbs: ['create', 'get'] },
  attach: { kind: 'PodAttachOptions', verbs: ['create', 'get'] },
  portforward: { kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
};

/** The group/version/kind a subresource of `def` answers with. */
export function subresourceKind(def: ResourceDef, sub: Subresource): GroupVersionKind {
  const info = SUBRESOURCES[sub];
  const gv = info.groupVersion ?? { group: def.group, version: def.version };
  return { ...gv, kind: info.kind ?? def.kind };
}

/** The verbs a subresource serves. */
function subresourceVerbs(sub: Subresource): string[] {
  return [...SUBRESOURCES[sub].verbs];
}

/** Kubernetes' storageVersionHash: the first 8 bytes of sha256("group/version/kind"), base64. */
function storageVersionHash(def: ResourceDef): string {
  return createHash('sha256')
    .update(`${def.group}/${def.version}/${def.kind}`)
    .digest()
    .subarray(0, 8)
    .toString('base64');
}

function apiResources(group: string, version: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const def of RESOURCES) {
    if (def.group !== group || def.version !== version) continue;
    out.push({
      name: def.resource,
      singularName: def.singular,
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: [...def.verbs].sort(),
      ...(def.shortNames.length ? { shortNames: def.shortNames } : {}),
      ...(def.categories.length ? { categories: def.categories } : {}),
      storageVersionHash: storageVersionHash(def),
    });
    for (const sub of def.subresources) {
      const gvk = subresourceKind(def, sub);
      const elsewhere = gvk.group !== def.group || gvk.version !== def.version;
      out.push({
        name: `${def.resource}/${sub}`,
        singularName: '',
        namespaced: def.namespaced,
        ...(elsewhere ? { group: gvk.group, version: gvk.version } : {}),
        kind: gvk.kind,
        verbs: subresourceVerbs(sub),
      });
    }
  }
  return out.sort((a, b) => String(a.name).localeCompare(String(b.name)));
}

function apiGroup(group: string): Record<string, unknown> {
  const versions = groupVersions()
    .filter((gv) => gv.group === group)
    .map((gv) => ({ groupVersion: apiVersionOf(gv), version: gv.version }));
  return { name: group, versions, preferredVersion: versions[0] };
}

function namedGroups(): string[] {
  return [...new Set(groupVersions().map((gv) => gv.group))].filter((g) => g !== '');
}

/** apidiscovery.k8s.io APIGroupDiscovery for one group ('' is the core group at /api). */
function groupDiscovery(group: string): Record<string, unknown> {
  const versions = groupVersions()
    .filter((gv) => gv.group === group)
    .map((gv) => ({
      version: gv.version,
      resources: RESOURCES.filter((d) => d.group === group && d.version === gv.version).map((def) => ({
        resource: def.resource,
        responseKind: { group: def.group, version: def.version, kind: def.kind },
        scope: def.namespaced ? 'Namespaced' : 'Cluster',
        singularResource: def.singular,
        verbs: [...def.verbs].sort(),
        ...(def.shortNames.length ? { shortNames: def.shortNames } : {}),
        ...(def.categories.length ? { categories: def.categories } : {}),
        ...(def.subresources.length
          ? {
              subresources: def.subresources.map((sub) => ({
                subresource: sub,
                responseKind: subresourceKind(def, sub),
                verbs: subresourceVerbs(sub),
              })),
            }
          : {}),
      })),
      freshness: 'Current',
    }));
  return { metadata: group ? { name: group } : {}, versions };
}

function platform(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  return `${process.platform}/${arch}`;
}

function versionInfo(): Record<string, string> {
  return {
    major: KUBERNETES_MAJOR,
    minor: KUBERNETES_MINOR,
    gitVersion: GIT_VERSION,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'node',
    platform: platform(),
  };
}

/** A serialized document with its ETag. */
interface Doc {
  body: string;
  etag: string;
  contentType: string;
}

const JSON_TYPE = 'application/json';
const AGGREGATED_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const AGGREGATED_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

function doc(value: unknown, contentType = JSON_TYPE): Doc {
  const body = JSON.stringify(value);
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
  return { body, etag, contentType };
}

interface Documents {
  /** Legacy documents by path (/version, /api, /apis, /apis/apps, /api/v1, /apis/apps/v1). */
  byPath: Map<string, Doc>;
  /** Aggregated discovery for /api and /apis, per apidiscovery version. */
  aggregated: Map<string, Doc>;
}

let documents: Documents | undefined;

function build(): Documents {
  const byPath = new Map<string, Doc>();
  byPath.set('/version', doc(versionInfo()));
  // serverAddressByClientCIDRs depends on the request's host, so /api is finished per request.
  byPath.set('/apis', doc({ kind: 'APIGroupList', apiVersion: 'v1', groups: namedGroups().map(apiGroup) }));
  for (const group of namedGroups()) {
    byPath.set(`/apis/${group}`, doc({ kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group) }));
  }
  for (const gv of groupVersions()) {
    const path = gv.group ? `/apis/${gv.group}/${gv.version}` : `/api/${gv.version}`;
    byPath.set(
      path,
      doc({
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: apiVersionOf(gv),
        resources: apiResources(gv.group, gv.version),
      }),
    );
  }
  const aggregated = new Map<string, Doc>();
  for (const [version, contentType] of [
    ['v2', AGGREGATED_V2],
    ['v2beta1', AGGREGATED_V2BETA1],
  ] as const) {
    const list = (items: Record<string, unknown>[]) => ({
      kind: 'APIGroupDiscoveryList',
      apiVersion: `apidiscovery.k8s.io/${version}`,
      metadata: {},
      items,
    });
    aggregated.set(`/api ${version}`, doc(list([groupDiscovery('')]), contentType));
    aggregated.set(`/apis ${version}`, doc(list(namedGroups().map(groupDiscovery)), contentType));
  }
  return { byPath, aggregated };
}

/**
 * Which aggregated discovery version the Accept header asks for, if any: the first media range
 * that is application/json with g=apidiscovery.k8s.io and as=APIGroupDiscoveryList.
 */
export function acceptedAggregatedVersion(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (!accept) return undefined;
  for (const range of accept.split(',')) {
    const [type, ...rawParams] = range.split(';').map((s) => s.trim());
    if (type !== 'application/json') continue;
    const params = new Map(
      rawParams.map((p) => {
        const eq = p.indexOf('=');
        return [p.slice(0, eq).trim(), p.slice(eq + 1).trim()] as const;
      }),
    );
    if (params.get('g') !== 'apidiscovery.k8s.io' || params.get('as') !== 'APIGroupDiscoveryList') continue;
    const version = params.get('v');
    if (version === 'v2' || version === 'v2beta1') return version;
  }
  return undefined;
}

function respond(req: ApiRequest, d: Doc): ApiResponse {
  const headers: Record<string, string> = {
    'content-type': d.contentType,
    etag: d.etag,
    vary: 'Accept',
    'cache-control': 'no-cache, private',
  };
  if (req.headers['if-none-match'] === d.etag) return { status: 304, headers, body: '' };
  return { status: 200, headers, body: req.method === 'HEAD' ? '' : d.body };
}

/** Answers discovery requests; undefined for any other path. */
export function discoveryResponse(req: ApiRequest): ApiResponse | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  const path = req.path.length > 1 && req.path.endsWith('/') ? req.path.slice(0, -1) : req.path;
  documents ??= build();
  if (path === '/api' || path === '/apis') {
    const version = acceptedAggregatedVersion(req.headers.accept);
    if (version) return respond(req, documents.aggregated.get(`${path} ${version}`)!);
    if (path === '/api') {
      const host = req.headers.host ?? '127.0.0.1:6443';
      return respond(
        req,
        doc({
          kind: 'APIVersions',
          versions: groupVersions()
            .filter((gv) => gv.group === '')
            .map((gv) => gv.version),
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }],
        }),
      );
    }
  }
  const found = documents.byPath.get(path);
  return found ? respond(req, found) : undefined;
}
