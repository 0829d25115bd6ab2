import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Toleration } from 'kubernetes-types/core/v1.js';
import { PodInfo } from '../framework/node-info.js';
import { makeNode, makePod, nodeInfo } from '../framework/testing.js';
import { CycleState } from '../framework/types.js';
import { nodeUnschedulable } from './node-unschedulable.js';

describe('NodeUnschedulable', () => {
  const cases: { name: string; unschedulable: boolean; tolerations?: Toleration[]; fits: boolean }[] = [
    { name: 'schedulable node', unschedulable: false, fits: true },
    { name: 'cordoned node', unschedulable: true, fits: false },
    {
      name: 'cordoned, pod tolerates the unschedulable taint',
      unschedulable: true,
      tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
      fits: true,
    },
    {
      name: 'cordoned, pod tolerates everything',
      unschedulable: true,
      tolerations: [{ operator: 'Exists' }],
      fits: true,
    },
    {
      name: 'cordoned, toleration for another effect',
      unschedulable: true,
      tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }],
      fits: false,
    },
    {
      name: 'cordoned, toleration for another key',
      unschedulable: true,
      tolerations: [{ key: 'dedicated', operator: 'Exists' }],
      fits: false,
    },
    {
      name: 'cordoned, Equal with an empty value matches the valueless taint',
      unschedulable: true,
      tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Equal', value: '' }],
      fits: true,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const pod = new PodInfo(makePod('p', c.tolerations ? { spec: { tolerations: c.tolerations } } : {}));
      const node = nodeInfo(makeNode('n', { unschedulable: c.unschedulable }));
      const status = nodeUnschedulable.filter(new CycleState(), pod, node);
      if (c.fits) assert.equal(status, undefined);
      else {
        assert.equal(status?.code, 'UnschedulableAndUnresolvable');
        assert.deepEqual(status?.reasons, ['node(s) were unschedulable']);
      }
    });
  }
});
