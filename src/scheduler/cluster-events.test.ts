import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node } from 'kubernetes-types/core/v1.js';
import { labelsChanged, nodeEvents } from './cluster-events.js';
import { makeNode } from './framework/testing.js';

describe('nodeEvents', () => {
  const base = makeNode('n', { cpu: '4' });
  const cases: { name: string; node: Node; events: string[] }[] = [
    {
      name: 'a heartbeat (conditions only) wakes nothing',
      node: { ...base, status: { ...base.status, conditions: [{ type: 'Ready', status: 'True' }] } },
      events: [],
    },
    { name: 'allocatable', node: makeNode('n', { cpu: '8' }), events: ['NodeAllocatable'] },
    { name: 'labels', node: makeNode('n', { cpu: '4', labels: { zone: 'a' } }), events: ['NodeLabel'] },
    {
      name: 'taints',
      node: makeNode('n', { cpu: '4', taints: [{ key: 'k', effect: 'NoSchedule' }] }),
      events: ['NodeTaint'],
    },
    {
      name: 'cordon',
      node: makeNode('n', { cpu: '4', unschedulable: true }),
      events: ['NodeSpecUnschedulable'],
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(nodeEvents(base, c.node), c.events));
});

describe('labelsChanged', () => {
  const withLabels = (labels?: Record<string, string>) => ({ metadata: labels ? { labels } : {} });
  it('no labels and empty labels are the same', () =>
    assert.equal(labelsChanged(withLabels(), withLabels({})), false));
  it('a changed value is a change', () =>
    assert.equal(labelsChanged(withLabels({ a: '1' }), withLabels({ a: '2' })), true));
  it('an added label is a change', () =>
    assert.equal(labelsChanged(withLabels(), withLabels({ a: '1' })), true));
});
