import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { PodInfo } from '../framework/node-info.js';
import { makeNode, makePod, type NodeOptions, nodeInfo } from '../framework/testing.js';
import { type Code, CycleState } from '../framework/types.js';
import { nodeResourcesFit } from './node-resources-fit.js';

const pod = (requests?: Record<string, string>) => makePod('p', requests ? { requests } : {});
const running = (requests: Record<string, string>) => makePod('running', { requests });

describe('NodeResourcesFit filter', () => {
  const fit = nodeResourcesFit();
  const cases: {
    name: string;
    pod: Pod;
    node?: NodeOptions;
    onNode?: Pod[];
    code?: Exclude<Code, 'Success'>;
    reasons?: string[];
  }[] = [
    { name: 'no requests fit an empty node', pod: pod() },
    {
      name: 'requests within allocatable',
      pod: pod({ cpu: '1', memory: '1Gi' }),
      node: { cpu: '2', memory: '2Gi' },
    },
    {
      name: 'exactly the free amount fits',
      pod: pod({ cpu: '1' }),
      node: { cpu: '2' },
      onNode: [running({ cpu: '1' })],
    },
    {
      name: 'cpu taken by running pods',
      pod: pod({ cpu: '1' }),
      node: { cpu: '2' },
      onNode: [running({ cpu: '1500m' })],
      code: 'Unschedulable',
      reasons: ['Insufficient cpu'],
    },
    {
      name: 'more cpu than the node has at all is unresolvable',
      pod: pod({ cpu: '3' }),
      node: { cpu: '2' },
      code: 'UnschedulableAndUnresolvable',
      reasons: ['Insufficient cpu'],
    },
    {
      name: 'cpu and memory both short, in Kubernetes order',
      pod: pod({ cpu: '1', memory: '2Gi' }),
      node: { cpu: '2', memory: '4Gi' },
      onNode: [running({ cpu: '1500m', memory: '3Gi' })],
      code: 'Unschedulable',
      reasons: ['Insufficient cpu', 'Insufficient memory'],
    },
    {
      name: 'ephemeral storage',
      pod: pod({ 'ephemeral-storage': '20Gi' }),
      node: { ephemeralStorage: '10Gi' },
      code: 'UnschedulableAndUnresolvable',
      reasons: ['Insufficient ephemeral-storage'],
    },
    {
      name: 'pod count limit, even for a pod without requests',
      pod: pod(),
      node: { pods: 1 },
      onNode: [running({ cpu: '100m' })],
      code: 'Unschedulable',
      reasons: ['Too many pods'],
    },
    {
      name: 'extended resource the node lacks',
      pod: pod({ 'nvidia.com/gpu': '1' }),
      code: 'UnschedulableAndUnresolvable',
      reasons: ['Insufficient nvidia.com/gpu'],
    },
    {
      name: 'extended resource in use',
      pod: pod({ 'nvidia.com/gpu': '1' }),
      node: { extra: { 'nvidia.com/gpu': '2' } },
      onNode: [running({ 'nvidia.com/gpu': '2' })],
      code: 'Unschedulable',
      reasons: ['Insufficient nvidia.com/gpu'],
    },
    {
      name: 'extended resource available',
      pod: pod({ 'nvidia.com/gpu': '1' }),
      node: { extra: { 'nvidia.com/gpu': '2' } },
      onNode: [running({ 'nvidia.com/gpu': '1' })],
    },
    {
      name: 'pods, cpu and an extended resource together',
      pod: pod({ cpu: '1', 'example.com/foo': '1' }),
      node: { cpu: '1', pods: 1 },
      onNode: [running({ cpu: '500m' })],
      code: 'UnschedulableAndUnresolvable',
      reasons: ['Too many pods', 'Insufficient cpu', 'Insufficient example.com/foo'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const node = nodeInfo(makeNode('n', c.node), ...(c.onNode ?? []));
      const status = fit.filter(new CycleState(), new PodInfo(c.pod), node);
      if (!c.code) assert.equal(status, undefined);
      else {
        assert.equal(status?.code, c.code);
        assert.deepEqual(status?.reasons, c.reasons);
        assert.equal(status?.plugin, 'NodeResourcesFit');
      }
    });
  }
});

describe('NodeResourcesFit score', () => {
  // Kubernetes' LeastAllocated/MostAllocated examples: node 4000m / 10000 bytes.
  const node = (cpu: string, memory: string, ...pods: Pod[]) =>
    nodeInfo(makeNode('n', { cpu, memory }), ...pods);
  const cases: {
    name: string;
    strategy: 'LeastAllocated' | 'MostAllocated';
    pod: Pod;
    node: () => ReturnType<typeof nodeInfo>;
    score: number;
  }[] = [
    {
      name: 'least: empty pod on an empty node counts the 100m/200Mi defaults',
      strategy: 'LeastAllocated',
      pod: pod(),
      node: () => node('1', '1Gi'),
      // cpu (1000-100)/1000 = 90; memory (1024-200)/1024 = 80.4 → 80; (90+80)/2 = 85
      score: 85,
    },
    {
      name: 'least: half used after the pod',
      strategy: 'LeastAllocated',
      pod: pod({ cpu: '1', memory: '2Gi' }),
      node: () => node('4', '8Gi', running({ cpu: '1', memory: '2Gi' })),
      score: 50,
    },
    {
      name: 'least: over capacity scores 0 for that resource',
      strategy: 'LeastAllocated',
      pod: pod({ cpu: '3', memory: '2Gi' }),
      node: () => node('2', '8Gi'),
      // cpu 0; memory 75 → 37
      score: 37,
    },
    {
      name: 'most: half used after the pod',
      strategy: 'MostAllocated',
      pod: pod({ cpu: '1', memory: '2Gi' }),
      node: () => node('4', '8Gi', running({ cpu: '1', memory: '2Gi' })),
      score: 50,
    },
    {
      name: 'most: requests beyond capacity are capped at 100',
      strategy: 'MostAllocated',
      pod: pod({ cpu: '3', memory: '6Gi' }),
      node: () => node('2', '8Gi'),
      // cpu 100; memory 75 → 87
      score: 87,
    },
    {
      name: 'most: fuller node wins',
      strategy: 'MostAllocated',
      pod: pod({ cpu: '1', memory: '1Gi' }),
      node: () => node('4', '4Gi', running({ cpu: '2', memory: '2Gi' })),
      score: 75,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const fit = nodeResourcesFit({ scoring: c.strategy });
      assert.equal(fit.score(new CycleState(), new PodInfo(c.pod), c.node()), c.score);
    });
  }

  it('scores an extended resource only when configured and requested', () => {
    const fit = nodeResourcesFit({
      resources: [
        { name: 'cpu', weight: 1 },
        { name: 'nvidia.com/gpu', weight: 3 },
      ],
    });
    const n = nodeInfo(makeNode('n', { cpu: '4', extra: { 'nvidia.com/gpu': '4' } }));
    // cpu (4000-1000)/4000 = 75; gpu (4-1)/4 = 75 → 75
    assert.equal(fit.score(new CycleState(), new PodInfo(pod({ cpu: '1', 'nvidia.com/gpu': '1' })), n), 75);
    // gpu not requested: only cpu counts
    assert.equal(fit.score(new CycleState(), new PodInfo(pod({ cpu: '2' })), n), 50);
  });

  it('refuses a weight outside 1..100', () => {
    assert.throws(() => nodeResourcesFit({ resources: [{ name: 'cpu', weight: 0 }] }), /weight must be/);
  });
});
