import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeSelectorTerm, PodSpec, PreferredSchedulingTerm } from 'kubernetes-types/core/v1.js';
import { makeNode, makePod, nodeInfo, testSnapshot } from '../framework/testing.js';
import { ERR_REASON_POD, NodeAffinity } from './node-affinity.js';
import { runFilter, runScore } from './test-snapshot.js';

const required = (...nodeSelectorTerms: NodeSelectorTerm[]): Partial<PodSpec> => ({
  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } },
});
const preferred = (...terms: PreferredSchedulingTerm[]): Partial<PodSpec> => ({
  affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: terms } },
});
const expr = (key: string, operator: string, ...values: string[]): NodeSelectorTerm => ({
  matchExpressions: [{ key, operator, ...(values.length ? { values } : {}) }],
});

describe('NodeAffinity filter', () => {
  const node = { name: 'n1', labels: { zone: 'a', gen: '5', disk: 'ssd' } };
  const rows: { name: string; spec: Partial<PodSpec>; fits: boolean | 'skip' }[] = [
    { name: 'no selector, no affinity', spec: {}, fits: 'skip' },
    { name: 'empty nodeSelector', spec: { nodeSelector: {} }, fits: 'skip' },
    { name: 'nodeSelector matches', spec: { nodeSelector: { zone: 'a', disk: 'ssd' } }, fits: true },
    { name: 'nodeSelector value differs', spec: { nodeSelector: { zone: 'b' } }, fits: false },
    { name: 'nodeSelector label missing', spec: { nodeSelector: { gpu: 'true' } }, fits: false },
    { name: 'inherited member is not a label', spec: { nodeSelector: { constructor: '' } }, fits: false },
    { name: 'In', spec: required(expr('zone', 'In', 'b', 'a')), fits: true },
    { name: 'In, no value matches', spec: required(expr('zone', 'In', 'b', 'c')), fits: false },
    { name: 'NotIn', spec: required(expr('zone', 'NotIn', 'b')), fits: true },
    { name: 'NotIn on a missing label', spec: required(expr('rack', 'NotIn', 'r1')), fits: true },
    { name: 'Exists', spec: required(expr('disk', 'Exists')), fits: true },
    { name: 'DoesNotExist', spec: required(expr('disk', 'DoesNotExist')), fits: false },
    { name: 'Gt', spec: required(expr('gen', 'Gt', '4')), fits: true },
    { name: 'Gt, equal', spec: required(expr('gen', 'Gt', '5')), fits: false },
    { name: 'Lt', spec: required(expr('gen', 'Lt', '10')), fits: true },
    { name: 'Lt on a non-integer label', spec: required(expr('zone', 'Lt', '10')), fits: false },
    { name: 'Gt on a missing label', spec: required(expr('rack', 'Gt', '0')), fits: false },
    {
      name: 'Gt with a non-integer bound matches nothing',
      spec: required(expr('gen', 'Gt', 'x')),
      fits: false,
    },
    { name: 'unknown operator matches nothing', spec: required(expr('zone', 'Is', 'a')), fits: false },
    { name: 'In without values matches nothing', spec: required(expr('zone', 'In')), fits: false },
    {
      name: 'a broken term does not stop a valid one',
      spec: required(expr('zone', 'Is', 'a'), expr('zone', 'In', 'a')),
      fits: true,
    },
    {
      name: 'expressions in a term are ANDed',
      spec: required({
        matchExpressions: [
          { key: 'zone', operator: 'In', values: ['a'] },
          { key: 'disk', operator: 'In', values: ['hdd'] },
        ],
      }),
      fits: false,
    },
    {
      name: 'terms are ORed',
      spec: required(expr('zone', 'In', 'b'), expr('disk', 'In', 'ssd')),
      fits: true,
    },
    { name: 'an empty term matches nothing', spec: required({}), fits: false },
    { name: 'no terms matches nothing', spec: required(), fits: false },
    {
      name: 'matchFields metadata.name In',
      spec: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }),
      fits: true,
    },
    {
      name: 'matchFields metadata.name NotIn',
      spec: required({ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n1'] }] }),
      fits: false,
    },
    {
      name: 'matchFields with two values matches nothing',
      spec: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1', 'n2'] }] }),
      fits: false,
    },
    {
      name: 'matchFields and matchExpressions are ANDed',
      spec: required({
        matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }],
        matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }],
      }),
      fits: false,
    },
    {
      name: 'nodeSelector and affinity must both match',
      spec: { nodeSelector: { zone: 'b' }, ...required(expr('zone', 'In', 'a')) },
      fits: false,
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const snapshot = testSnapshot([nodeInfo(makeNode(node.name, { labels: node.labels }))]);
      const out = runFilter(NodeAffinity, makePod('p', { spec: row.spec }), snapshot);
      if (row.fits === 'skip') return assert.equal(out.preFilter?.code, 'Skip');
      assert.equal(out.preFilter, undefined);
      const want = row.fits ? undefined : { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_POD] };
      assert.deepEqual(out.byNode.get('n1'), want);
    });
  }
});

describe('NodeAffinity score', () => {
  const nodes = () => [
    nodeInfo(makeNode('n1', { labels: { zone: 'a' } })),
    nodeInfo(makeNode('n2', { labels: { zone: 'b', disk: 'ssd' } })),
    nodeInfo(makeNode('n3', { labels: { zone: 'c' } })),
  ];
  const rows: { name: string; terms: PreferredSchedulingTerm[]; want: number[] | 'skip' }[] = [
    { name: 'no preferred terms', terms: [], want: 'skip' },
    { name: 'one term', terms: [{ weight: 5, preference: expr('zone', 'In', 'a') }], want: [100, 0, 0] },
    {
      name: 'weights add up and scale to the best node',
      terms: [
        { weight: 2, preference: expr('zone', 'In', 'a') },
        { weight: 3, preference: expr('zone', 'In', 'b') },
        { weight: 3, preference: expr('disk', 'Exists') },
      ],
      want: [33, 100, 0],
    },
    { name: 'no node matches', terms: [{ weight: 5, preference: expr('zone', 'In', 'x') }], want: [0, 0, 0] },
    {
      name: 'zero-weight and empty terms are ignored',
      terms: [
        { weight: 0, preference: expr('zone', 'In', 'a') },
        { weight: 7, preference: {} },
      ],
      want: 'skip',
    },
    {
      name: 'matchFields',
      terms: [
        {
          weight: 1,
          preference: { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n3'] }] },
        },
      ],
      want: [0, 0, 100],
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const pod = makePod('p', { spec: preferred(...row.terms) });
      assert.deepEqual(runScore(NodeAffinity, pod, testSnapshot(nodes())), row.want);
    });
  }

  it('a preferred term that does not parse fails preScore, naming the field', () => {
    const pod = makePod('p', { spec: preferred({ weight: 1, preference: expr('zone', 'Is', 'a') }) });
    assert.throws(
      () => runScore(NodeAffinity, pod, testSnapshot(nodes())),
      /preferredDuringSchedulingIgnoredDuringExecution\[0\]\.preference\.matchExpressions\[0\]\.operator: Unsupported value: "Is"/,
    );
  });
});
