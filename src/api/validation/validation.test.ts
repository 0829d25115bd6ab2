import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyDefaults } from '../defaults/index.js';
import { errors, formatFieldError } from '../errors.js';
import { FIXTURE_KINDS, fixture } from '../fixtures.js';
import type { KubeObject } from '../object.js';
import { RESOURCES, type ResourceDef } from '../resources.js';
import { validateObject } from './index.js';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const QUANTITY_MSG =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const POD_UPDATE_MSG =
  'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function defOf(kind: string): ResourceDef {
  const def = RESOURCES.find((r) => r.kind === kind);
  if (!def) throw new Error(`no resource ${kind}`);
  return def;
}

// biome-ignore lint/suspicious/noExplicitAny: tests reach into fixtures freely
type Json = Record<string, any>;

/** Defaulted fixture of `kind`, changed by `mutate`, validated (against `old`, when given, defaulted too). */
function check(kind: string, mutate?: (o: Json) => void, mutateOld?: (o: Json) => void): string[] {
  const def = defOf(kind);
  const obj = fixture(kind) as Json;
  mutate?.(obj);
  applyDefaults(def, obj as KubeObject);
  let old: KubeObject | undefined;
  if (mutateOld) {
    old = fixture(kind);
    mutateOld(old as Json);
    applyDefaults(def, old);
  }
  return validateObject(def, obj as KubeObject, old).map(formatFieldError);
}

describe('every served kind has a valid fixture that validates cleanly', () => {
  for (const def of RESOURCES) {
    it(`${def.kind}: create, with and without defaults, and a no-op update`, () => {
      assert.ok(FIXTURE_KINDS.includes(def.kind), `fixture for ${def.kind}`);
      assert.deepEqual(validateObject(def, fixture(def.kind)).map(formatFieldError), []);
      assert.deepEqual(check(def.kind), []);
      assert.deepEqual(
        check(
          def.kind,
          () => {},
          () => {},
        ),
        [],
      );
    });
  }
});

interface Case {
  name: string;
  kind: string;
  mutate?: (o: Json) => void;
  /** When set, the case is an update from the fixture changed by this. */
  old?: (o: Json) => void;
  want: string[];
}

function run(title: string, cases: Case[]): void {
  describe(title, () => {
    for (const c of cases) {
      it(c.name, () => assert.deepEqual(check(c.kind, c.mutate, c.old), c.want));
    }
  });
}

