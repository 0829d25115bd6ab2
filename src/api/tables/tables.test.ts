import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyDefaults } from '../defaults/index.js';
import { fixture } from '../fixtures.js';
import type { KubeObject } from '../object.js';
import { RESOURCES } from '../resources.js';
import { humanDuration, shortHumanDuration } from './duration.js';
import { toTable } from './index.js';
import { summarizePod } from './pod-status.js';

// biome-ignore lint/suspicious/noExplicitAny: tests reach into objects freely
type Json = Record<string, any>;

const NOW = new Date('2024-05-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('humanDuration (kubectl ages)', () => {
  const cases: Array<[number, string]> = [
    [-3 * S, '<invalid>'],
    [-1500, '0s'],
    [0, '0s'],
    [45 * S, '45s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [2 * M + 30 * S, '2m30s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [3 * H + 5 * M, '3h5m'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H + 30 * M, '8h'],
    [47 * H, '47h'],
    [2 * D, '2d'],
    [2 * D + 3 * H, '2d3h'],
    [7 * D + 23 * H, '7d23h'],
    [8 * D, '8d'],
    [729 * D, '729d'],
    [730 * D, '2y'],
    [740 * D, '2y10d'],
    [8 * 365 * D, '8y'],
  ];
  for (const [ms, want] of cases) it(`${ms}ms → ${want}`, () => assert.equal(humanDuration(ms), want));
  it('shortHumanDuration', () => {
    assert.deepEqual([59 * S, 5 * M, 23 * H, 364 * D, 400 * D].map(shortHumanDuration), [
      '59s',
      '5m',
      '23h',
      '364d',
      '1y',
    ]);
  });
});

function pod(status: Json, spec: Json = {}, meta: Json = {}): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', creationTimestamp: ago(300), ...meta },
    spec: { containers: [{ name: 'a', image: 'x' }], ...spec },
    status,
  };
}

const running = (name: string, ready = true, restartCount = 0, extra: Json = {}) => ({
  name,
  ready,
  restartCount,
  state: { running: { startedAt: ago(100) } },
  ...extra,
});
const waiting = (name: string, reason: string, restartCount = 0, extra: Json = {}) => ({
  name,
  ready: false,
  restartCount,
  state: { waiting: { reason } },
  ...extra,
});
const terminated = (name: string, exitCode: number, reason?: string, signal?: number) => ({
  name,
  ready: false,
  restartCount: 0,
  state: { terminated: { exitCode, ...(reason ? { reason } : {}), ...(signal ? { signal } : {}) } },
});

