import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { type EvictionPlan, type PendingEviction, planEviction } from './eviction.js';

const T0 = 1_700_000_000_000;
const UNREACHABLE: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
const NOT_READY: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' };
const UNREACHABLE_NOSCHEDULE: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' };
const DEFAULTS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 },
];

const pod = (tolerations: Toleration[] = DEFAULTS, extra: Partial<Pod['metadata']> = {}): Pod => ({
  metadata: { name: 'p', namespace: 'ns', ...extra },
  spec: { nodeName: 'n1', containers: [], tolerations },
});

describe('planEviction', () => {
  const cases: {
    name: string;
    pod: Pod;
    taints: Taint[];
    pending?: PendingEviction;
    now?: number;
    want: EvictionPlan;
  }[] = [
    { name: 'no taints: nothing', pod: pod(), taints: [], want: { action: 'none' } },
    {
      name: 'only NoSchedule taints: nothing',
      pod: pod(),
      taints: [UNREACHABLE_NOSCHEDULE],
      want: { action: 'none' },
    },
    {
      name: 'an untolerated NoExecute taint: at once',
      pod: pod([]),
      taints: [UNREACHABLE],
      want: { action: 'evict' },
    },
    {
      name: 'tolerated for 2 s: wait 2 s from now',
      pod: pod(),
      taints: [UNREACHABLE],
      want: { action: 'wait', pending: { since: T0, at: T0 + 2000 } },
    },
    {
      name: 'a pending eviction keeps its start',
      pod: pod(),
      taints: [UNREACHABLE],
      pending: { since: T0 - 1500, at: T0 + 500 },
      want: { action: 'wait', pending: { since: T0 - 1500, at: T0 + 500 } },
    },
    {
      name: 'due: evict',
      pod: pod(),
      taints: [UNREACHABLE],
      pending: { since: T0 - 2000, at: T0 },
      want: { action: 'evict' },
    },
    {
      name: 'the shortest of the tolerations used wins',
      pod: pod([
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 30,
        },
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 5,
        },
      ]),
      taints: [UNREACHABLE, NOT_READY],
      want: { action: 'wait', pending: { since: T0, at: T0 + 5000 } },
    },
    {
      name: 'tolerated forever (a DaemonSet pod): never',
      pod: pod([{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }]),
      taints: [UNREACHABLE],
      pending: { since: T0 - 1000, at: T0 + 1000 },
      want: { action: 'none' },
    },
    {
      name: 'an empty-key Exists toleration tolerates everything forever',
      pod: pod([{ operator: 'Exists' }]),
      taints: [UNREACHABLE, NOT_READY],
      want: { action: 'none' },
    },
    {
      name: 'one tolerated taint and one not: at once',
      pod: pod([DEFAULTS[1]!]),
      taints: [UNREACHABLE, NOT_READY],
      want: { action: 'evict' },
    },
    {
      name: 'negative tolerationSeconds mean at once',
      pod: pod([{ ...DEFAULTS[1]!, tolerationSeconds: -5 }]),
      taints: [UNREACHABLE],
      want: { action: 'evict' },
    },
    {
      name: 'a pod already being deleted: nothing more',
      pod: pod([], { deletionTimestamp: '2026-01-01T00:00:00Z' }),
      taints: [UNREACHABLE],
      want: { action: 'none' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(planEviction(c.pod, c.taints, c.pending, c.now ?? T0), c.want);
    });
  }

  it('taints gone before the deadline: the pending eviction is dropped', () => {
    const first = planEviction(pod(), [UNREACHABLE], undefined, T0);
    assert.equal(first.action, 'wait');
    const pending = first.action === 'wait' ? first.pending : undefined;
    assert.deepEqual(planEviction(pod(), [], pending, T0 + 1000), { action: 'none' });
  });
});