run('metadata', [
  {
    name: 'invalid name (subdomain)',
    kind: 'Pod',
    mutate: (o) => {
      o.metadata.name = 'Web_1';
    },
    want: [`metadata.name: Invalid value: "Web_1": ${SUBDOMAIN_MSG}`],
  },
  {
    name: 'name too long',
    kind: 'ConfigMap',
    mutate: (o) => {
      o.metadata.name = 'a'.repeat(254);
    },
    want: [`metadata.name: Invalid value: "${'a'.repeat(254)}": must be no more than 253 characters`],
  },
  {
    name: 'service names are DNS-1035 labels',
    kind: 'Service',
    mutate: (o) => {
      o.metadata.name = '1web';
    },
    want: [`metadata.name: Invalid value: "1web": ${DNS1035_MSG}`],
  },
  {
    name: 'namespace names are DNS labels',
    kind: 'Namespace',
    mutate: (o) => {
      o.metadata.name = 'team.a';
    },
    want: ['metadata.name: Invalid value: "team.a": must not contain dots'],
  },
  {
    name: 'statefulset names are DNS labels',
    kind: 'StatefulSet',
    mutate: (o) => {
      o.metadata.name = 'Db';
    },
    want: [`metadata.name: Invalid value: "Db": ${LABEL_MSG}`],
  },
  {
    name: 'RBAC names are path segments',
    kind: 'ClusterRole',
    mutate: (o) => {
      o.metadata.name = 'a/b';
    },
    want: [`metadata.name: Invalid value: "a/b": may not contain '/'`],
  },
  {
    name: 'event names are path segments (upper case is fine)',
    kind: 'Event',
    mutate: (o) => {
      o.metadata.name = 'Web.17C3A';
    },
    want: [],
  },
  {
    name: 'name required',
    kind: 'Pod',
    mutate: (o) => {
      delete o.metadata.name;
    },
    want: ['metadata.name: Required value: name or generateName is required'],
  },
  {
    name: 'generateName is checked as a prefix',
    kind: 'Pod',
    mutate: (o) => {
      o.metadata.generateName = 'Web-';
      o.metadata.name = 'web-x7k2p';
    },
    want: [`metadata.generateName: Invalid value: "Web-": ${SUBDOMAIN_MSG}`],
  },
  {
    name: 'namespace required for namespaced kinds',
    kind: 'Pod',
    mutate: (o) => {
      delete o.metadata.namespace;
    },
    want: ['metadata.namespace: Required value'],
  },
  {
    name: 'namespace forbidden for cluster kinds',
    kind: 'Node',
    mutate: (o) => {
      o.metadata.namespace = 'default';
    },
    want: ['metadata.namespace: Forbidden: not allowed on this type'],
  },
  {
    name: 'label value too long',
    kind: 'Pod',
    mutate: (o) => {
      o.metadata.labels = { app: 'x'.repeat(64) };
    },
    want: [`metadata.labels: Invalid value: "${'x'.repeat(64)}": must be no more than 63 characters`],
  },
  {
    name: 'label key with a bad prefix',
    kind: 'Pod',
    mutate: (o) => {
      o.metadata.labels = { 'Example.com/app': 'web' };
    },
    want: [`metadata.labels: Invalid value: "Example.com/app": prefix part ${SUBDOMAIN_MSG}`],
  },
  {
    name: 'annotations over 256 KiB',
    kind: 'ConfigMap',
    mutate: (o) => {
      o.metadata.annotations = { big: 'x'.repeat(256 * 1024) };
    },
    want: ['metadata.annotations: Too long: may not be more than 262144 bytes'],
  },
  {
    name: 'owner reference without uid, two controllers',
    kind: 'Pod',
    mutate: (o) => {
      o.metadata.ownerReferences = [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', uid: '1', controller: true },
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'b', uid: '', controller: true },
      ];
    },
    want: [
      'metadata.ownerReferences.uid: Invalid value: "": must not be empty',
      `metadata.ownerReferences: Invalid value: [{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"a","uid":"1","controller":true},{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"b","uid":"","controller":true}]: Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/a and ReplicaSet/b`,
    ],
  },
  {
    name: 'finalizer names',
    kind: 'ConfigMap',
    mutate: (o) => {
      o.metadata.finalizers = ['example.com/cleanup', 'foregroundDeletion', 'cleanup'];
    },
    want: [
      'metadata.finalizers[2]: Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified',
    ],
  },
  {
    name: 'name and namespace immutable on update',
    kind: 'ConfigMap',
    mutate: (o) => {
      o.metadata.name = 'other';
      o.metadata.namespace = 'kube-system';
    },
    old: () => {},
    want: [
      'metadata.name: Invalid value: "other": field is immutable',
      'metadata.namespace: Invalid value: "kube-system": field is immutable',
    ],
  },
  {
    name: 'uid immutable when the client sets another',
    kind: 'ConfigMap',
    mutate: (o) => {
      o.metadata.uid = 'b';
    },
    old: (o) => {
      o.metadata.uid = 'a';
    },
    want: ['metadata.uid: Invalid value: "b": field is immutable'],
  },
  {
    name: 'no new finalizers while deleting',
    kind: 'ConfigMap',
    mutate: (o) => {
      o.metadata.deletionTimestamp = '2024-01-01T00:00:00Z';
      o.metadata.finalizers = ['example.com/a', 'example.com/b'];
    },
    old: (o) => {
      o.metadata.deletionTimestamp = '2024-01-01T00:00:00Z';
      o.metadata.finalizers = ['example.com/a'];
    },
    want: [
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/b"}',
    ],
  },
]);

const c0 = 'spec.containers[0]';

