import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { newDaemonPod, nodeFit, targetNodeOf } from './placement.js';
import { planDaemonSet, rollingBudgets } from './reconcile.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

function ds(mutate: (d: DaemonSet) => void = () => {}): DaemonSet {
  const d: DaemonSet = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default', uid: 'ds-uid', generation: 2 },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: {
        metadata: { labels: { app: 'agent' } },
        spec: { containers: [{ name: 'a', image: 'busybox' }] },
      },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
    },
  };
  mutate(d);
  return d;
}

function node(name: string, labels: Record<string, string> = {}, taints: Taint[] = []): Node {
  return { metadata: { name, labels }, spec: { taints } };
}

interface PodOpts {
  node: string;
  hash?: string;
  ready?: boolean;
  readyFor?: number;
  phase?: string;
  bound?: boolean;
  age?: number;
  deleting?: boolean;
}

function pod(name: string, o: PodOpts): Pod {
  const p = newDaemonPod(ds(), o.node, o.hash ?? 'new');
  Object.assign(p.metadata!, {
    name,
    creationTimestamp: ago(o.age ?? 100),
    ...(o.deleting ? { deletionTimestamp: ago(1) } : {}),
  });
  if (o.bound ?? true) p.spec!.nodeName = o.node;
  Object.assign(p, {
    status: {
      phase: o.phase ?? 'Running',
      conditions: [
        {
          type: 'Ready',
          status: (o.ready ?? true) ? 'True' : 'False',
          lastTransitionTime: ago(o.readyFor ?? 60),
        },
      ],
    },
  });
  return p;
}

const names = (pods: { pod: Pod }[]) => pods.map((d) => d.pod.metadata!.name).sort();

describe('nodeFit (NodeShouldRunDaemonPod)', () => {
  const cases: { name: string; ds?: (d: DaemonSet) => void; node: Node; want: [boolean, boolean] }[] = [
    { name: 'plain node', node: node('n1'), want: [true, true] },
    {
      name: 'nodeSelector matches',
      ds: (d) => {
        d.spec!.template.spec!.nodeSelector = { disk: 'ssd' };
      },
      node: node('n1', { disk: 'ssd' }),
      want: [true, true],
    },
    {
      name: 'nodeSelector does not match',
      ds: (d) => {
        d.spec!.template.spec!.nodeSelector = { disk: 'ssd' };
      },
      node: node('n1', { disk: 'hdd' }),
      want: [false, false],
    },
    {
      name: 'required node affinity does not match',
      ds: (d) => {
        d.spec!.template.spec!.affinity = {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }],
            },
          },
        };
      },
      node: node('n1', { zone: 'b' }),
      want: [false, false],
    },
    {
      name: 'untolerated NoSchedule: no new pod, the old one stays',
      node: node('n1', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]),
      want: [false, true],
    },
    {
      name: 'untolerated NoExecute: none at all',
      node: node('n1', {}, [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }]),
      want: [false, false],
    },
    {
      name: 'tolerated NoExecute',
      ds: (d) => {
        d.spec!.template.spec!.tolerations = [{ key: 'dedicated', operator: 'Exists' }];
      },
      node: node('n1', {}, [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }]),
      want: [true, true],
    },
    {
      name: 'unreachable, not-ready and cordoned nodes are tolerated by every daemon',
      node: node('n1', {}, [
        { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
        { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
        { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
      ]),
      want: [true, true],
    },
    {
      name: 'PreferNoSchedule does not count',
      node: node('n1', {}, [{ key: 'x', effect: 'PreferNoSchedule' }]),
      want: [true, true],
    },
    {
      name: 'template nodeName names another node',
      ds: (d) => {
        d.spec!.template.spec!.nodeName = 'n2';
      },
      node: node('n1'),
      want: [false, false],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const fit = nodeFit(ds(c.ds), c.node);
      assert.deepEqual([fit.shouldRun, fit.shouldContinueRunning], c.want);
    });
  }
});

