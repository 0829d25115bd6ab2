import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, NodeCondition, Taint } from 'kubernetes-types/core/v1.js';
import { desiredTaints } from './taints.js';

const NOW = Date.parse('2026-01-01T00:00:10Z');
const STAMP = '2026-01-01T00:00:10Z';

const node = (conditions: Record<string, string>, taints?: Taint[], unschedulable = false): Node => ({
  metadata: { name: 'n1' },
  spec: { ...(taints ? { taints } : {}), ...(unschedulable ? { unschedulable } : {}) },
  status: {
    conditions: Object.entries(conditions).map(([type, status]): NodeCondition => ({ type, status })),
  },
});

const HEALTHY = { Ready: 'True', MemoryPressure: 'False', DiskPressure: 'False', PIDPressure: 'False' };
const ADMIN: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
const unreachable = (effect: string, timeAdded?: string): Taint => ({
  key: 'node.kubernetes.io/unreachable',
  effect,
  ...(timeAdded ? { timeAdded } : {}),
});
const notReady = (effect: string, timeAdded?: string): Taint => ({
  key: 'node.kubernetes.io/not-ready',
  effect,
  ...(timeAdded ? { timeAdded } : {}),
});

describe('desiredTaints', () => {
  const cases: { name: string; node: Node; stopped?: boolean; want: Taint[] | undefined }[] = [
    { name: 'a healthy untainted node: nothing to change', node: node(HEALTHY), want: undefined },
    { name: "an admin's taints are kept as they are", node: node(HEALTHY, [ADMIN]), want: undefined },
    {
      name: 'Ready Unknown: unreachable NoSchedule and NoExecute (stamped now)',
      node: node({ ...HEALTHY, Ready: 'Unknown' }, [ADMIN]),
      want: [ADMIN, unreachable('NoSchedule'), unreachable('NoExecute', STAMP)],
    },
    {
      name: 'Ready False: not-ready NoSchedule and NoExecute',
      node: node({ ...HEALTHY, Ready: 'False' }),
      want: [notReady('NoSchedule'), notReady('NoExecute', STAMP)],
    },
    {
      name: 'taints already right (timeAdded kept): nothing to change',
      node: node({ ...HEALTHY, Ready: 'Unknown' }, [
        unreachable('NoSchedule'),
        unreachable('NoExecute', 'earlier'),
      ]),
      want: undefined,
    },
    {
      name: 'not-ready becomes unreachable: one pair replaces the other',
      node: node({ ...HEALTHY, Ready: 'Unknown' }, [
        notReady('NoSchedule'),
        notReady('NoExecute', 'earlier'),
      ]),
      want: [unreachable('NoSchedule'), unreachable('NoExecute', STAMP)],
    },
    {
      name: 'Ready again: the condition taints go, the admin’s stay',
      node: node(HEALTHY, [unreachable('NoSchedule'), ADMIN, unreachable('NoExecute', 'earlier')]),
      want: [ADMIN],
    },
    {
      name: 'pressure conditions and a cordon: their NoSchedule taints',
      node: node(
        { ...HEALTHY, MemoryPressure: 'True', DiskPressure: 'True', PIDPressure: 'True' },
        undefined,
        true,
      ),
      want: [
        { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/pid-pressure', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
      ],
    },
    {
      name: 'evictions stopped (every node down): NoSchedule only',
      node: node({ ...HEALTHY, Ready: 'Unknown' }),
      stopped: true,
      want: [unreachable('NoSchedule')],
    },
    {
      name: 'evictions stopped: a NoExecute taint there is goes',
      node: node({ ...HEALTHY, Ready: 'Unknown' }, [
        unreachable('NoSchedule'),
        unreachable('NoExecute', 'earlier'),
      ]),
      stopped: true,
      want: [unreachable('NoSchedule')],
    },
    {
      name: 'a NoExecute taint of another key is not ours',
      node: node(HEALTHY, [{ key: 'example.com/maintenance', effect: 'NoExecute' }]),
      want: undefined,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(desiredTaints(c.node, { evictionsStopped: c.stopped ?? false, now: NOW }), c.want);
    });
  }
});
