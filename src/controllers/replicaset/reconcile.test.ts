import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { BURST_REPLICAS, computeStatus, podsToDelete, replicaDiff, statusChanged } from './reconcile.js';

const NOW = Date.parse('2026-01-01T00:10:00Z');

function pod(
  name: string,
  o: {
    node?: string;
    phase?: string;
    readySince?: string;
    restarts?: number;
    created?: string;
    cost?: number;
    labels?: Record<string, string>;
  } = {},
): Pod {
  return {
    metadata: {
      name,
      labels: o.labels ?? { app: 'a' },
      creationTimestamp: o.created ?? '2026-01-01T00:00:00Z',
      ...(o.cost !== undefined
        ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(o.cost) } }
        : {}),
    },
    spec: { containers: [], ...(o.node ? { nodeName: o.node } : {}) },
    status: {
      phase: o.phase ?? 'Running',
      ...(o.readySince
        ? { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: o.readySince }] }
        : {}),
      containerStatuses: [
        { name: 'c', restartCount: o.restarts ?? 0, ready: !!o.readySince, image: 'x', imageID: '' },
      ],
    },
  };
}

const names = (pods: Pod[]) => pods.map((p) => p.metadata?.name);

describe('ReplicaSet deletion order', () => {
  const cases: { name: string; pods: Pod[]; n: number; want: string[] }[] = [
    {
      name: 'unscheduled first',
      pods: [
        pod('on-node', { node: 'n1', readySince: '2026-01-01T00:01:00Z' }),
        pod('nowhere', { phase: 'Pending' }),
      ],
      n: 1,
      want: ['nowhere'],
    },
    {
      name: 'Pending before Running',
      pods: [pod('running', { node: 'n' }), pod('pending', { node: 'n', phase: 'Pending' })],
      n: 1,
      want: ['pending'],
    },
    {
      name: 'not Ready before Ready',
      pods: [pod('ready', { node: 'n', readySince: '2026-01-01T00:01:00Z' }), pod('unready', { node: 'n' })],
      n: 1,
      want: ['unready'],
    },
    {
      name: 'lower deletion cost first',
      pods: [pod('dear', { node: 'n', cost: 10 }), pod('cheap', { node: 'n', cost: -5 })],
      n: 1,
      want: ['cheap'],
    },
    {
      name: 'Ready for less time first',
      pods: [
        pod('old', { node: 'n', readySince: '2026-01-01T00:01:00Z' }),
        pod('young', { node: 'n', readySince: '2026-01-01T00:09:00Z' }),
      ],
      n: 1,
      want: ['young'],
    },
    {
      name: 'more restarts first',
      pods: [pod('calm', { node: 'n' }), pod('crashy', { node: 'n', restarts: 4 })],
      n: 1,
      want: ['crashy'],
    },
    {
      name: 'newer first',
      pods: [
        pod('older', { node: 'n', created: '2026-01-01T00:00:00Z' }),
        pod('newer', { node: 'n', created: '2026-01-01T00:05:00Z' }),
      ],
      n: 2,
      want: ['newer', 'older'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(names(podsToDelete(c.pods, c.n)), c.want));
  }
});

describe('ReplicaSet replica difference', () => {
  const rs = (replicas: number): ReplicaSet => ({ spec: { replicas, selector: {} } }) as ReplicaSet;
  it('creates the missing ones and deletes the surplus', () => {
    assert.equal(replicaDiff(rs(3), 1), 2);
    assert.equal(replicaDiff(rs(1), 3), -2);
    assert.equal(replicaDiff(rs(2), 2), 0);
  });
  it('acts on at most BURST_REPLICAS per pass', () => {
    assert.equal(replicaDiff(rs(10_000), 0), BURST_REPLICAS);
    assert.equal(replicaDiff(rs(0), 10_000), -BURST_REPLICAS);
  });
});

describe('ReplicaSet status', () => {
  const rs: ReplicaSet = {
    metadata: { name: 'r', generation: 4 },
    spec: {
      replicas: 3,
      minReadySeconds: 60,
      selector: {},
      template: { metadata: { labels: { app: 'a', tier: 'web' } } },
    },
  };
  const pods = [
    pod('a', { node: 'n', readySince: '2026-01-01T00:01:00Z', labels: { app: 'a', tier: 'web' } }),
    pod('b', { node: 'n', readySince: '2026-01-01T00:09:30Z', labels: { app: 'a', tier: 'web' } }),
    pod('c', { node: 'n', labels: { app: 'a' } }),
  ];
  it('counts replicas, fully labelled, ready and available (Ready for minReadySeconds)', () => {
    const s = computeStatus(rs, pods, undefined, NOW, '2026-01-01T00:10:00Z');
    assert.deepEqual(s, {
      replicas: 3,
      fullyLabeledReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 1,
      observedGeneration: 4,
    });
  });
  it('sets ReplicaFailure while creations fail and drops it after', () => {
    const failing = computeStatus(rs, pods, { reason: 'FailedCreate', message: 'quota' }, NOW, 'T1');
    assert.deepEqual(failing.conditions, [
      {
        type: 'ReplicaFailure',
        status: 'True',
        reason: 'FailedCreate',
        message: 'quota',
        lastTransitionTime: 'T1',
      },
    ]);
    const again = computeStatus(
      { ...rs, status: failing },
      pods,
      { reason: 'FailedCreate', message: 'quota' },
      NOW,
      'T2',
    );
    assert.equal(
      again.conditions?.[0]?.lastTransitionTime,
      'T1',
      'the same failure keeps its transition time',
    );
    const healed = computeStatus({ ...rs, status: failing }, pods, undefined, NOW, 'T3');
    assert.equal(healed.conditions, undefined);
    assert.equal(statusChanged(failing, healed), true);
    assert.equal(statusChanged(healed, { ...healed }), false);
  });
});