describe('newDaemonPod', () => {
  it('pins the pod to its node with matchFields, adds the daemon tolerations and labels', () => {
    const d = ds((x) => {
      x.spec!.template.spec!.tolerations = [
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 5,
        },
      ];
      x.spec!.template.spec!.affinity = {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }],
          },
        },
      };
    });
    const p = newDaemonPod(d, 'n7', 'abc');
    assert.equal(p.metadata!.generateName, 'agent-');
    assert.deepEqual(p.metadata!.labels, {
      app: 'agent',
      'controller-revision-hash': 'abc',
      'pod-template-generation': '2',
    });
    assert.deepEqual(
      p.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms,
      [
        {
          matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }],
          matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n7'] }],
        },
      ],
    );
    assert.equal(p.spec!.nodeName, undefined);
    assert.equal(targetNodeOf(p), 'n7');
    const tolerations = p.spec!.tolerations!;
    assert.equal(tolerations.length, 6);
    // The template's own unreachable toleration wins over the default one.
    assert.equal(tolerations.find((t) => t.key === 'node.kubernetes.io/unreachable')!.tolerationSeconds, 5);
    assert.ok(
      tolerations.some((t) => t.key === 'node.kubernetes.io/unschedulable' && t.effect === 'NoSchedule'),
    );
  });
});

describe('rollingBudgets', () => {
  const cases: {
    surge?: number | string;
    unavailable?: number | string;
    desired: number;
    want: [number, number];
  }[] = [
    { surge: 0, unavailable: 1, desired: 10, want: [0, 1] },
    { surge: 0, unavailable: '25%', desired: 10, want: [0, 3] },
    { surge: '10%', unavailable: 0, desired: 5, want: [1, 0] },
    { surge: 0, unavailable: 0, desired: 5, want: [0, 1] },
    { desired: 4, want: [0, 1] },
  ];
  for (const c of cases) {
    it(`surge ${c.surge} unavailable ${c.unavailable} of ${c.desired}`, () => {
      const d = ds((x) => {
        x.spec!.updateStrategy = {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: c.surge, maxUnavailable: c.unavailable },
        };
      });
      const b = rollingBudgets(d, c.desired);
      assert.deepEqual([b.maxSurge, b.maxUnavailable], c.want);
    });
  }
});

