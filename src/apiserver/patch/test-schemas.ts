/**
 * Test helper: a tiny builder of SchemaNodes and hand-made schemas of a few kinds (Deployment,
 * ConfigMap, Service), carrying the patch strategies, merge keys and list types Kubernetes
 * declares for them, so that the patch engines are tested without the generated schemas.
 */
import type { SchemaNode } from '../../api/schema/navigator.js';

type Extra = Partial<Omit<SchemaNode, 'shape' | 'field' | 'fieldNames' | 'elements'>>;

function node(
  shape: SchemaNode['shape'],
  parts: {
    fields?: () => Record<string, SchemaNode>;
    elements?: () => SchemaNode;
    extra?: Extra;
  },
): SchemaNode {
  return {
    shape,
    field: (name) => (parts.fields ? parts.fields()[name] : undefined),
    fieldNames: () => (parts.fields ? Object.keys(parts.fields()) : []),
    elements: () => parts.elements?.(),
    ...parts.extra,
  };
}

export const S = {
  str: (): SchemaNode => node('scalar', { extra: { scalarType: 'string' } }),
  int: (): SchemaNode => node('scalar', { extra: { scalarType: 'integer' } }),
  bool: (): SchemaNode => node('scalar', { extra: { scalarType: 'boolean' } }),
  intOrString: (): SchemaNode => node('scalar', { extra: { scalarType: 'int-or-string' } }),
  any: (): SchemaNode => node('unknown', {}),
  obj: (fields: Record<string, SchemaNode>, extra?: Extra): SchemaNode =>
    node('object', { fields: () => fields, ...(extra ? { extra } : {}) }),
  map: (value: SchemaNode, extra?: Extra): SchemaNode =>
    node('map', { elements: () => value, ...(extra ? { extra } : {}) }),
  list: (item: SchemaNode, extra?: Extra): SchemaNode =>
    node('array', { elements: () => item, ...(extra ? { extra } : {}) }),
  /** A list merged by `key` in strategic merge patch and keyed by `keys` in apply. */
  keyedList: (item: SchemaNode, key: string, keys: string[] = [key], strategy = 'merge'): SchemaNode =>
    node('array', {
      elements: () => item,
      extra: { patchStrategy: strategy, patchMergeKey: key, listType: 'map', listMapKeys: keys },
    }),
  /** A list of scalars merged as a set. */
  setList: (item: SchemaNode = S.str()): SchemaNode =>
    node('array', { elements: () => item, extra: { patchStrategy: 'merge', listType: 'set' } }),
};

const strMap = () => S.map(S.str());

export const objectMeta = S.obj({
  name: S.str(),
  generateName: S.str(),
  namespace: S.str(),
  uid: S.str(),
  resourceVersion: S.str(),
  generation: S.int(),
  creationTimestamp: S.str(),
  deletionTimestamp: S.str(),
  labels: strMap(),
  annotations: strMap(),
  finalizers: S.setList(),
  ownerReferences: S.keyedList(
    S.obj({ apiVersion: S.str(), kind: S.str(), name: S.str(), uid: S.str(), controller: S.bool() }),
    'uid',
  ),
  managedFields: S.list(
    S.obj({
      manager: S.str(),
      operation: S.str(),
      apiVersion: S.str(),
      time: S.str(),
      fieldsType: S.str(),
      fieldsV1: S.any(),
      subresource: S.str(),
    }),
    { listType: 'atomic' },
  ),
});

const labelSelector = S.obj(
  {
    matchLabels: strMap(),
    matchExpressions: S.list(S.obj({ key: S.str(), operator: S.str(), values: S.list(S.str()) }), {
      listType: 'atomic',
    }),
  },
  { mapType: 'atomic' },
);

const envVar = S.obj({
  name: S.str(),
  value: S.str(),
  valueFrom: S.obj({
    configMapKeyRef: S.obj({ name: S.str(), key: S.str() }, { mapType: 'atomic' }),
    fieldRef: S.obj({ fieldPath: S.str() }, { mapType: 'atomic' }),
  }),
});