describe('pod READY / STATUS / RESTARTS', () => {
  const twoInits = {
    initContainers: [
      { name: 'i1', image: 'x' },
      { name: 'i2', image: 'x' },
    ],
  };
  const cases: Array<[string, Json, [string, string, string]]> = [
    ['pending, unscheduled', pod({ phase: 'Pending' }), ['0/1', 'Pending', '0']],
    [
      'container creating',
      pod({ phase: 'Pending', containerStatuses: [waiting('a', 'ContainerCreating')] }),
      ['0/1', 'ContainerCreating', '0'],
    ],
    [
      'running and ready',
      pod({ phase: 'Running', containerStatuses: [running('a')] }),
      ['1/1', 'Running', '0'],
    ],
    [
      'running, not ready',
      pod({ phase: 'Running', containerStatuses: [running('a', false)] }),
      ['0/1', 'Running', '0'],
    ],
    [
      'crash loop with last restart time',
      pod({
        phase: 'Running',
        containerStatuses: [
          waiting('a', 'CrashLoopBackOff', 5, {
            lastState: { terminated: { exitCode: 1, finishedAt: ago(300) } },
          }),
        ],
      }),
      ['0/1', 'CrashLoopBackOff', '5 (5m ago)'],
    ],
    [
      'completed',
      pod({ phase: 'Succeeded', containerStatuses: [terminated('a', 0, 'Completed')] }),
      ['0/1', 'Completed', '0'],
    ],
    [
      'error',
      pod({ phase: 'Failed', containerStatuses: [terminated('a', 1, 'Error')] }),
      ['0/1', 'Error', '0'],
    ],
    [
      'exit code without reason',
      pod({ phase: 'Failed', containerStatuses: [terminated('a', 3)] }),
      ['0/1', 'ExitCode:3', '0'],
    ],
    [
      'signal without reason',
      pod({ phase: 'Failed', containerStatuses: [terminated('a', 137, '', 9)] }),
      ['0/1', 'Signal:9', '0'],
    ],
    [
      'first init container running',
      pod(
        {
          phase: 'Pending',
          initContainerStatuses: [waiting('i1', 'PodInitializing'), waiting('i2', 'PodInitializing')],
        },
        twoInits,
      ),
      ['0/1', 'Init:0/2', '0'],
    ],
    [
      'second init container running',
      pod(
        { phase: 'Pending', initContainerStatuses: [terminated('i1', 0, 'Completed'), running('i2', false)] },
        twoInits,
      ),
      ['0/1', 'Init:1/2', '0'],
    ],
    [
      'init container crash looping',
      pod(
        {
          phase: 'Pending',
          initContainerStatuses: [waiting('i1', 'CrashLoopBackOff', 2), waiting('i2', 'PodInitializing')],
        },
        twoInits,
      ),
      ['0/1', 'Init:CrashLoopBackOff', '2'],
    ],
    [
      'init container failed',
      pod(
        { phase: 'Pending', initContainerStatuses: [terminated('i1', 2), waiting('i2', 'PodInitializing')] },
        twoInits,
      ),
      ['0/1', 'Init:ExitCode:2', '0'],
    ],
    [
      'sidecar counts towards ready',
      pod(
        {
          phase: 'Running',
          conditions: [{ type: 'Initialized', status: 'True' }],
          initContainerStatuses: [running('side', true, 1, { started: true })],
          containerStatuses: [running('a')],
        },
        { initContainers: [{ name: 'side', image: 'x', restartPolicy: 'Always' }] },
      ),
      ['2/2', 'Running', '1'],
    ],
    [
      'terminating',
      pod({ phase: 'Running', containerStatuses: [running('a')] }, {}, { deletionTimestamp: ago(5) }),
      ['1/1', 'Terminating', '0'],
    ],
    [
      'node lost while deleting',
      pod(
        { phase: 'Running', reason: 'NodeLost', containerStatuses: [running('a')] },
        {},
        { deletionTimestamp: ago(5) },
      ),
      ['1/1', 'Unknown', '0'],
    ],
    [
      'evicted',
      pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' }),
      ['0/1', 'Evicted', '0'],
    ],
    [
      'scheduling gated',
      pod({
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }],
      }),
      ['0/1', 'SchedulingGated', '0'],
    ],
    [
      'one of two containers completed, pod still ready',
      pod(
        {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True' }],
          containerStatuses: [terminated('a', 0, 'Completed'), running('b')],
        },
        {
          containers: [
            { name: 'a', image: 'x' },
            { name: 'b', image: 'x' },
          ],
        },
      ),
      ['1/2', 'Running', '0'],
    ],
    [
      'one of two containers completed, pod not ready',
      pod(
        { phase: 'Running', containerStatuses: [terminated('a', 0, 'Completed'), running('b')] },
        {
          containers: [
            { name: 'a', image: 'x' },
            { name: 'b', image: 'x' },
          ],
        },
      ),
      ['1/2', 'NotReady', '0'],
    ],
  ];
  for (const [name, p, [ready, status, restarts]] of cases) {
    it(name, () => {
      const sum = summarizePod(p, NOW);
      assert.deepEqual([sum.ready, sum.status, sum.restarts], [ready, status, restarts]);
    });
  }
});

function table(
  kind: string,
  objects: Json[],
  opts: { wide?: boolean; includeObject?: 'None' | 'Object' | 'Metadata' } = {},
) {
  const def = RESOURCES.find((r) => r.kind === kind)!;
  return toTable(def, objects as KubeObject[], { now: NOW, ...opts });
}

