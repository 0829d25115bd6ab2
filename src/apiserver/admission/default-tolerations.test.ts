import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/object.js';
import { admitDefaultTolerations } from './default-tolerations.js';

const pod = (tolerations?: unknown[]): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec: { containers: [], ...(tolerations ? { tolerations } : {}) },
});
const notReady = (s: number) => ({
  key: 'node.kubernetes.io/not-ready',
  operator: 'Exists',
  effect: 'NoExecute',
  tolerationSeconds: s,
});
const unreachable = (s: number) => ({
  key: 'node.kubernetes.io/unreachable',
  operator: 'Exists',
  effect: 'NoExecute',
  tolerationSeconds: s,
});

describe('DefaultTolerationSeconds admission', () => {
  const cases: { name: string; tolerations?: unknown[]; want: unknown[] }[] = [
    { name: 'a pod without tolerations gets both', want: [notReady(2), unreachable(7)] },
    {
      name: 'other tolerations are kept, first',
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
      want: [
        { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
        notReady(2),
        unreachable(7),
      ],
    },
    {
      name: 'a pod tolerating unreachable forever (DaemonSet) gets only not-ready',
      tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }],
      want: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }, notReady(2)],
    },
    {
      name: 'its own seconds are kept',
      tolerations: [notReady(60), unreachable(60)],
      want: [notReady(60), unreachable(60)],
    },
    {
      name: 'an effect-less toleration of the key counts',
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }],
      want: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }, unreachable(7)],
    },
    {
      name: 'a key-less Exists toleration tolerates both',
      tolerations: [{ operator: 'Exists' }],
      want: [{ operator: 'Exists' }],
    },
    {
      name: 'a NoSchedule toleration of the key does not count',
      tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }],
      want: [
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' },
        notReady(2),
        unreachable(7),
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = pod(c.tolerations);
      admitDefaultTolerations(p, { notReady: 2, unreachable: 7 });
      assert.deepEqual((p.spec as { tolerations: unknown[] }).tolerations, c.want);
    });
  }
});
