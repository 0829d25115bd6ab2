import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { SchedulerCache } from './cache.js';
import { type NodeInfo, PodInfo } from './framework/node-info.js';
import { makeNode, makePod } from './framework/testing.js';
import {
  type CycleState,
  type FilterPlugin,
  type PostFilter,
  type PreFilterPlugin,
  type ScorePlugin,
  skip,
  unresolvable,
  unschedulable,
} from './framework/types.js';
import { feasibleNodesToFind, Pipeline, registrations } from './pipeline.js';

function cluster(
  n: number,
  opts: (i: number) => Parameters<typeof makeNode>[1] = () => ({}),
): SchedulerCache {
  const cache = new SchedulerCache();
  for (let i = 0; i < n; i++) cache.setNode(makeNode(`n${i}`, opts(i)));
  return cache;
}

const pi = (p: Pod) => new PodInfo(p);

/** A filter that rejects the nodes named in `reject` with `reason`, and counts its calls. */
function rejecting(name: string, reject: Set<string>, reason: string) {
  const plugin = {
    name,
    calls: 0,
    filter(_s: CycleState, _p: PodInfo, node: NodeInfo) {
      plugin.calls++;
      return reject.has(node.name) ? unschedulable(reason) : undefined;
    },
  };
  return plugin;
}

/** A score plugin giving each node the score in `table` (default 0). */
const scoring = (name: string, table: Record<string, number>): ScorePlugin => ({
  name,
  score: (_s, _p, node) => table[node.name] ?? 0,
});

describe('feasibleNodesToFind', () => {
  const cases: [nodes: number, percentage: number, expected: number][] = [
    [50, 0, 50],
    [100, 0, 100],
    [1000, 0, 420], // 50 − 8 = 42%
    [5000, 0, 500], // 50 − 40 = 10%
    [6000, 0, 300], // 50 − 48 = 2% → at least 5%
    [20_000, 0, 1000],
    [1000, 5, 100], // at least 100 nodes
    [1000, 100, 1000],
    [1000, 30, 300],
  ];
  for (const [nodes, pct, want] of cases)
    it(`${nodes} nodes at ${pct || 'adaptive'}% → ${want}`, () =>
      assert.equal(feasibleNodesToFind(nodes, pct), want));
});