const container = S.obj({
  name: S.str(),
  image: S.str(),
  imagePullPolicy: S.str(),
  command: S.list(S.str(), { listType: 'atomic' }),
  args: S.list(S.str(), { listType: 'atomic' }),
  env: S.keyedList(envVar, 'name'),
  ports: S.keyedList(
    S.obj({ name: S.str(), containerPort: S.int(), protocol: S.str(), hostPort: S.int() }),
    'containerPort',
    ['containerPort', 'protocol'],
  ),
  resources: S.obj({ limits: S.map(S.intOrString()), requests: S.map(S.intOrString()) }),
  volumeMounts: S.keyedList(S.obj({ name: S.str(), mountPath: S.str(), readOnly: S.bool() }), 'mountPath'),
  terminationMessagePath: S.str(),
  terminationMessagePolicy: S.str(),
});

const volume = S.obj({
  name: S.str(),
  configMap: S.obj({
    name: S.str(),
    items: S.list(S.obj({ key: S.str(), path: S.str() }), { listType: 'atomic' }),
  }),
  emptyDir: S.obj({ medium: S.str(), sizeLimit: S.intOrString() }),
  secret: S.obj({ secretName: S.str() }),
});

export const podSpec = S.obj({
  containers: S.keyedList(container, 'name'),
  initContainers: S.keyedList(container, 'name'),
  volumes: S.keyedList(volume, 'name', ['name'], 'merge,retainKeys'),
  nodeSelector: S.map(S.str(), { mapType: 'atomic' }),
  tolerations: S.list(S.obj({ key: S.str(), operator: S.str(), value: S.str(), effect: S.str() }), {
    listType: 'atomic',
  }),
  restartPolicy: S.str(),
  dnsPolicy: S.str(),
  schedulerName: S.str(),
  serviceAccountName: S.str(),
  terminationGracePeriodSeconds: S.int(),
  securityContext: S.obj({ runAsUser: S.int(), runAsNonRoot: S.bool() }),
  imagePullSecrets: S.keyedList(S.obj({ name: S.str() }), 'name'),
});

const condition = S.obj({ type: S.str(), status: S.str(), reason: S.str(), message: S.str() });

export const deploymentSchema = S.obj({
  apiVersion: S.str(),
  kind: S.str(),
  metadata: objectMeta,
  spec: S.obj({
    replicas: S.int(),
    selector: labelSelector,
    template: S.obj({ metadata: objectMeta, spec: podSpec }),
    strategy: S.obj(
      {
        type: S.str(),
        rollingUpdate: S.obj({ maxSurge: S.intOrString(), maxUnavailable: S.intOrString() }),
      },
      { patchStrategy: 'retainKeys' },
    ),
    minReadySeconds: S.int(),
    revisionHistoryLimit: S.int(),
    progressDeadlineSeconds: S.int(),
    paused: S.bool(),
  }),
  status: S.obj({
    replicas: S.int(),
    readyReplicas: S.int(),
    observedGeneration: S.int(),
    conditions: S.keyedList(condition, 'type'),
  }),
});

export const configMapSchema = S.obj({
  apiVersion: S.str(),
  kind: S.str(),
  metadata: objectMeta,
  data: strMap(),
  binaryData: strMap(),
  immutable: S.bool(),
});

/** A clock that always says `iso`. */
export function clock(iso = '2024-05-01T10:00:00.000Z'): () => Date {
  return () => new Date(iso);
}

/** A Deployment as the store would hold it (defaults filled in as the server fills them). */
export function storedDeployment(
  overrides: { replicas?: number; image?: string } = {},
): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      uid: '6f1c2c1e-0000-4000-8000-000000000001',
      resourceVersion: '12',
      generation: 1,
      creationTimestamp: '2024-05-01T09:00:00Z',
      labels: { app: 'web' },
    },
    spec: {
      replicas: overrides.replicas ?? 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: overrides.image ?? 'nginx:1.25',
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
              ports: [{ containerPort: 80, protocol: 'TCP' }],
            },
          ],
          restartPolicy: 'Always',
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    },
    status: { replicas: 2, readyReplicas: 2 },
  };
}