run('pods', [
  {
    name: 'containers required',
    kind: 'Pod',
    mutate: (o) => {
      o.spec.containers = [];
    },
    want: ['spec.containers: Required value'],
  },
  {
    name: 'duplicate container name',
    kind: 'Pod',
    mutate: (o) => {
      o.spec.containers.push({ name: 'web', image: 'busybox' });
    },
    want: ['spec.containers[1].name: Duplicate value: "web"'],
  },
  {
    name: 'container name must be a DNS label; image required',
    kind: 'Pod',
    mutate: (o) => {
      o.spec.containers[0].name = 'Web';
      o.spec.containers[0].image = '';
    },
    want: [`${c0}.name: Invalid value: "Web": ${LABEL_MSG}`, `${c0}.image: Required value`],
  },
  {
    name: 'bad ports',
    kind: 'Pod',
    mutate: (o) => {
      o.spec.containers[0].ports = [
        { containerPort: 70000, protocol: 'HTTP' },
        { name: 'http', containerPort: 0 },
        { name: 'http', containerPort: 81, hostPort: -1 },
        { name: 'Metrics', containerPort: 9090 },
      ];
    },
    want: [
      `${c0}.ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive`,
      `${c0}.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"`,
      `${c0}.ports[1].containerPort: Required value`,
      `${c0}.ports[2].name: Duplicate value: "http"`,
      `${c0}.ports[2].hostPort: Invalid value: -1: must be between 1 and 65535, inclusive`,
      `${c0}.ports[3].name: Invalid value: "Metrics": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`,
    ],
  },
  {
    name: 'env names (relaxed rule) and sources',
    kind: 'Pod',
    mutate: (o) => {
      o.spec.containers[0].env = [
        { name: '1.ok-name', value: 'x' },
        { name: 'A=B', value: 'x' },
        { name: 'FROM', valueFrom: { configMapKeyRef: { name: 'cm', key: 'a b' } } },
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } },
      ];
    },
    want: [
      `${c0}.env[1].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='`,
      `${c0}.env[2].valueFrom.configMapKeyRef.key: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
      `${c0}.env[3].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.bogus": supported values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"`,
    ],
  },
  {
    name: 'bad quantity',
    kind: 'Pod',
    mutate: (o) => {
      o.spec.containers[0].resources = { limits: { memory: '12Qi' } };
    },
    want: [
      `${c0}.resources.limits[memory]: Invalid value: "12Qi": ${QUANTITY_MSG}`,
      `${c0}.resources.requests[memory]: Invalid value: "12Qi": ${QUANTITY_MSG}`,
    ],
  },
  {
    name: 'requests above limits, negative, unknown resource',
    kind: 'Pod',
    mutate: (o) => {
      o.spec.containers[0].resources = {
        requests: { cpu: '2', memory: '-1Mi' },
        limits: { cpu: '1000m', gpu: '1' },
      };
    },
    want: [
      `${c0}.resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers`,
      `${c0}.resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1`,
      `${c0}.resources.requests[memory]: Invalid value: "-1Mi": must be greater than or equal to 0`,
      // requests are defaulted from limits, so the bad name shows up twice, as in Kubernetes
      `${c0}.resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers`,
    ],
  },
  {
    name: 'extended resources must be integers with request = limit',
    kind: 'Pod',
    mutate: (o) => {
      o.spec.containers[0].resources = {
        requests: { 'example.com/gpu': '1' },
        limits: { 'example.com/gpu': '2' },
      };
    },
    want: [`${c0}.resources.requests: Invalid value: "1": must be equal to example.com/gpu limit of 2`],
  },
  {
    name: 'policies',
    kind: 'Pod',
    mutate: (o) => {
      o.spec.restartPolicy = 'Sometimes';
      o.spec.dnsPolicy = 'Google';
      o.spec.nodeSelector = { disk: 'ssd!' };
    },
    want: [
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      'spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
      `spec.nodeSelector: Invalid value: "ssd!": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    ],
  },
  {
    name: 'volumes: duplicates, sources, mounts',
    kind: 'Pod',
    mutate: (o) => {
      o.spec.volumes = [
        { name: 'cfg', configMap: { name: 'settings' } },
        { name: 'cfg', emptyDir: {} },
        { name: 'two', emptyDir: {}, configMap: { name: 'x' } },
      ];
      o.spec.containers[0].volumeMounts = [
        { name: 'cfg', mountPath: '/etc/cfg' },
        { name: 'data', mountPath: '/etc/cfg' },
      ];
    },
    want: [
      'spec.volumes[1].name: Duplicate value: "cfg"',
      'spec.volumes[2].configMap: Forbidden: may not specify more than 1 volume type',
      `${c0}.volumeMounts[1].name: Not found: "data"`,
      `${c0}.volumeMounts[1].mountPath: Invalid value: "/etc/cfg": must be unique`,
    ],
  },
  {
    name: 'probes need exactly one handler; liveness successThreshold is 1',
    kind: 'Pod',
    mutate: (o) => {
      o.spec.containers[0].livenessProbe = { successThreshold: 2 };
      o.spec.containers[0].readinessProbe = {
        exec: { command: ['true'] },
        tcpSocket: { port: 80 },
        periodSeconds: -1,
      };
    },
    want: [
      `${c0}.livenessProbe: Required value: must specify a handler type`,
      `${c0}.livenessProbe.successThreshold: Invalid value: 2: must be 1`,
      `${c0}.readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type`,
      `${c0}.readinessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0`,
    ],
  },
  {
    name: 'tolerations',
    kind: 'Pod',
    mutate: (o) => {
      o.spec.tolerations = [
        { key: 'a', operator: 'In', value: 'b' },
        { key: 'a', operator: 'Exists', effect: 'Never' },
        { operator: 'Equal', value: 'x' },
      ];
    },
    want: [
      'spec.tolerations[0].operator: Unsupported value: "In": supported values: "Equal", "Exists"',
      'spec.tolerations[1].effect: Unsupported value: "Never": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
      'spec.tolerations[2].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
    ],
  },
  {
    name: 'update: the image may change',
    kind: 'Pod',
    mutate: (o) => {
      o.spec.containers[0].image = 'nginx:1.28';
    },
    old: () => {},
    want: [],
  },
  {
    name: 'update: other spec changes are forbidden',
    kind: 'Pod',
    mutate: (o) => {
      o.spec.containers[0].ports[0].containerPort = 8080;
    },
    old: () => {},
    want: [
      `${POD_UPDATE_MSG}\n- spec.containers[0].ports[0].containerPort: 80\n+ spec.containers[0].ports[0].containerPort: 8080`,
    ],
  },
  {
    name: 'update: containers may not be added',
    kind: 'Pod',
    mutate: (o) => {
      o.spec.containers.push({ name: 'sidecar', image: 'busybox' });
    },
    old: () => {},
    want: ['spec.containers: Forbidden: pod updates may not add or remove containers'],
  },
  {
    name: 'update: tolerations may be added, not changed',
    kind: 'Pod',
    mutate: (o) => {
      o.spec.tolerations = [{ key: 'a', operator: 'Exists', effect: 'NoSchedule' }];
    },
    old: (o) => {
      o.spec.tolerations = [{ key: 'a', operator: 'Exists', effect: 'NoExecute' }];
    },
    want: [
      'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
    ],
  },
  {
    name: 'update: activeDeadlineSeconds may only shrink',
    kind: 'Pod',
    mutate: (o) => {
      o.spec.activeDeadlineSeconds = 100;
    },
    old: (o) => {
      o.spec.activeDeadlineSeconds = 50;
    },
    want: ['spec.activeDeadlineSeconds: Invalid value: 100: must be less than or equal to previous value'],
  },
]);

