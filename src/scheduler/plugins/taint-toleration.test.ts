import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { makeNode, makePod, nodeInfo, testSnapshot } from '../framework/testing.js';
import type { Status } from '../framework/types.js';
import { TaintToleration, toleratesTaint } from './taint-toleration.js';
import { runFilter, runScore } from './test-snapshot.js';

const gpu: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };

describe('TaintToleration filter', () => {
  const rows: { name: string; taints: Taint[]; tolerations?: Toleration[]; want?: Status }[] = [
    { name: 'untainted node', taints: [] },
    {
      name: 'NoSchedule taint, no toleration',
      taints: [gpu],
      want: {
        code: 'UnschedulableAndUnresolvable',
        reasons: ['node(s) had untolerated taint {dedicated: gpu}'],
      },
    },
    {
      name: 'NoExecute taint without value, no toleration',
      taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }],
      want: {
        code: 'UnschedulableAndUnresolvable',
        reasons: ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }'],
      },
    },
    {
      name: 'PreferNoSchedule taints never filter',
      taints: [{ key: 'a', value: 'b', effect: 'PreferNoSchedule' }],
    },
    {
      name: 'Equal toleration',
      taints: [gpu],
      tolerations: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
    },
    {
      name: 'Equal toleration with another value',
      taints: [gpu],
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'cpu' }],
      want: {
        code: 'UnschedulableAndUnresolvable',
        reasons: ['node(s) had untolerated taint {dedicated: gpu}'],
      },
    },
    {
      name: 'Exists on the key, any effect',
      taints: [gpu],
      tolerations: [{ key: 'dedicated', operator: 'Exists' }],
    },
    {
      name: 'empty key with Exists tolerates everything',
      taints: [gpu],
      tolerations: [{ operator: 'Exists' }],
    },
    {
      name: 'toleration for another effect',
      taints: [gpu],
      tolerations: [{ key: 'dedicated', value: 'gpu', effect: 'NoExecute' }],
      want: {
        code: 'UnschedulableAndUnresolvable',
        reasons: ['node(s) had untolerated taint {dedicated: gpu}'],
      },
    },
    {
      name: 'reports the first untolerated of several taints',
      taints: [gpu, { key: 'zone', value: 'edge', effect: 'NoExecute' }],
      tolerations: [{ key: 'dedicated', operator: 'Exists' }],
      want: { code: 'UnschedulableAndUnresolvable', reasons: ['node(s) had untolerated taint {zone: edge}'] },
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const pod = makePod('p', row.tolerations ? { spec: { tolerations: row.tolerations } } : {});
      const out = runFilter(
        TaintToleration,
        pod,
        testSnapshot([nodeInfo(makeNode('n1', { taints: row.taints }))]),
      );
      assert.deepEqual(out.byNode.get('n1'), row.want);
    });
  }

  it('an unknown operator tolerates nothing', () => {
    assert.equal(toleratesTaint({ key: 'dedicated', operator: 'Gt', value: 'gpu' }, gpu), false);
  });
});

describe('TaintToleration score', () => {
  const prefer = (key: string): Taint => ({ key, value: 'x', effect: 'PreferNoSchedule' });
  const rows: { name: string; nodes: Taint[][]; tolerations?: Toleration[]; want: number[] }[] = [
    { name: 'no taints anywhere: all best', nodes: [[], []], want: [100, 100] },
    {
      name: 'fewer intolerable taints score higher',
      nodes: [[], [prefer('a')], [prefer('a'), prefer('b')]],
      want: [100, 50, 0],
    },
    {
      name: 'tolerated PreferNoSchedule taints do not count',
      nodes: [[prefer('a')], [prefer('b')]],
      tolerations: [{ key: 'a', operator: 'Exists', effect: 'PreferNoSchedule' }],
      want: [100, 0],
    },
    { name: 'NoSchedule taints do not count', nodes: [[gpu], [prefer('a')]], want: [100, 0] },
    {
      name: 'a NoSchedule toleration does not tolerate PreferNoSchedule',
      nodes: [[prefer('a')], []],
      tolerations: [{ key: 'a', operator: 'Exists', effect: 'NoSchedule' }],
      want: [0, 100],
    },
    {
      name: 'integer scaling as Kubernetes',
      nodes: [[prefer('a')], [prefer('a'), prefer('b'), prefer('c')]],
      want: [67, 0],
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const pod = makePod('p', row.tolerations ? { spec: { tolerations: row.tolerations } } : {});
      const nodes = row.nodes.map((taints, i) => nodeInfo(makeNode(`n${i}`, { taints })));
      assert.deepEqual(runScore(TaintToleration, pod, testSnapshot(nodes)), row.want);
    });
  }
});
