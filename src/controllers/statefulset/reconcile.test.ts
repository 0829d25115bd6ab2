import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { newStatefulPod, ordinalOf } from './pods.js';
import { planStatefulSet, type Revision } from './reconcile.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const template = (image: string): PodTemplateSpec => ({
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', image, volumeMounts: [{ name: 'data', mountPath: '/data' }] }] },
});
const V1: Revision = { name: 'web-v1', template: template('busybox:1') };
const V2: Revision = { name: 'web-v2', template: template('busybox:2') };

function sts(mutate: (s: StatefulSet) => void = () => {}): StatefulSet {
  const s: StatefulSet = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default', uid: 'sts-uid', generation: 3 },
    spec: {
      replicas: 3,
      serviceName: 'nginx',
      selector: { matchLabels: { app: 'web' } },
      template: template('busybox:2'),
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }],
    },
  };
  mutate(s);
  return s;
}

/** "web-0" Running and Ready at v2; "web-1:v1", "web-2:pending", "web-3:deleting", "web-0:failed". */
function pods(...specs: string[]): Pod[] {
  return specs.map((spec) => {
    const [name, ...flags] = spec.split(':');
    const ordinal = Number(name!.split('-')[1]);
    const rev = flags.includes('v1') ? V1 : V2;
    const p = newStatefulPod(sts(), rev.template, rev.name, ordinal);
    Object.assign(p.metadata!, {
      uid: `uid-${name}`,
      ...(flags.includes('deleting') ? { deletionTimestamp: new Date(NOW).toISOString() } : {}),
    });
    const pending = flags.includes('pending');
    const failed = flags.includes('failed');
    Object.assign(p, {
      status: {
        phase: failed ? 'Failed' : pending ? 'Pending' : 'Running',
        conditions: [{ type: 'Ready', status: pending || failed ? 'False' : 'True' }],
      },
    });
    return p;
  });
}

interface Case {
  name: string;
  sts?: (s: StatefulSet) => void;
  pods: Pod[];
  current?: Revision;
  create?: string[];
  delete?: string[];
  waiting?: string;
  status?: Record<string, unknown>;
}

const cases: Case[] = [
  { name: 'OrderedReady starts with web-0 only', pods: [], create: ['web-0'] },
  { name: 'then web-1 once web-0 is Running and Ready', pods: pods('web-0'), create: ['web-1'] },
  {
    name: 'waits while web-0 is pending',
    pods: pods('web-0:pending'),
    waiting: 'waiting for web-0 to be Running and Ready',
  },
  {
    name: 'a deleted pod is not replaced while its object exists (Terminating)',
    pods: pods('web-0', 'web-1:deleting', 'web-2'),
    waiting: 'waiting for web-1 to terminate',
  },
  {
    name: 'a deleted pod that is gone is recreated with its name',
    pods: pods('web-0', 'web-2'),
    create: ['web-1'],
  },
  {
    name: 'a failed pod is deleted, replaced once gone',
    pods: pods('web-0:failed', 'web-1', 'web-2'),
    delete: ['web-0'],
  },
  {
    name: 'Parallel creates every missing pod at once',
    sts: (s) => {
      s.spec!.podManagementPolicy = 'Parallel';
    },
    pods: pods('web-1:pending'),
    create: ['web-0', 'web-2'],
  },
  {
    name: 'Parallel: a terminating pod is still not replaced',
    sts: (s) => {
      s.spec!.podManagementPolicy = 'Parallel';
    },
    pods: pods('web-0:deleting'),
    create: ['web-1', 'web-2'],
  },
  {
    name: 'scale down removes the highest ordinal first, one at a time',
    sts: (s) => {
      s.spec!.replicas = 1;
    },
    pods: pods('web-0', 'web-1', 'web-2'),
    delete: ['web-2'],
  },
  {
    name: 'scale down waits for the removed pod to go',
    sts: (s) => {
      s.spec!.replicas = 1;
    },
    pods: pods('web-0', 'web-1', 'web-2:deleting'),
    waiting: 'waiting for web-2 to terminate',
  },
  {
    name: 'scale down does not pass an unhealthy pod below',
    sts: (s) => {
      s.spec!.replicas = 2;
    },
    pods: pods('web-0', 'web-1:pending', 'web-2'),
    waiting: 'waiting for web-1 to be Running and Ready',
  },
  {
    name: 'Parallel scale down removes every condemned pod',
    sts: (s) => {
      s.spec!.replicas = 1;
      s.spec!.podManagementPolicy = 'Parallel';
    },
    pods: pods('web-0', 'web-1', 'web-2'),
    delete: ['web-1', 'web-2'],
  },
  {
    name: 'rolling update starts at the highest ordinal',
    pods: pods('web-0:v1', 'web-1:v1', 'web-2:v1'),
    current: V1,
    delete: ['web-2'],
    status: { currentReplicas: 3, updatedReplicas: 0, currentRevision: 'web-v1', updateRevision: 'web-v2' },
  },
  {
    name: 'rolling update goes down once the replaced pod is healthy',
    pods: pods('web-0:v1', 'web-1:v1', 'web-2'),
    current: V1,
    delete: ['web-1'],
    status: { currentReplicas: 2, updatedReplicas: 1 },
  },
  {
    name: 'rolling update waits for the replaced pod to be Ready',
    pods: pods('web-0:v1', 'web-1:v1', 'web-2:pending'),
    current: V1,
    waiting: 'waiting for web-2 to be Running and Ready',
  },
  {
    name: 'partition: pods below it stay at the current revision',
    sts: (s) => {
      s.spec!.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 2 } };
    },
    pods: pods('web-0:v1', 'web-1:v1', 'web-2'),
    current: V1,
    status: { currentRevision: 'web-v1', updatedReplicas: 1, currentReplicas: 2 },
  },
  {
    name: 'partition: a missing pod below it comes back at the current revision',
    sts: (s) => {
      s.spec!.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 2 } };
    },
    pods: pods('web-0:v1', 'web-2'),
    current: V1,
    create: ['web-1@web-v1'],
  },
  {
    name: 'OnDelete replaces nothing; a deleted pod comes back at the update revision',
    sts: (s) => {
      s.spec!.updateStrategy = { type: 'OnDelete' };
    },
    pods: pods('web-0:v1', 'web-2:v1'),
    current: V1,
    create: ['web-1@web-v2'],
  },
  {
    name: 'every pod updated and Ready: the update revision becomes current',
    pods: pods('web-0', 'web-1', 'web-2'),
    current: V1,
    status: {
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
      currentRevision: 'web-v2',
      observedGeneration: 3,
    },
  },
];