describe('Pipeline', () => {
  it('explains a pod that fits nowhere, per filter, stopping at the first rejection', () => {
    const taint = rejecting(
      'TaintToleration',
      new Set(['n0', 'n1']),
      'node(s) had untolerated taint {dedicated: gpu}',
    );
    const fit = rejecting('NodeResourcesFit', new Set(['n0', 'n1', 'n2', 'n3', 'n4']), 'Insufficient cpu');
    const pipeline = new Pipeline([{ plugin: taint }, { plugin: fit }]);
    const result = pipeline.schedule(pi(makePod('p')), cluster(5));
    assert.equal(result.kind, 'unschedulable');
    if (result.kind !== 'unschedulable') return;
    assert.equal(
      result.error.message,
      '0/5 nodes are available: 2 node(s) had untolerated taint {dedicated: gpu}, 3 Insufficient cpu.',
    );
    assert.equal(fit.calls, 3, 'nodes rejected by the first filter are not asked again');
    assert.equal(result.error.statuses.get('n0')?.plugin, 'TaintToleration');
    assert.deepEqual(result.error.plugins.sort(), ['NodeResourcesFit', 'TaintToleration']);
  });

  it('scores feasible nodes with weights and picks the best', () => {
    const pipeline = new Pipeline([
      { plugin: scoring('A', { n0: 100, n1: 0, n2: 50 }), weight: 1 },
      { plugin: scoring('B', { n0: 0, n1: 60, n2: 40 }), weight: 2 },
    ]);
    // totals: n0 100, n1 120, n2 130
    const result = pipeline.schedule(pi(makePod('p')), cluster(3));
    assert.deepEqual(result, { kind: 'scheduled', nodeName: 'n2', feasibleNodes: 3, evaluatedNodes: 3 });
  });

  it('normalizes before weighting, and refuses scores outside 0..100', () => {
    const normalized: ScorePlugin = {
      name: 'Raw',
      score: (_s, _p, node) => (node.name === 'n1' ? 1000 : 500),
      normalize: (_s, _p, scores) => {
        const max = Math.max(...scores);
        for (let i = 0; i < scores.length; i++) scores[i] = Math.floor((scores[i]! * 100) / max);
      },
    };
    assert.equal(
      new Pipeline([{ plugin: normalized, weight: 1 }]).schedule(pi(makePod('p')), cluster(2)).kind,
      'scheduled',
    );
    const bad = new Pipeline([{ plugin: scoring('Bad', { n0: 101 }), weight: 1 }]).schedule(
      pi(makePod('p')),
      cluster(2),
    );
    assert.equal(bad.kind, 'error');
  });

  it('breaks ties at random', () => {
    const seen = new Set<string>();
    for (const r of [0, 0.99]) {
      const pipeline = new Pipeline([{ plugin: scoring('Flat', {}), weight: 1 }], { random: () => r });
      const result = pipeline.schedule(pi(makePod('p')), cluster(3));
      if (result.kind === 'scheduled') seen.add(result.nodeName);
    }
    assert.equal(seen.size, 2);
  });

  it('samples nodes at scale and rotates where it starts', () => {
    const filter = rejecting('Count', new Set(), '');
    const pipeline = new Pipeline([{ plugin: filter }]);
    const cache = cluster(1000);
    const first = pipeline.schedule(pi(makePod('p')), cache);
    assert.equal(first.kind === 'scheduled' && first.evaluatedNodes, 420);
    assert.equal(filter.calls, 420);
    // The next cycle starts where this one stopped: n420 is its first node.
    const seen: string[] = [];
    const spy: FilterPlugin = {
      name: 'Spy',
      filter: (_s, _p, node) => {
        seen.push(node.name);
        return undefined;
      },
    };
    const withSpy = new Pipeline([{ plugin: spy }], { percentageOfNodesToScore: 10 });
    withSpy.schedule(pi(makePod('p')), cache);
    withSpy.schedule(pi(makePod('q')), cache);
    assert.equal(seen[0], 'n0');
    assert.equal(seen[100], 'n100');
    assert.equal(seen.length, 200);
  });

  it('lets a preFilter reject the pod everywhere with its own message, or skip its filter', () => {
    const rejectAll: PreFilterPlugin & FilterPlugin = {
      name: 'Spread',
      preFilter: () =>
        unresolvable("node(s) didn't match pod topology spread constraints (missing required label)"),
      filter: () => unschedulable('never called'),
    };
    const result = new Pipeline([{ plugin: rejectAll }]).schedule(pi(makePod('p')), cluster(2));
    assert.equal(
      result.kind === 'unschedulable' && result.error.message,
      "0/2 nodes are available: node(s) didn't match pod topology spread constraints (missing required label).",
    );
    let filtered = 0;
    const skipping: PreFilterPlugin & FilterPlugin = {
      name: 'Affinity',
      preFilter: () => skip,
      filter: () => {
        filtered++;
        return unschedulable('no');
      },
    };
    assert.equal(
      new Pipeline([{ plugin: skipping }]).schedule(pi(makePod('p')), cluster(2)).kind,
      'scheduled',
    );
    assert.equal(filtered, 0);
  });

  it('runs the postFilter with every rejection and the filter runner, and appends its message', () => {
    let seen: { rejected: number; reran: unknown } | undefined;
    const postFilter: PostFilter = (state, pod, snapshot, rejected, runner) => {
      seen = { rejected: rejected.size, reran: runner.runFilters(state, pod, snapshot.get('n0')!)?.reasons };
      return {
        message: 'preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
        preemption: { nodeName: 'n1', victims: [] },
      };
    };
    const fit = rejecting('NodeResourcesFit', new Set(['n0', 'n1']), 'Insufficient cpu');
    const result = new Pipeline([{ plugin: fit }], { postFilter }).schedule(pi(makePod('p')), cluster(2));
    assert.deepEqual(seen, { rejected: 2, reran: ['Insufficient cpu'] });
    assert.equal(result.kind, 'unschedulable');
    if (result.kind !== 'unschedulable') return;
    assert.equal(
      result.error.message,
      '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
    );
    assert.equal(result.preemption?.nodeName, 'n1');
  });

  it('reports a filter error as an error, not as unschedulable', () => {
    const broken: FilterPlugin = { name: 'Broken', filter: () => ({ code: 'Error', reasons: ['boom'] }) };
    const result = new Pipeline([{ plugin: broken }]).schedule(pi(makePod('p')), cluster(2));
    assert.deepEqual(result, { kind: 'error', message: 'running Filter plugin "Broken": boom' });
  });

  it('says there are no nodes when there are none', () => {
    const result = new Pipeline(registrations()).schedule(pi(makePod('p')), new SchedulerCache());
    assert.equal(
      result.kind === 'unschedulable' && result.error.message,
      'no nodes available to schedule pods',
    );
  });

  it('leaves room for pods of higher or equal priority nominated to a node', () => {
    const cache = cluster(2, () => ({ cpu: '2' }));
    const nominated = pi(makePod('big', { uid: 'big', priority: 100, requests: { cpu: '2' } }));
    const pipeline = new Pipeline(registrations(), {
      nominated: (node) => (node === 'n0' ? [nominated] : undefined),
    });
    const low = pipeline.schedule(pi(makePod('low', { priority: 0, requests: { cpu: '1' } })), cache);
    assert.equal(low.kind === 'scheduled' && low.nodeName, 'n1');
    const high = pipeline.schedule(pi(makePod('high', { priority: 1000, requests: { cpu: '1' } })), cache);
    assert.equal(high.kind, 'scheduled', 'a higher-priority pod may take the room');
    const self = pipeline.schedule(
      pi(makePod('big', { uid: 'big', priority: 100, requests: { cpu: '2' } })),
      cache,
    );
    assert.equal(self.kind, 'scheduled', 'the nominated pod itself is not in its own way');
  });

  it('takes the node the pod was nominated to when it fits', () => {
    const pod: Pod = { ...makePod('p'), status: { nominatedNodeName: 'n7' } };
    const result = new Pipeline(registrations()).schedule(pi(pod), cluster(10));
    assert.deepEqual(result, { kind: 'scheduled', nodeName: 'n7', feasibleNodes: 1, evaluatedNodes: 1 });
  });

  it('spreads with LeastAllocated and packs with MostAllocated', () => {
    const place = (profile: 'least-allocated' | 'most-allocated') => {
      const cache = cluster(2, () => ({ cpu: '4', memory: '8Gi' }));
      cache.setPod(makePod('existing', { nodeName: 'n0', requests: { cpu: '2', memory: '4Gi' } }));
      const result = new Pipeline(registrations(profile)).schedule(
        pi(makePod('p', { requests: { cpu: '1', memory: '2Gi' } })),
        cache,
      );
      return result.kind === 'scheduled' ? result.nodeName : result.kind;
    };
    assert.equal(place('least-allocated'), 'n1');
    assert.equal(place('most-allocated'), 'n0');
  });

  it('knows which plugins an event concerns', () => {
    const pipeline = new Pipeline(registrations());
    assert.deepEqual(
      [...pipeline.pluginsFor('AssignedPodDelete')],
      [
        'NodePorts',
        'NodeResourcesFit',
        'PodTopologySpread',
        'InterPodAffinity',
        // Score-only plugins never reject, so declaring no events is harmless.
        'NodeResourcesBalancedAllocation',
        'ImageLocality',
      ],
    );
    assert.ok(pipeline.pluginsFor('NodeAdd').includes('NodeName'));
    assert.ok(!pipeline.pluginsFor('NodeLabel').includes('NodeResourcesFit'));
    assert.ok(pipeline.pluginsFor('NodeTaint').includes('TaintToleration'));
  });
});