describe('planDaemonSet', () => {
  const nodes3 = [node('n1'), node('n2'), node('n3')];
  const cases: {
    name: string;
    ds?: (d: DaemonSet) => void;
    nodes?: Node[];
    pods: Pod[];
    create: string[];
    delete: string[];
    status?: Record<string, number>;
    requeue?: number;
  }[] = [
    {
      name: 'a pod for every node',
      pods: [],
      create: ['n1', 'n2', 'n3'],
      delete: [],
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 0, numberReady: 0, numberMisscheduled: 0 },
    },
    {
      name: 'an unbound pod already counts for its node',
      pods: [pod('a', { node: 'n1', bound: false, phase: 'Pending', ready: false })],
      create: ['n2', 'n3'],
      delete: [],
      status: { currentNumberScheduled: 1, numberReady: 0 },
    },
    {
      name: 'steady state',
      pods: [pod('a', { node: 'n1' }), pod('b', { node: 'n2' }), pod('c', { node: 'n3' })],
      create: [],
      delete: [],
      status: {
        desiredNumberScheduled: 3,
        numberReady: 3,
        numberAvailable: 3,
        updatedNumberScheduled: 3,
        numberUnavailable: 0,
      },
    },
    {
      name: 'a node that stops matching loses its pod, counted misscheduled',
      ds: (d) => {
        d.spec!.template.spec!.nodeSelector = { role: 'edge' };
      },
      nodes: [node('n1', { role: 'edge' }), node('n2')],
      pods: [pod('a', { node: 'n1' }), pod('b', { node: 'n2' })],
      create: [],
      delete: ['b'],
      status: { desiredNumberScheduled: 1, numberMisscheduled: 1 },
    },
    {
      name: 'failed pod deleted; its replacement waits for it',
      nodes: [node('n1')],
      pods: [pod('a', { node: 'n1', phase: 'Failed', ready: false })],
      create: [],
      delete: ['a'],
    },
    {
      name: 'a terminating pod does not block a new one',
      nodes: [node('n1')],
      pods: [pod('a', { node: 'n1', deleting: true })],
      create: ['n1'],
      delete: [],
    },
    {
      name: 'two pods on one node: the younger goes',
      nodes: [node('n1')],
      pods: [pod('old', { node: 'n1', age: 200 }), pod('young', { node: 'n1', age: 10 })],
      create: [],
      delete: ['young'],
    },
    {
      name: 'unbound pod for a node that is gone is deleted',
      nodes: [node('n1')],
      pods: [pod('a', { node: 'n1' }), pod('ghost', { node: 'gone', bound: false, phase: 'Pending' })],
      create: [],
      delete: ['ghost'],
    },
    {
      name: 'rolling update, maxUnavailable 1: one old pod at a time',
      pods: [
        pod('a', { node: 'n1', hash: 'old' }),
        pod('b', { node: 'n2', hash: 'old' }),
        pod('c', { node: 'n3', hash: 'old' }),
      ],
      create: [],
      delete: ['a'],
      status: { updatedNumberScheduled: 0 },
    },
    {
      name: 'rolling update waits while a new pod is not available',
      pods: [
        pod('a', { node: 'n1', ready: false }),
        pod('b', { node: 'n2', hash: 'old' }),
        pod('c', { node: 'n3', hash: 'old' }),
      ],
      create: [],
      delete: [],
    },
    {
      name: 'rolling update: unavailable old pods go at once and use the budget',
      pods: [
        pod('a', { node: 'n1', hash: 'old', ready: false }),
        pod('b', { node: 'n2', hash: 'old' }),
        pod('c', { node: 'n3', hash: 'old' }),
      ],
      create: [],
      delete: ['a'],
    },
    {
      name: 'rolling update, maxUnavailable 2',
      ds: (d) => {
        d.spec!.updateStrategy!.rollingUpdate!.maxUnavailable = 2;
      },
      pods: [
        pod('a', { node: 'n1', hash: 'old' }),
        pod('b', { node: 'n2', hash: 'old' }),
        pod('c', { node: 'n3', hash: 'old' }),
      ],
      create: [],
      delete: ['a', 'b'],
    },
    {
      name: 'OnDelete replaces nothing',
      ds: (d) => {
        d.spec!.updateStrategy = { type: 'OnDelete' };
      },
      pods: [
        pod('a', { node: 'n1', hash: 'old' }),
        pod('b', { node: 'n2', hash: 'old' }),
        pod('c', { node: 'n3', hash: 'old' }),
      ],
      create: [],
      delete: [],
    },
    {
      name: 'surge: a new pod next to an available old one, within maxSurge',
      ds: (d) => {
        d.spec!.updateStrategy!.rollingUpdate = { maxSurge: 1, maxUnavailable: 0 };
      },
      pods: [
        pod('a', { node: 'n1', hash: 'old' }),
        pod('b', { node: 'n2', hash: 'old' }),
        pod('c', { node: 'n3', hash: 'old' }),
      ],
      create: ['n1'],
      delete: [],
    },
    {
      name: 'surge: the old pod goes once its new pod is available; both are kept meanwhile',
      ds: (d) => {
        d.spec!.updateStrategy!.rollingUpdate = { maxSurge: 1, maxUnavailable: 0 };
      },
      pods: [
        pod('a-old', { node: 'n1', hash: 'old', age: 200 }),
        pod('a-new', { node: 'n1', age: 10 }),
        pod('b-old', { node: 'n2', hash: 'old', age: 200 }),
        pod('b-new', { node: 'n2', age: 10, ready: false }),
        pod('c', { node: 'n3', hash: 'old' }),
      ],
      create: [],
      delete: ['a-old'],
    },
    {
      name: 'minReadySeconds: ready but not yet available, look again when it is',
      ds: (d) => {
        d.spec!.minReadySeconds = 30;
      },
      nodes: [node('n1')],
      pods: [pod('a', { node: 'n1', readyFor: 10 })],
      create: [],
      delete: [],
      status: { numberReady: 1, numberAvailable: 0, numberUnavailable: 1 },
      requeue: 20_000,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planDaemonSet({
        ds: ds(c.ds),
        nodes: c.nodes ?? nodes3,
        pods: c.pods,
        hash: 'new',
        nowMs: NOW,
      });
      assert.deepEqual([...plan.create].sort(), c.create);
      assert.deepEqual(names(plan.delete), c.delete);
      for (const [k, v] of Object.entries(c.status ?? {})) {
        assert.equal((plan.status as unknown as Record<string, number>)[k], v, k);
      }
      assert.equal(plan.status.observedGeneration, 2);
      assert.equal(plan.requeueAfterMs, c.requeue);
    });
  }
});