const tc0 = 'spec.template.spec.containers[0]';

run('workloads', [
  {
    name: 'selector does not match template labels',
    kind: 'Deployment',
    mutate: (o) => {
      o.spec.template.metadata.labels = { app: 'other' };
    },
    want: [
      'spec.template.metadata.labels: Invalid value: {"app":"other"}: `selector` does not match template `labels`',
    ],
  },
  {
    name: 'selector required',
    kind: 'ReplicaSet',
    mutate: (o) => {
      delete o.spec.selector;
    },
    // a missing selector selects nothing, so the template cannot match it either
    want: [
      'spec.selector: Required value',
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    ],
  },
  {
    name: 'empty selector',
    kind: 'Deployment',
    mutate: (o) => {
      o.spec.selector = {};
    },
    want: ['spec.selector: Invalid value: {}: empty selector is invalid for deployment'],
  },
  {
    name: 'selector expressions',
    kind: 'Deployment',
    mutate: (o) => {
      o.spec.selector = {
        matchExpressions: [
          { key: 'app', operator: 'In', values: [] },
          { key: 'tier', operator: 'Maybe' },
        ],
      };
    },
    want: [
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      'spec.selector.matchExpressions[1].operator: Invalid value: "Maybe": not a valid selector operator',
      'spec.selector: Invalid value: {"matchExpressions":[{"key":"app","operator":"In","values":[]},{"key":"tier","operator":"Maybe"}]}: invalid label selector',
    ],
  },
  {
    name: 'negative replicas, bad strategy values',
    kind: 'Deployment',
    mutate: (o) => {
      o.spec.replicas = -1;
      o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } };
    },
    want: [
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0',
    ],
  },
  {
    name: 'maxSurge must be an int or a percentage',
    kind: 'Deployment',
    mutate: (o) => {
      o.spec.strategy = {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: 'lots', maxUnavailable: '120%' },
      };
    },
    want: [
      `spec.strategy.rollingUpdate.maxSurge: Invalid value: "lots": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "120%": must not be greater than 100%',
    ],
  },
  {
    name: 'unknown strategy type',
    kind: 'Deployment',
    mutate: (o) => {
      o.spec.strategy = { type: 'BlueGreen' };
    },
    want: [
      'spec.strategy: Unsupported value: {"type":"BlueGreen"}: supported values: "Recreate", "RollingUpdate"',
    ],
  },
  {
    name: 'template is a pod spec with restartPolicy Always',
    kind: 'Deployment',
    mutate: (o) => {
      o.spec.template.spec.restartPolicy = 'Never';
      o.spec.template.spec.containers[0].ports[0].containerPort = 0;
    },
    want: [
      `${tc0}.ports[0].containerPort: Required value`,
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ],
  },
  {
    name: 'immutable selector on update',
    kind: 'Deployment',
    mutate: (o) => {
      o.spec.selector = { matchLabels: { app: 'web', tier: 'front' } };
      o.spec.template.metadata.labels.tier = 'front';
    },
    old: () => {},
    want: ['spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"front"}}: field is immutable'],
  },
  {
    name: 'replicaset selector immutable too',
    kind: 'ReplicaSet',
    mutate: (o) => {
      o.spec.selector.matchLabels = { app: 'web2' };
      o.spec.template.metadata.labels = { app: 'web2' };
    },
    old: () => {},
    want: ['spec.selector: Invalid value: {"matchLabels":{"app":"web2"}}: field is immutable'],
  },
  {
    name: 'daemonset: empty selector, surge and unavailable both set',
    kind: 'DaemonSet',
    mutate: (o) => {
      o.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } };
    },
    want: [
      'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero',
    ],
  },
  {
    name: 'daemonset selector immutable',
    kind: 'DaemonSet',
    mutate: (o) => {
      o.spec.selector.matchLabels.app = 'agent2';
      o.spec.template.metadata.labels.app = 'agent2';
    },
    old: () => {},
    want: ['spec.selector: Invalid value: {"matchLabels":{"app":"agent2"}}: field is immutable'],
  },
  {
    name: 'statefulset: policy values, mounts may use claim templates',
    kind: 'StatefulSet',
    mutate: (o) => {
      o.spec.podManagementPolicy = 'Random';
      o.spec.template.spec.containers[0].volumeMounts.push({ name: 'logs', mountPath: '/logs' });
    },
    want: [
      "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'",
      'spec.template.spec.containers[0].volumeMounts[1].name: Not found: "logs"',
    ],
  },
  {
    name: 'statefulset: only some spec fields may change',
    kind: 'StatefulSet',
    mutate: (o) => {
      o.spec.serviceName = 'db-headless';
      o.spec.replicas = 5;
    },
    old: () => {},
    want: [
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ],
  },
  {
    name: 'controllerrevision: data required, revision non-negative',
    kind: 'ControllerRevision',
    mutate: (o) => {
      delete o.data;
      o.revision = -1;
    },
    want: ['data: Required value', 'revision: Invalid value: -1: must be greater than or equal to 0'],
  },
  {
    name: 'controllerrevision: data is immutable, revision may change',
    kind: 'ControllerRevision',
    mutate: (o) => {
      o.data = { spec: {} };
      o.revision = 2;
    },
    old: () => {},
    want: ['data: Invalid value: {"spec":{}}: field is immutable'],
  },
  {
    name: 'statefulset: scaling is fine',
    kind: 'StatefulSet',
    mutate: (o) => {
      o.spec.replicas = 5;
      o.spec.template.spec.containers[0].image = 'postgres:17';
    },
    old: () => {},
    want: [],
  },
]);

run('batch', [
  {
    name: 'job restartPolicy must be OnFailure or Never',
    kind: 'Job',
    mutate: (o) => {
      o.spec.template.spec.restartPolicy = 'Always';
    },
    want: [
      'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    ],
  },
  {
    name: 'job counts and completion mode',
    kind: 'Job',
    mutate: (o) => {
      o.spec.completions = -1;
      o.spec.parallelism = -2;
      o.spec.backoffLimit = -1;
      o.spec.completionMode = 'Sometimes';
    },
    want: [
      'spec.parallelism: Invalid value: -2: must be greater than or equal to 0',
      'spec.completions: Invalid value: -1: must be greater than or equal to 0',
      'spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0',
      'spec.completionMode: Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"',
    ],
  },
  {
    name: 'indexed jobs need completions',
    kind: 'Job',
    mutate: (o) => {
      o.spec.completionMode = 'Indexed';
      o.spec.parallelism = 2;
    },
    want: ['spec.completions: Required value: when completion mode is Indexed'],
  },
  {
    name: 'job name must be a label value',
    kind: 'Job',
    mutate: (o) => {
      o.metadata.name = `a${'b'.repeat(63)}`;
    },
    want: [`metadata.name: Invalid value: "a${'b'.repeat(63)}": must be no more than 63 characters`],
  },
  {
    name: 'bad cron schedule and concurrency policy',
    kind: 'CronJob',
    mutate: (o) => {
      o.spec.schedule = '* * *';
      o.spec.concurrencyPolicy = 'Sometimes';
    },
    want: [
      'spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]',
      'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
    ],
  },
  {
    name: 'cron field out of range',
    kind: 'CronJob',
    mutate: (o) => {
      o.spec.schedule = '61 * * * *';
    },
    want: ['spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61'],
  },
  {
    name: 'TZ in schedule and unknown time zone',
    kind: 'CronJob',
    mutate: (o) => {
      o.spec.schedule = 'TZ=UTC 0 * * * *';
      o.spec.timeZone = 'Mars/Olympus';
    },
    want: [
      'spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
      'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
    ],
  },
  {
    name: 'cronjob names at most 52 characters; job template restart policy',
    kind: 'CronJob',
    mutate: (o) => {
      o.metadata.name = 'n'.repeat(53);
      o.spec.jobTemplate.spec.template.spec.restartPolicy = 'Always';
    },
    want: [
      `metadata.name: Invalid value: "${'n'.repeat(53)}": must be no more than 52 characters`,
      'spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    ],
  },
]);

describe('job template on update', () => {
  it('is immutable', () => {
    const got = check(
      'Job',
      (o) => {
        o.spec.template.spec.containers[0].image = 'perl:5.36';
      },
      () => {},
    );
    assert.equal(got.length, 1);
    assert.match(got[0]!, /^spec\.template: Invalid value: \{.*\}: field is immutable$/s);
  });
  it('may change scheduling directives while suspended', () => {
    const got = check(
      'Job',
      (o) => {
        o.spec.suspend = true;
        o.spec.template.spec.nodeSelector = { zone: 'a' };
      },
      (o) => {
        o.spec.suspend = true;
      },
    );
    assert.deepEqual(got, []);
  });
});

describe('cron schedules Kubernetes accepts', () => {
  for (const schedule of [
    '@hourly',
    '@daily',
    '@midnight',
    '@weekly',
    '@monthly',
    '@yearly',
    '@annually',
    '@every 1h30m',
    '*/15 * * * *',
    '0 0 * * MON-FRI',
    '0 9-17/2 1,15 jan-jun ?',
    '5 4 * * sun',
  ]) {
    it(schedule, () =>
      assert.deepEqual(
        check('CronJob', (o) => {
          o.spec.schedule = schedule;
          o.spec.timeZone = 'Europe/Paris';
        }),
        [],
      ),
    );
  }
  const bad: Array<[string, string]> = [
    ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
    ['0 0 * * 7', 'end of range (7) above maximum (6): 7'],
    ['x * * * *', 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['0 0 0 * *', 'beginning of range (0) below minimum (1): 0'],
  ];
  for (const [schedule, msg] of bad) {
    it(`rejects ${schedule}`, () =>
      assert.deepEqual(
        check('CronJob', (o) => {
          o.spec.schedule = schedule;
        }),
        [`spec.schedule: Invalid value: ${JSON.stringify(schedule)}: ${msg}`],
      ));
  }
});

run('services', [
  {
    name: 'ports required unless headless or ExternalName',
    kind: 'Service',
    mutate: (o) => {
      o.spec.ports = [];
    },
    want: ['spec.ports: Required value'],
  },
  {
    name: 'headless service without ports',
    kind: 'Service',
    mutate: (o) => {
      o.spec.ports = [];
      o.spec.clusterIP = 'None';
    },
    want: [],
  },
  {
    name: 'ExternalName service',
    kind: 'Service',
    mutate: (o) => {
      o.spec = { type: 'ExternalName', externalName: 'db.example.com.' };
    },
    want: [],
  },
  {
    name: 'bad port, target port, type',
    kind: 'Service',
    mutate: (o) => {
      o.spec.ports = [
        { name: 'http', port: 0, targetPort: 'HTTP' },
        { port: 70000, protocol: 'ICMP' },
      ];
      o.spec.type = 'Public';
    },
    want: [
      'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.ports[0].targetPort: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'spec.ports[0].targetPort: Invalid value: "HTTP": must contain at least one letter (a-z)',
      'spec.ports[1].name: Required value',
      'spec.ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
      // targetPort defaults to port
      'spec.ports[1].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.type: Unsupported value: "Public": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    ],
  },
  {
    name: 'duplicate port names, bad cluster IP, nodePort on ClusterIP',
    kind: 'Service',
    mutate: (o) => {
      o.spec.ports = [
        { name: 'web', port: 80 },
        { name: 'web', port: 81, nodePort: 30001 },
      ];
      o.spec.clusterIP = '10.0.0.300';
    },
    want: [
      'spec.ports[1].name: Duplicate value: "web"',
      'spec.clusterIPs[0]: Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      "spec.ports[1].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
    ],
  },
  {
    name: 'nodePort above 65535',
    kind: 'Service',
    mutate: (o) => {
      o.spec.type = 'NodePort';
      o.spec.ports[0].nodePort = 70000;
    },
    want: ['spec.ports[0].nodePort: Invalid value: 70000: must be between 1 and 65535, inclusive'],
  },
  {
    name: 'clusterIP may not change once set',
    kind: 'Service',
    mutate: (o) => {
      o.spec.clusterIP = '10.96.0.11';
    },
    old: (o) => {
      o.spec.clusterIP = '10.96.0.10';
    },
    want: ['spec.clusterIPs[0]: Invalid value: ["10.96.0.11"]: may not change once set'],
  },
  {
    name: 'endpoints: bad and loopback addresses, port protocol',
    kind: 'Endpoints',
    mutate: (o) => {
      o.subsets = [
        { addresses: [{ ip: 'x' }, { ip: '127.0.0.1' }], ports: [{ port: 80, protocol: 'ICMP' }] },
      ];
    },
    want: [
      'subsets[0].addresses[0].ip: Invalid value: "x": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      'subsets[0].addresses[1].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      'subsets[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
    ],
  },
  {
    name: 'endpointslice: address type and addresses',
    kind: 'EndpointSlice',
    mutate: (o) => {
      o.endpoints = [{ addresses: ['10.0.0.x'] }, { addresses: [] }];
    },
    want: [
      'endpoints[0].addresses[0]: Invalid value: "10.0.0.x": must be a valid IPv4 address',
      'endpoints[1].addresses: Required value: must contain at least 1 address',
    ],
  },
  {
    name: 'endpointslice: addressType unsupported and immutable',
    kind: 'EndpointSlice',
    mutate: (o) => {
      o.addressType = 'IPv5';
      o.endpoints = [];
    },
    old: () => {},
    want: [
      'addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"',
      'addressType: Invalid value: "IPv5": field is immutable',
    ],
  },
]);

run('config', [
  {
    name: 'configmap keys',
    kind: 'ConfigMap',
    mutate: (o) => {
      o.data = { 'bad key': 'x' };
    },
    want: [
      "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    ],
  },
  {
    name: 'configmap over 1 MiB',
    kind: 'ConfigMap',
    mutate: (o) => {
      o.data = { a: 'x'.repeat(600 * 1024), b: 'y'.repeat(600 * 1024) };
    },
    want: [': Too long: may not be more than 1048576 bytes'],
  },
  {
    name: 'tls secrets need tls.crt and tls.key',
    kind: 'Secret',
    mutate: (o) => {
      o.type = 'kubernetes.io/tls';
    },
    want: ['data[tls.crt]: Required value', 'data[tls.key]: Required value'],
  },
  {
    name: 'dockerconfigjson secrets need valid JSON',
    kind: 'Secret',
    mutate: (o) => {
      o.type = 'kubernetes.io/dockerconfigjson';
      o.data = { '.dockerconfigjson': Buffer.from('{nope').toString('base64') };
    },
    want: [
      `data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": ${(() => {
        try {
          JSON.parse('{nope');
        } catch (e) {
          return (e as Error).message;
        }
      })()}`,
    ],
  },
  {
    name: 'immutable configmap',
    kind: 'ConfigMap',
    mutate: (o) => {
      o.immutable = true;
      o.data = { 'app.properties': 'a=c' };
    },
    old: (o) => {
      o.immutable = true;
    },
    want: ['data: Forbidden: field is immutable when `immutable` is set'],
  },
  {
    name: 'immutable flag cannot be cleared',
    kind: 'Secret',
    mutate: (o) => {
      o.immutable = false;
    },
    old: (o) => {
      o.immutable = true;
    },
    want: ['immutable: Forbidden: field is immutable when `immutable` is set'],
  },
  {
    name: 'secret type immutable',
    kind: 'Secret',
    mutate: (o) => {
      o.type = 'example.com/custom';
    },
    old: () => {},
    want: ['type: Invalid value: "example.com/custom": field is immutable'],
  },
]);

run('networking, autoscaling, rbac, cluster kinds', [
  {
    name: 'ingress path, path type, host, backend',
    kind: 'Ingress',
    mutate: (o) => {
      o.spec.rules = [
        {
          host: '10.0.0.1',
          http: {
            paths: [
              {
                path: 'app',
                pathType: 'Prefix',
                backend: { service: { name: 'web', port: { number: 80 } } },
              },
              { path: '/x', pathType: 'Regex', backend: { service: { name: 'web', port: { number: 80 } } } },
              { path: '/y', pathType: 'Exact', backend: { service: { name: 'web', port: {} } } },
            ],
          },
        },
        {
          host: '*.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'web', port: { name: 'http' } } },
              },
            ],
          },
        },
      ];
    },
    want: [
      'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
      'spec.rules[0].http.paths[0].path: Invalid value: "app": must be an absolute path',
      'spec.rules[0].http.paths[1].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"',
      'spec.rules[0].http.paths[2].backend: Required value: port name or number is required',
    ],
  },
  {
    name: 'ingress needs rules or a default backend',
    kind: 'Ingress',
    mutate: (o) => {
      o.spec.rules = [];
    },
    want: ['spec: Invalid value: []: either `defaultBackend` or `rules` must be specified'],
  },
  {
    name: 'ingressclass controller',
    kind: 'IngressClass',
    mutate: (o) => {
      o.spec.controller = 'nginx';
    },
    want: ['spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")'],
  },
  {
    name: 'network policy peers and ports',
    kind: 'NetworkPolicy',
    mutate: (o) => {
      o.spec.ingress = [
        { from: [{}, { ipBlock: { cidr: '10.0.0.0/33' } }], ports: [{ protocol: 'ICMP', port: 0 }] },
      ];
      o.spec.policyTypes = ['Ingress', 'Sideways'];
    },
    want: [
      'spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
      'spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.ingress[0].from[0]: Required value: must specify a peer',
      'spec.ingress[0].from[1].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      'spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"',
    ],
  },
  {
    name: 'hpa replicas and metrics',
    kind: 'HorizontalPodAutoscaler',
    mutate: (o) => {
      o.spec.minReplicas = 0;
      o.spec.maxReplicas = 0;
      o.spec.scaleTargetRef = { kind: 'Deployment' };
      o.spec.metrics = [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization' } } },
        { type: 'Pods' },
      ];
    },
    want: [
      'spec.minReplicas: Invalid value: 0: must be greater than or equal to 1',
      'spec.maxReplicas: Invalid value: 0: must be greater than 0',
      'spec.scaleTargetRef.name: Required value',
      'spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization',
      'spec.metrics[1].pods: Required value: must populate information for the given metric source',
    ],
  },
  {
    name: 'hpa maxReplicas below minReplicas',
    kind: 'HorizontalPodAutoscaler',
    mutate: (o) => {
      o.spec.maxReplicas = 1;
    },
    want: ['spec.maxReplicas: Invalid value: 1: must be greater than or equal to `minReplicas`'],
  },
  {
    name: 'role rules need verbs and resources',
    kind: 'Role',
    mutate: (o) => {
      o.rules = [{ apiGroups: [''], verbs: [] }];
    },
    want: [
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[0].resources: Required value: resource rules must supply at least one resource',
    ],
  },
  {
    name: 'binding roleRef and subjects',
    kind: 'ClusterRoleBinding',
    mutate: (o) => {
      o.roleRef.kind = 'Role';
      o.subjects = [
        { kind: 'ServiceAccount', name: 'builder' },
        { kind: 'Robot', name: 'r2' },
      ];
    },
    want: [
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      'subjects[0].namespace: Required value',
      'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
    ],
  },
  {
    name: 'roleRef immutable',
    kind: 'RoleBinding',
    mutate: (o) => {
      o.roleRef.name = 'pod-writer';
    },
    old: () => {},
    want: [
      'roleRef: Invalid value: {"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"pod-writer"}: cannot change roleRef',
    ],
  },
  {
    name: 'priority class value range and system names',
    kind: 'PriorityClass',
    mutate: (o) => {
      o.value = 2_000_000_000;
      o.preemptionPolicy = 'Always';
    },
    want: [
      'value: Forbidden: maximum allowed value of a user defined priority is 1000000000',
      'preemptionPolicy: Unsupported value: "Always": supported values: "Never", "PreemptLowerPriority"',
    ],
  },
  {
    name: 'reserved system- priority class names',
    kind: 'PriorityClass',
    mutate: (o) => {
      o.metadata.name = 'system-important';
    },
    want: [
      "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-important is not a known system priority class",
    ],
  },
  {
    name: 'priority class value immutable',
    kind: 'PriorityClass',
    mutate: (o) => {
      o.value = 5;
    },
    old: () => {},
    want: ['value: Forbidden: may not be changed in an update.'],
  },
  {
    name: 'lease duration',
    kind: 'Lease',
    mutate: (o) => {
      o.spec.leaseDurationSeconds = 0;
    },
    want: ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0'],
  },
  {
    name: 'event namespace must match its object',
    kind: 'Event',
    mutate: (o) => {
      o.involvedObject.namespace = 'other';
    },
    want: ['involvedObject.namespace: Invalid value: "other": does not match event.namespace'],
  },
  {
    name: 'node taints',
    kind: 'Node',
    mutate: (o) => {
      o.spec.taints = [{ key: 'a', effect: 'Evict' }, { key: 'b' }];
    },
    want: [
      'spec.taints[0].effect: Unsupported value: "Evict": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
      'spec.taints[1].effect: Required value',
    ],
  },
  {
    name: 'node update: a pod CIDR may be set where there was none',
    kind: 'Node',
    mutate: (o) => {
      o.spec.podCIDR = '10.42.3.0/24';
      o.spec.podCIDRs = ['10.42.3.0/24'];
    },
    old: () => {},
    want: [],
  },
  {
    name: 'node update: a set pod CIDR may not change',
    kind: 'Node',
    mutate: (o) => {
      o.spec.podCIDR = '10.42.4.0/24';
      o.spec.podCIDRs = ['10.42.4.0/24'];
    },
    old: (o) => {
      o.spec.podCIDR = '10.42.3.0/24';
      o.spec.podCIDRs = ['10.42.3.0/24'];
    },
    want: ['spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid'],
  },
  {
    name: 'node update: nor be removed',
    kind: 'Node',
    mutate: (o) => {
      delete o.spec.podCIDR;
      delete o.spec.podCIDRs;
    },
    old: (o) => {
      o.spec.podCIDR = '10.42.3.0/24';
    },
    want: ['spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid'],
  },
  {
    name: 'node update: the same pod CIDR, now in both fields, is no change',
    kind: 'Node',
    mutate: (o) => {
      o.spec.podCIDR = '10.42.3.0/24';
      o.spec.podCIDRs = ['10.42.3.0/24'];
    },
    old: (o) => {
      o.spec.podCIDR = '10.42.3.0/24';
    },
    want: [],
  },
  {
    name: 'namespace spec finalizers',
    kind: 'Namespace',
    mutate: (o) => {
      o.spec = { finalizers: ['cleanup'] };
    },
    want: [
      'spec.finalizers: Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified',
    ],
  },
]);

describe('errors.invalid builds the Kubernetes Status from these field errors', () => {
  it('one error', () => {
    const def = defOf('Pod');
    const pod = fixture('Pod');
    pod.metadata.name = 'Web_1';
    const status = errors.invalid(
      { resource: 'pods', kind: 'Pod', name: 'Web_1' },
      validateObject(def, pod),
    ).status;
    assert.equal(status.code, 422);
    assert.equal(
      status.message,
      `Pod "Web_1" is invalid: metadata.name: Invalid value: "Web_1": ${SUBDOMAIN_MSG}`,
    );
    assert.deepEqual(status.details?.causes?.[0], {
      reason: 'FieldValueInvalid',
      message: `Invalid value: "Web_1": ${SUBDOMAIN_MSG}`,
      field: 'metadata.name',
    });
  });
});