describe('planStatefulSet', () => {
  for (const c of cases) {
    it(c.name, () => {
      const plan = planStatefulSet({
        set: sts(c.sts),
        pods: c.pods,
        current: c.current ?? V2,
        update: V2,
        nowMs: NOW,
      });
      const created = plan.create.map((p) => {
        const rev = p.metadata!.labels!['controller-revision-hash'];
        return c.create?.some((x) => x.includes('@')) ? `${p.metadata!.name}@${rev}` : p.metadata!.name;
      });
      assert.deepEqual(created, c.create ?? []);
      assert.deepEqual(plan.delete.map((d) => d.pod.metadata!.name).sort(), c.delete ?? []);
      assert.equal(plan.waiting, c.waiting);
      for (const [k, v] of Object.entries(c.status ?? {})) {
        assert.equal((plan.status as unknown as Record<string, unknown>)[k], v, k);
      }
    });
  }

  it('does nothing but count while the set is being deleted', () => {
    const plan = planStatefulSet({
      set: sts((s) => {
        Object.assign(s.metadata!, { deletionTimestamp: new Date(NOW).toISOString() });
      }),
      pods: pods('web-0'),
      current: V2,
      update: V2,
      nowMs: NOW,
    });
    assert.deepEqual([plan.create.length, plan.delete.length, plan.status.replicas], [0, 0, 1]);
  });

  it('relabels a pod missing its identity labels', () => {
    const [p] = pods('web-0');
    delete p!.metadata!.labels!['apps.kubernetes.io/pod-index'];
    const plan = planStatefulSet({ set: sts(), pods: [p!], current: V2, update: V2, nowMs: NOW });
    assert.deepEqual(
      plan.relabel.map((r) => r.labels),
      [{ 'apps.kubernetes.io/pod-index': '0' }],
    );
  });
});

describe('newStatefulPod', () => {
  it('names, labels, hostname, subdomain and a placeholder for each claim template', () => {
    const p = newStatefulPod(sts(), V1.template, 'web-v1', 2);
    assert.equal(p.metadata!.name, 'web-2');
    assert.equal(p.metadata!.generateName, undefined);
    assert.deepEqual(p.metadata!.labels, {
      app: 'web',
      'statefulset.kubernetes.io/pod-name': 'web-2',
      'apps.kubernetes.io/pod-index': '2',
      'controller-revision-hash': 'web-v1',
    });
    assert.equal(p.spec!.hostname, 'web-2');
    assert.equal(p.spec!.subdomain, 'nginx');
    assert.deepEqual(p.spec!.volumes, [{ name: 'data', emptyDir: {} }]);
    assert.equal(p.metadata!.ownerReferences![0]!.uid, 'sts-uid');
  });

  it('reads ordinals only from <set>-<n> names', () => {
    const s = sts();
    const named = (name: string) => ({ metadata: { name } }) as Pod;
    assert.deepEqual(
      ['web-0', 'web-12', 'web-01', 'web-x', 'webby-1', 'web-'].map((n) => ordinalOf(s, named(n))),
      [0, 12, undefined, undefined, undefined, undefined],
    );
  });
});