function stored(kind: string, mutate?: (o: Json) => void): Json {
  const def = RESOURCES.find((r) => r.kind === kind)!;
  const o = fixture(kind) as Json;
  applyDefaults(def, o as KubeObject);
  o.metadata.creationTimestamp = ago(3 * 3600 + 5 * 60);
  o.metadata.uid = 'u1';
  mutate?.(o);
  return o;
}

describe('table shape', () => {
  it('pods: kind, columns, cells, PartialObjectMetadata by default', () => {
    const t = table('Pod', [stored('Pod')]);
    assert.equal(t.kind, 'Table');
    assert.equal(t.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(
      t.columnDefinitions.map((c) => [c.name, c.type, c.format, c.priority]),
      [
        ['Name', 'string', 'name', 0],
        ['Ready', 'string', '', 0],
        ['Status', 'string', '', 0],
        ['Restarts', 'string', '', 0],
        ['Age', 'string', '', 0],
        ['IP', 'string', '', 1],
        ['Node', 'string', '', 1],
        ['Nominated Node', 'string', '', 1],
        ['Readiness Gates', 'string', '', 1],
      ],
    );
    assert.deepEqual(t.rows[0]!.cells, [
      'web',
      '0/1',
      'Pending',
      '0',
      '3h5m',
      '<none>',
      '<none>',
      '<none>',
      '<none>',
    ]);
    assert.deepEqual(t.rows[0]!.object, {
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { name: 'web', namespace: 'default', creationTimestamp: ago(3 * 3600 + 5 * 60), uid: 'u1' },
    });
    assert.ok(t.columnDefinitions.every((c) => c.description.length > 0));
  });

  it('narrow tables drop the wide columns and cells', () => {
    const t = table('Pod', [stored('Pod')], { wide: false });
    assert.deepEqual(
      t.columnDefinitions.map((c) => c.name),
      ['Name', 'Ready', 'Status', 'Restarts', 'Age'],
    );
    assert.equal(t.rows[0]!.cells.length, 5);
  });

  it('includeObject Object and None', () => {
    const p = stored('Pod');
    assert.equal(table('Pod', [p], { includeObject: 'Object' }).rows[0]!.object, p);
    assert.equal('object' in table('Pod', [p], { includeObject: 'None' }).rows[0]!, false);
  });

  it('completed pods carry the Completed row condition', () => {
    const p = stored('Pod', (o) => {
      o.status = { phase: 'Succeeded' };
    });
    assert.deepEqual(table('Pod', [p]).rows[0]!.conditions, [
      {
        type: 'Completed',
        status: 'True',
        reason: 'Succeeded',
        message: 'The pod has completed successfully.',
      },
    ]);
  });

  it('every served kind renders one cell per column', () => {
    for (const def of RESOURCES) {
      const t = toTable(def, [stored(def.kind) as KubeObject], { now: NOW });
      assert.equal(t.rows[0]!.cells.length, t.columnDefinitions.length, def.kind);
    }
  });
});

describe('rows per kind', () => {
  const cases: Array<[string, string, (o: Json) => void, unknown[]]> = [
    [
      'running pod, wide',
      'Pod',
      (o) => {
        o.spec.nodeName = 'node-1';
        o.spec.readinessGates = [{ conditionType: 'example.com/lb' }];
        o.status = {
          phase: 'Running',
          podIP: '10.1.0.5',
          podIPs: [{ ip: '10.1.0.5' }],
          conditions: [{ type: 'example.com/lb', status: 'True' }],
          containerStatuses: [running('web')],
        };
      },
      ['web', '1/1', 'Running', '0', '3h5m', '10.1.0.5', 'node-1', '<none>', '1/1'],
    ],
    [
      'deployment',
      'Deployment',
      (o) => {
        o.status = { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 };
      },
      ['web', '2/3', 3, 2, '3h5m', 'web', 'nginx:1.27', 'app=web'],
    ],
    [
      'replicaset',
      'ReplicaSet',
      (o) => {
        o.status = { replicas: 2, readyReplicas: 1 };
      },
      ['web-5d4f', 2, 2, 1, '3h5m', 'web', 'nginx:1.27', 'app=web'],
    ],
    [
      'daemonset',
      'DaemonSet',
      (o) => {
        o.spec.template.spec.nodeSelector = { 'kubernetes.io/os': 'linux' };
        o.status = {
          desiredNumberScheduled: 3,
          currentNumberScheduled: 3,
          numberReady: 2,
          updatedNumberScheduled: 3,
          numberAvailable: 2,
        };
      },
      ['agent', 3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '3h5m', 'web', 'nginx:1.27', 'app=agent'],
    ],
    [
      'statefulset',
      'StatefulSet',
      (o) => {
        o.status = { readyReplicas: 1 };
      },
      ['db', '1/3', '3h5m', 'db', 'postgres:16'],
    ],
    [
      'job running',
      'Job',
      (o) => {
        o.status = { startTime: ago(150), active: 1 };
      },
      ['pi', 'Running', '0/1', '2m30s', '3h5m', 'pi', 'perl:5.34', 'batch.kubernetes.io/controller-uid=a5e1'],
    ],
    [
      'job complete',
      'Job',
      (o) => {
        o.spec.completions = 3;
        o.status = {
          startTime: ago(600),
          completionTime: ago(555),
          succeeded: 3,
          conditions: [{ type: 'Complete', status: 'True' }],
        };
      },
      ['pi', 'Complete', '3/3', '45s', '3h5m', 'pi', 'perl:5.34', 'batch.kubernetes.io/controller-uid=a5e1'],
    ],
    [
      'cronjob',
      'CronJob',
      (o) => {
        o.status = { active: [{ name: 'nightly-1' }], lastScheduleTime: ago(120) };
      },
      ['nightly', '0 3 * * *', '<none>', 'False', 1, '2m', '3h5m', 'task', 'busybox', '<none>'],
    ],
    [
      'service',
      'Service',
      (o) => {
        o.spec.clusterIP = '10.96.0.10';
        o.spec.clusterIPs = ['10.96.0.10'];
      },
      ['web', 'ClusterIP', '10.96.0.10', '<none>', '80/TCP', '3h5m', 'app=web'],
    ],
    [
      'node port service',
      'Service',
      (o) => {
        o.spec.type = 'NodePort';
        o.spec.clusterIPs = ['10.96.0.11'];
        o.spec.ports[0].nodePort = 30080;
      },
      ['web', 'NodePort', '10.96.0.11', '<none>', '80:30080/TCP', '3h5m', 'app=web'],
    ],
    [
      'pending load balancer',
      'Service',
      (o) => {
        o.spec.type = 'LoadBalancer';
        o.spec.clusterIPs = ['10.96.0.12'];
      },
      ['web', 'LoadBalancer', '10.96.0.12', '<pending>', '80/TCP', '3h5m', 'app=web'],
    ],
    [
      'ingress',
      'Ingress',
      (o) => {
        o.spec.tls = [{ hosts: ['www.example.com'] }];
        o.status = { loadBalancer: { ingress: [{ ip: '192.168.1.10' }] } };
      },
      ['web', 'nginx', 'www.example.com', '192.168.1.10', '80, 443', '3h5m'],
    ],
    ['ingress class', 'IngressClass', () => {}, ['nginx', 'k8s.io/ingress-nginx', '<none>', '3h5m']],
    ['endpoints', 'Endpoints', () => {}, ['web', '10.1.0.5:8080', '3h5m']],
    ['endpoint slice', 'EndpointSlice', () => {}, ['web-abc12', 'IPv4', '8080', '10.1.0.5', '3h5m']],
    [
      'node',
      'Node',
      (o) => {
        o.metadata.labels = { 'node-role.kubernetes.io/control-plane': '' };
        o.spec.unschedulable = true;
        o.status.conditions = [{ type: 'Ready', status: 'True' }];
        o.status.nodeInfo = {
          kubeletVersion: 'v1.32.0-shoal',
          osImage: 'Debian',
          kernelVersion: '6.1',
          containerRuntimeVersion: 'docker://27',
        };
        o.status.addresses = [{ type: 'InternalIP', address: '10.0.0.4' }];
      },
      [
        'node-1.example.com',
        'Ready,SchedulingDisabled',
        'control-plane',
        '3h5m',
        'v1.32.0-shoal',
        '10.0.0.4',
        '<none>',
        'Debian',
        '6.1',
        'docker://27',
      ],
    ],
    [
      'event',
      'Event',
      (o) => {
        o.firstTimestamp = ago(600);
        o.lastTimestamp = ago(30);
        o.count = 4;
        o.source = { component: 'default-scheduler' };
      },
      [
        '30s',
        'Normal',
        'Scheduled',
        'pod/web',
        '',
        'default-scheduler',
        'Successfully assigned default/web to node-1',
        '10m',
        4,
        'web.17c3a',
      ],
    ],
    ['namespace', 'Namespace', () => {}, ['team-a', 'Active', '3h5m']],
    ['secret', 'Secret', () => {}, ['creds', 'Opaque', 1, '3h5m']],
    ['configmap', 'ConfigMap', () => {}, ['settings', 1, '3h5m']],
    ['service account', 'ServiceAccount', () => {}, ['builder', 0, '3h5m']],
    [
      'hpa',
      'HorizontalPodAutoscaler',
      (o) => {
        o.status = {
          currentReplicas: 3,
          currentMetrics: [
            { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 55 } } },
          ],
        };
      },
      ['web', 'Deployment/web', 'cpu: 55%/70%', '2', 10, 3, '3h5m'],
    ],
    ['network policy', 'NetworkPolicy', () => {}, ['db-access', 'app=db', '3h5m']],
    ['role binding', 'RoleBinding', () => {}, ['read-pods', 'Role/pod-reader', '3h5m', 'jane', '', '']],
    [
      'cluster role binding',
      'ClusterRoleBinding',
      () => {},
      ['read-nodes', 'ClusterRole/system:node-reader', '3h5m', '', '', 'default/builder'],
    ],
    ['lease', 'Lease', () => {}, ['node-1', 'node-1', '3h5m']],
    ['priority class', 'PriorityClass', () => {}, ['high', 1000, false, '3h5m', 'PreemptLowerPriority']],
    [
      'roles get the default NAME / CREATED AT table',
      'Role',
      (o) => {
        o.metadata.creationTimestamp = '2024-04-30T08:00:00Z';
      },
      ['pod-reader', '2024-04-30T08:00:00Z'],
    ],
  ];
  for (const [name, kind, mutate, want] of cases) {
    it(name, () => assert.deepEqual(table(kind, [stored(kind, mutate)]).rows[0]!.cells, want));
  }

  it('column names kubectl users know', () => {
    const names = (kind: string) =>
      table(kind, [])
        .columnDefinitions.filter((c) => c.priority === 0)
        .map((c) => c.name.toUpperCase());
    assert.deepEqual(names('Deployment'), ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    assert.deepEqual(names('Service'), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    assert.deepEqual(names('Node'), ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
    assert.deepEqual(names('Event'), ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    assert.deepEqual(names('Job'), ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
    assert.deepEqual(names('Secret'), ['NAME', 'TYPE', 'DATA', 'AGE']);
    assert.deepEqual(names('Ingress'), ['NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE']);
    assert.deepEqual(names('ClusterRole'), ['NAME', 'CREATED AT']);
  });

  it('list metadata is carried over', () => {
    const def = RESOURCES.find((r) => r.kind === 'Pod')!;
    const t = toTable(def, [], { now: NOW, listMeta: { resourceVersion: '42', continue: 'abc' } });
    assert.deepEqual(t.metadata, { resourceVersion: '42', continue: 'abc' });
  });
});
