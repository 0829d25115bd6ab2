import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixture } from '../fixtures.js';
import type { KubeObject } from '../object.js';
import { RESOURCES } from '../resources.js';
import { applyDefaults, defaultPullPolicy, podQOSClass } from './index.js';

// biome-ignore lint/suspicious/noExplicitAny: tests reach into objects freely
type Json = Record<string, any>;

function defaulted(kind: string, mutate?: (o: Json) => void, old?: KubeObject): Json {
  const def = RESOURCES.find((r) => r.kind === kind)!;
  const obj = fixture(kind) as Json;
  mutate?.(obj);
  applyDefaults(def, obj as KubeObject, old);
  return obj;
}

const CONTAINER_DEFAULTS = {
  imagePullPolicy: 'IfNotPresent',
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
  resources: {},
};

const POD_SPEC_DEFAULTS = {
  dnsPolicy: 'ClusterFirst',
  restartPolicy: 'Always',
  schedulerName: 'default-scheduler',
  securityContext: {},
  terminationGracePeriodSeconds: 30,
};

describe('pod defaults', () => {
  it('a minimal pod gets what kubectl get -o yaml shows', () => {
    const pod = defaulted('Pod');
    assert.deepEqual(pod.spec, {
      containers: [
        {
          name: 'web',
          image: 'nginx:1.27',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          ...CONTAINER_DEFAULTS,
        },
      ],
      ...POD_SPEC_DEFAULTS,
      enableServiceLinks: true,
      serviceAccountName: 'default',
      serviceAccount: 'default',
      priority: 0,
      preemptionPolicy: 'PreemptLowerPriority',
    });
    assert.deepEqual(pod.status, { phase: 'Pending', qosClass: 'BestEffort' });
  });

  it('create-only additions are skipped on update', () => {
    const pod = defaulted('Pod', undefined, fixture('Pod'));
    assert.equal(pod.spec.serviceAccountName, undefined);
    assert.equal(pod.spec.tolerations, undefined);
    assert.equal(pod.status, undefined);
    assert.equal(pod.spec.enableServiceLinks, true);
  });

  it('requests are copied from limits when missing; quantities are canonical', () => {
    const pod = defaulted('Pod', (o) => {
      o.spec.containers[0].resources = { limits: { cpu: 0.5, memory: '1024Mi' }, requests: { cpu: '0.25' } };
    });
    assert.deepEqual(pod.spec.containers[0].resources, {
      limits: { cpu: '500m', memory: '1Gi' },
      requests: { cpu: '250m', memory: '1Gi' },
    });
    assert.equal(pod.status.qosClass, 'Burstable');
  });

  it('probes get timeouts, periods, thresholds and HTTP defaults', () => {
    const pod = defaulted('Pod', (o) => {
      o.spec.containers[0].livenessProbe = { httpGet: { port: 80 } };
      o.spec.containers[0].readinessProbe = { tcpSocket: { port: 80 }, periodSeconds: 5 };
    });
    assert.deepEqual(pod.spec.containers[0].livenessProbe, {
      httpGet: { port: 80, path: '/', scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    assert.equal(pod.spec.containers[0].readinessProbe.periodSeconds, 5);
  });

  it('volumes get default modes, and a sourceless volume becomes an emptyDir', () => {
    const pod = defaulted('Pod', (o) => {
      o.spec.volumes = [
        { name: 'cfg', configMap: { name: 'settings' } },
        { name: 'scratch' },
        { name: 'h', hostPath: { path: '/x' } },
      ];
    });
    assert.deepEqual(pod.spec.volumes, [
      { name: 'cfg', configMap: { name: 'settings', defaultMode: 420 } },
      { name: 'scratch', emptyDir: {} },
      { name: 'h', hostPath: { path: '/x', type: '' } },
    ]);
  });

  it('existing tolerations that cover the defaults are kept alone', () => {
    const pod = defaulted('Pod', (o) => {
      o.spec.tolerations = [{ operator: 'Exists' }];
    });
    assert.deepEqual(pod.spec.tolerations, [{ operator: 'Exists' }]);
  });

  it('host network pods publish their container ports on the host', () => {
    const pod = defaulted('Pod', (o) => {
      o.spec.hostNetwork = true;
    });
    assert.equal(pod.spec.containers[0].ports[0].hostPort, 80);
  });
});

describe('imagePullPolicy', () => {
  const cases: Array<[string, string]> = [
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.27', 'IfNotPresent'],
    ['registry.local:5000/team/app', 'Always'],
    ['registry.local:5000/team/app:v2', 'IfNotPresent'],
    ['nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'IfNotPresent'],
    ['nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'Always'],
    ['Nginx', 'IfNotPresent'],
  ];
  for (const [image, want] of cases) it(image, () => assert.equal(defaultPullPolicy(image), want));
});

describe('QoS class', () => {
  const res = (requests?: Json, limits?: Json) => ({
    containers: [{ name: 'c', resources: { requests, limits } }],
  });
  const cases: Array<[string, Json, string]> = [
    ['no resources', res(), 'BestEffort'],
    ['requests only', res({ cpu: '100m' }), 'Burstable'],
    [
      'equal cpu and memory',
      res({ cpu: '1', memory: '1Gi' }, { cpu: '1000m', memory: '1024Mi' }),
      'Guaranteed',
    ],
    ['limits only on cpu', res({ cpu: '1' }, { cpu: '1' }), 'Burstable'],
  ];
  for (const [name, spec, want] of cases) it(name, () => assert.equal(podQOSClass(spec), want));
});

describe('workload defaults', () => {
  it('deployment', () => {
    const d = defaulted('Deployment', (o) => {
      delete o.spec.replicas;
    });
    assert.equal(d.spec.replicas, 1);
    assert.deepEqual(d.spec.strategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
    });
    assert.equal(d.spec.revisionHistoryLimit, 10);
    assert.equal(d.spec.progressDeadlineSeconds, 600);
    // pod template: pod-spec defaults only, none of the Pod-only ones
    assert.deepEqual(d.spec.template.spec, {
      containers: [
        {
          name: 'web',
          image: 'nginx:1.27',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          ...CONTAINER_DEFAULTS,
        },
      ],
      ...POD_SPEC_DEFAULTS,
    });
  });

  it('a Recreate deployment gets no rollingUpdate', () => {
    const d = defaulted('Deployment', (o) => {
      o.spec.strategy = { type: 'Recreate' };
    });
    assert.deepEqual(d.spec.strategy, { type: 'Recreate' });
  });

  it('replicaset', () => {
    const rs = defaulted('ReplicaSet', (o) => {
      delete o.spec.replicas;
    });
    assert.equal(rs.spec.replicas, 1);
  });

  it('daemonset', () => {
    const ds = defaulted('DaemonSet');
    assert.deepEqual(ds.spec.updateStrategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    });
    assert.equal(ds.spec.revisionHistoryLimit, 10);
  });

  it('statefulset', () => {
    const sts = defaulted('StatefulSet', (o) => {
      delete o.spec.replicas;
    });
    assert.equal(sts.spec.podManagementPolicy, 'OrderedReady');
    assert.deepEqual(sts.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    assert.deepEqual(sts.spec.persistentVolumeClaimRetentionPolicy, {
      whenDeleted: 'Retain',
      whenScaled: 'Retain',
    });
    assert.equal(sts.spec.replicas, 1);
    assert.equal(sts.spec.revisionHistoryLimit, 10);
    assert.equal(sts.spec.volumeClaimTemplates[0].spec.volumeMode, 'Filesystem');
    assert.deepEqual(sts.spec.volumeClaimTemplates[0].status, { phase: 'Pending' });
  });

  it('job', () => {
    const job = defaulted('Job');
    const { template, selector, ...rest } = job.spec;
    assert.deepEqual(rest, {
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      manualSelector: false,
      podReplacementPolicy: 'TerminatingOrFailed',
    });
    assert.equal(template.spec.restartPolicy, 'Never');
    assert.deepEqual(job.metadata.labels, template.metadata.labels);
  });

  it('job with parallelism only keeps completions unset', () => {
    const job = defaulted('Job', (o) => {
      o.spec.parallelism = 3;
    });
    assert.equal(job.spec.completions, undefined);
    assert.equal(job.spec.parallelism, 3);
  });

  it('cronjob', () => {
    const cj = defaulted('CronJob');
    assert.equal(cj.spec.concurrencyPolicy, 'Allow');
    assert.equal(cj.spec.suspend, false);
    assert.equal(cj.spec.successfulJobsHistoryLimit, 3);
    assert.equal(cj.spec.failedJobsHistoryLimit, 1);
    assert.equal(cj.spec.jobTemplate.spec.template.spec.schedulerName, 'default-scheduler');
    assert.equal(cj.spec.jobTemplate.spec.backoffLimit, undefined);
  });
});

describe('other kinds', () => {
  it('service', () => {
    const svc = defaulted('Service', (o) => {
      o.spec.ports.push({ name: 'metrics', port: 9090 });
      o.spec.ports[0].name = 'http';
    });
    assert.deepEqual(svc.spec, {
      selector: { app: 'web' },
      ports: [
        { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
        { name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP' },
      ],
      sessionAffinity: 'None',
      type: 'ClusterIP',
      internalTrafficPolicy: 'Cluster',
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
    });
    assert.deepEqual(svc.status, { loadBalancer: {} });
  });

  it('load balancer and node port services', () => {
    const svc = defaulted('Service', (o) => {
      o.spec.type = 'LoadBalancer';
      o.spec.clusterIP = 'fd00::10';
    });
    assert.equal(svc.spec.externalTrafficPolicy, 'Cluster');
    assert.equal(svc.spec.allocateLoadBalancerNodePorts, true);
    assert.deepEqual(svc.spec.clusterIPs, ['fd00::10']);
    assert.deepEqual(svc.spec.ipFamilies, ['IPv6']);
  });

  it('ExternalName services get no IP families', () => {
    const svc = defaulted('Service', (o) => {
      o.spec = { type: 'ExternalName', externalName: 'db.example.com' };
    });
    assert.equal(svc.spec.ipFamilies, undefined);
    assert.equal(svc.spec.ipFamilyPolicy, undefined);
  });

  it('secret: type Opaque, stringData merged into data', () => {
    const s = defaulted('Secret', (o) => {
      o.stringData = { user: 'admin' };
    });
    assert.equal(s.type, 'Opaque');
    assert.equal(s.stringData, undefined);
    assert.equal(Buffer.from(s.data.user, 'base64').toString(), 'admin');
  });

  it('namespace', () => {
    const ns = defaulted('Namespace');
    assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
    assert.deepEqual(ns.status, { phase: 'Active' });
    assert.deepEqual(ns.metadata.labels, { 'kubernetes.io/metadata.name': 'team-a' });
    const updated = defaulted('Namespace', undefined, fixture('Namespace'));
    assert.equal(updated.spec, undefined);
  });

  it('hpa', () => {
    const hpa = defaulted('HorizontalPodAutoscaler', (o) => {
      delete o.spec.minReplicas;
      delete o.spec.metrics;
      o.spec.behavior = { scaleDown: { stabilizationWindowSeconds: 60 } };
    });
    assert.equal(hpa.spec.minReplicas, 1);
    assert.deepEqual(hpa.spec.metrics, [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
      },
    ]);
    assert.deepEqual(hpa.spec.behavior, {
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: 'Max',
        policies: [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ],
      },
      scaleDown: {
        stabilizationWindowSeconds: 60,
        selectPolicy: 'Max',
        policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
      },
    });
  });

  it('ingress, ingress class, network policy', () => {
    assert.deepEqual(defaulted('Ingress').status, { loadBalancer: {} });
    const ic = defaulted('IngressClass', (o) => {
      o.spec.parameters = { kind: 'Config', name: 'x' };
    });
    assert.equal(ic.spec.parameters.scope, 'Cluster');
    const np = defaulted('NetworkPolicy', (o) => {
      o.spec.egress = [{}];
    });
    assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
    assert.equal(np.spec.ingress[0].ports[0].protocol, 'TCP');
  });

  it('endpoints, endpoint slices, priority classes, bindings, nodes, events, leases', () => {
    assert.equal(defaulted('Endpoints').subsets[0].ports[0].protocol, 'TCP');
    assert.deepEqual(defaulted('EndpointSlice').ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.equal(defaulted('PriorityClass').preemptionPolicy, 'PreemptLowerPriority');
    assert.equal(defaulted('RoleBinding').subjects[0].apiGroup, 'rbac.authorization.k8s.io');
    assert.equal(defaulted('ClusterRoleBinding').subjects[0].apiGroup, undefined);
    assert.deepEqual(defaulted('Node').status.allocatable, { cpu: '4', memory: '8Gi', pods: '110' });
    const ev = defaulted('Event');
    assert.equal(ev.reportingComponent, '');
    assert.equal(ev.eventTime, null);
    assert.deepEqual(defaulted('Lease'), fixture('Lease'));
  });
});
