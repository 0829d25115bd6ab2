/**
 * The kinds Shoal serves, described once: names, scope, subresources and verbs. Discovery,
 * routing, storage keys, OpenAPI and the CLI all read this table, so a kind is added in one place.
 */

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export type Subresource =
  | 'status'
  | 'scale'
  | 'binding'
  | 'eviction'
  | 'log'
  | 'exec'
  | 'attach'
  | 'portforward';

export interface ResourceDef {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
  listKind: string;
  /** Plural, lower case: the URL segment ("pods"). */
  resource: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  verbs: Verb[];
  subresources: Subresource[];
  categories: string[];
  /**
   * The spec/status split: on writes to the main resource the server keeps the stored status,
   * and on writes to /status it keeps everything but status. Kinds without a status subresource
   * store what they are given.
   */
  hasStatus: boolean;
  /**
   * Where this kind's definition lives in the `kubernetes-types` package (module path and type
   * name), from which the OpenAPI schemas are generated.
   */
  typeSource: { module: string; type: string };
}

const ALL_VERBS: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

interface Spec {
  kind: string;
  resource: string;
  shortNames?: string[];
  namespaced?: boolean;
  subresources?: Subresource[];
  all?: boolean;
  verbs?: Verb[];
}

function define(group: string, version: string, module: string, specs: Spec[]): ResourceDef[] {
  return specs.map((s) => ({
    group,
    version,
    kind: s.kind,
    listKind: `${s.kind}List`,
    resource: s.resource,
    singular: s.kind.toLowerCase(),
    shortNames: s.shortNames ?? [],
    namespaced: s.namespaced ?? true,
    verbs: s.verbs ?? ALL_VERBS,
    subresources: s.subresources ?? [],
    categories: s.all ? ['all'] : [],
    hasStatus: (s.subresources ?? []).includes('status'),
    typeSource: { module, type: s.kind },
  }));
}

export const RESOURCES: readonly ResourceDef[] = [
  ...define('', 'v1', 'core/v1', [
    {
      kind: 'Namespace',
      resource: 'namespaces',
      shortNames: ['ns'],
      namespaced: false,
      subresources: ['status'],
    },
    { kind: 'Node', resource: 'nodes', shortNames: ['no'], namespaced: false, subresources: ['status'] },
    {
      kind: 'Pod',
      resource: 'pods',
      shortNames: ['po'],
      all: true,
      subresources: ['status', 'binding', 'eviction', 'log', 'exec', 'attach', 'portforward'],
    },
    { kind: 'Service', resource: 'services', shortNames: ['svc'], all: true, subresources: ['status'] },
    { kind: 'Endpoints', resource: 'endpoints', shortNames: ['ep'] },
    { kind: 'ConfigMap', resource: 'configmaps', shortNames: ['cm'] },
    { kind: 'Secret', resource: 'secrets' },
    { kind: 'Event', resource: 'events', shortNames: ['ev'] },
    { kind: 'ServiceAccount', resource: 'serviceaccounts', shortNames: ['sa'] },
  ]),
  ...define('apps', 'v1', 'apps/v1', [
    {
      kind: 'Deployment',
      resource: 'deployments',
      shortNames: ['deploy'],
      all: true,
      subresources: ['status', 'scale'],
    },
    {
      kind: 'ReplicaSet',
      resource: 'replicasets',
      shortNames: ['rs'],
      all: true,
      subresources: ['status', 'scale'],
    },
    { kind: 'DaemonSet', resource: 'daemonsets', shortNames: ['ds'], all: true, subresources: ['status'] },
    {
      kind: 'StatefulSet',
      resource: 'statefulsets',
      shortNames: ['sts'],
      all: true,
      subresources: ['status', 'scale'],
    },
    // Immutable snapshots of a DaemonSet's or StatefulSet's template, one per revision.
    { kind: 'ControllerRevision', resource: 'controllerrevisions' },
  ]),
  ...define('batch', 'v1', 'batch/v1', [
    { kind: 'Job', resource: 'jobs', all: true, subresources: ['status'] },
    { kind: 'CronJob', resource: 'cronjobs', shortNames: ['cj'], all: true, subresources: ['status'] },
  ]),
  ...define('autoscaling', 'v2', 'autoscaling/v2', [
    {
      kind: 'HorizontalPodAutoscaler',
      resource: 'horizontalpodautoscalers',
      shortNames: ['hpa'],
      all: true,
      subresources: ['status'],
    },
  ]),
  ...define('networking.k8s.io', 'v1', 'networking/v1', [
    { kind: 'Ingress', resource: 'ingresses', shortNames: ['ing'], subresources: ['status'] },
    { kind: 'IngressClass', resource: 'ingressclasses', namespaced: false },
    { kind: 'NetworkPolicy', resource: 'networkpolicies', shortNames: ['netpol'] },
  ]),
  ...define('coordination.k8s.io', 'v1', 'coordination/v1', [{ kind: 'Lease', resource: 'leases' }]),
  ...define('discovery.k8s.io', 'v1', 'discovery/v1', [
    { kind: 'EndpointSlice', resource: 'endpointslices' },
  ]),
  ...define('rbac.authorization.k8s.io', 'v1', 'rbac/v1', [
    { kind: 'Role', resource: 'roles' },
    { kind: 'ClusterRole', resource: 'clusterroles', namespaced: false },
    { kind: 'RoleBinding', resource: 'rolebindings' },
    { kind: 'ClusterRoleBinding', resource: 'clusterrolebindings', namespaced: false },
  ]),
  ...define('scheduling.k8s.io', 'v1', 'scheduling/v1', [
    { kind: 'PriorityClass', resource: 'priorityclasses', shortNames: ['pc'], namespaced: false },
  ]),
];

export function apiVersionOf(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/** The group/versions served, in the order discovery lists them (core first). */
export function groupVersions(): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of RESOURCES) seen.set(apiVersionOf(r), { group: r.group, version: r.version });
  return [...seen.values()];
}

const byPath = new Map<string, ResourceDef>();
const byKind = new Map<string, ResourceDef>();
for (const r of RESOURCES) {
  byPath.set(`${r.group}/${r.version}/${r.resource}`, r);
  byKind.set(`${apiVersionOf(r)}/${r.kind}`, r);
}

/** The resource served at /api(s)/GROUP/VERSION/RESOURCE. */
export function lookupResource(group: string, version: string, resource: string): ResourceDef | undefined {
  return byPath.get(`${group}/${version}/${resource}`);
}

/** The resource for an object's apiVersion and kind. */
export function lookupKind(apiVersion: string, kind: string): ResourceDef | undefined {
  return byKind.get(`${apiVersion}/${kind}`);
}

/**
 * Resolve what a user typed ("po", "pods", "pod", "deploy", "deployments.apps", "Pod") to a
 * resource, as kubectl does.
 */
export function resolveResourceName(name: string): ResourceDef | undefined {
  const lower = name.toLowerCase();
  const dot = lower.indexOf('.');
  const base = dot >= 0 ? lower.slice(0, dot) : lower;
  const group = dot >= 0 ? lower.slice(dot + 1) : undefined;
  return RESOURCES.find(
    (r) =>
      (group === undefined || r.group === group || (group === 'core' && r.group === '')) &&
      (r.resource === base ||
        r.singular === base ||
        r.shortNames.includes(base) ||
        r.kind.toLowerCase() === base),
  );
}
