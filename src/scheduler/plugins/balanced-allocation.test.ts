import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { PodInfo } from '../framework/node-info.js';
import { makeNode, makePod, nodeInfo } from '../framework/testing.js';
import { CycleState, skip } from '../framework/types.js';
import { balancedAllocation } from './balanced-allocation.js';

const pod = (requests?: Record<string, string>) => makePod('p', requests ? { requests } : {});

describe('NodeResourcesBalancedAllocation', () => {
  const plugin = balancedAllocation();
  const cases: { name: string; pod: Pod; node: ReturnType<typeof nodeInfo>; score: number }[] = [
    {
      name: 'equal fractions score 100',
      pod: pod({ cpu: '1', memory: '2Gi' }),
      node: nodeInfo(makeNode('n', { cpu: '4', memory: '8Gi' })),
      score: 100,
    },
    {
      name: 'cpu 50%, memory 25%: std 0.125',
      pod: pod({ cpu: '2', memory: '2Gi' }),
      node: nodeInfo(makeNode('n', { cpu: '4', memory: '8Gi' })),
      score: 87,
    },
    {
      name: 'pods already on the node count with their real requests',
      pod: pod({ cpu: '1' }),
      node: nodeInfo(
        makeNode('n', { cpu: '4', memory: '8Gi' }),
        makePod('r', { requests: { cpu: '1', memory: '4Gi' } }),
      ),
      // cpu 2/4 = 0.5, memory 4/8 = 0.5
      score: 100,
    },
    {
      name: 'fractions above 1 are capped',
      pod: pod({ cpu: '8', memory: '1Gi' }),
      node: nodeInfo(makeNode('n', { cpu: '4', memory: '4Gi' })),
      // cpu 1, memory 0.25 → std 0.375
      score: 62,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const pi = new PodInfo(c.pod);
      assert.equal(plugin.preScore?.(new CycleState(), pi, [c.node], undefined as never), undefined);
      assert.equal(plugin.score(new CycleState(), pi, c.node), c.score);
    });
  }

  it('skips pods that request nothing', () => {
    assert.equal(plugin.preScore?.(new CycleState(), new PodInfo(pod()), [], undefined as never), skip);
  });

  it('uses the standard deviation with three resources', () => {
    const three = balancedAllocation([
      { name: 'cpu', weight: 1 },
      { name: 'memory', weight: 1 },
      { name: 'nvidia.com/gpu', weight: 1 },
    ]);
    const node = nodeInfo(makeNode('n', { cpu: '4', memory: '4Gi', extra: { 'nvidia.com/gpu': '4' } }));
    // fractions 0.25, 0.5, 1: mean 0.5833, std 0.3118 → 68
    const pi = new PodInfo(pod({ cpu: '1', memory: '2Gi', 'nvidia.com/gpu': '4' }));
    assert.equal(three.score(new CycleState(), pi, node), 68);
    // gpu not requested: two resources, |0.25 - 0.5| / 2 = 0.125 → 87
    assert.equal(three.score(new CycleState(), new PodInfo(pod({ cpu: '1', memory: '2Gi' })), node), 87);
  });
});
