import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { type NodeInfo, PodInfo } from './framework/node-info.js';
import { makeNode, makePod, nodeInfo, testSnapshot } from './framework/testing.js';
import {
  CycleState,
  type FilterRunner,
  failure,
  type Result,
  type Status,
  unresolvable,
  unschedulable,
} from './framework/types.js';
import { defaultPreemption, type PreemptionOptions } from './preemption.js';

type Filter = (state: CycleState, pod: PodInfo, node: NodeInfo) => Result;

/** A tiny NodeResourcesFit: CPU only. */
const cpuFit: Filter = (_state, pod, node) =>
  node.requested.milliCpu + pod.requests.milliCpu > node.allocatable.milliCpu
    ? unschedulable('Insufficient cpu')
    : undefined;

/**
 * A tiny required anti-affinity to pods labelled app=web, kept as per-node counts in the cycle
 * state (as InterPodAffinity's preFilter does), so it only sees removals through the runner.
 */
class WebCounts {
  constructor(readonly byNode = new Map<string, number>()) {}
  clone(): WebCounts {
    return new WebCounts(new Map(this.byNode));
  }
  change(node: NodeInfo, pod: PodInfo, by: number): void {
    if (pod.labels.app === 'web') this.byNode.set(node.name, (this.byNode.get(node.name) ?? 0) + by);
  }
}
const WEB = 'web-counts';
const preFilterWeb = (state: CycleState, nodes: readonly NodeInfo[]): void => {
  const counts = new WebCounts();
  for (const n of nodes) for (const p of n.pods) counts.change(n, p, 1);
  state.write(WEB, counts);
};
const noWeb: Filter = (state, _pod, node) =>
  (state.read<WebCounts>(WEB)?.byNode.get(node.name) ?? 0) > 0
    ? unschedulable("node(s) didn't match pod anti-affinity rules")
    : undefined;

interface FakeRunner extends FilterRunner {
  /** Node names runFilters was called on, in order. */
  filtered: string[];
}

function runner(filters: Filter[] = [cpuFit]): FakeRunner {
  const filtered: string[] = [];
  const extend = (state: CycleState, node: NodeInfo, pod: PodInfo, by: number): Result => {
    state.read<WebCounts>(WEB)?.change(node, pod, by);
    return undefined;
  };
  return {
    filtered,
    runFilters(state, pod, node) {
      filtered.push(node.name);
      for (const f of filters) {
        const s = f(state, pod, node);
        if (s) return s;
      }
      return undefined;
    },
    removePod: (state, _pod, removed, node) => extend(state, node, removed, -1),
    addPod: (state, _pod, added, node) => extend(state, node, added, 1),
  };
}

interface Case {
  nodes: NodeInfo[];
  pod: Pod;
  filters?: Filter[];
  /** Statuses that replace what the filters say of a node (e.g. an unresolvable taint). */
  override?: Record<string, Status>;
  options?: PreemptionOptions;
}

/** Runs the filters over every node as the scheduling loop would, then preemption. */
function preempt(c: Case) {
  const snapshot = testSnapshot(c.nodes);
  const state = new CycleState();
  preFilterWeb(state, c.nodes);
  const run = runner(c.filters);
  const pod = new PodInfo(c.pod);
  const rejected = new Map<string, Status>();
  for (const n of c.nodes) {
    const s = c.override?.[n.name] ?? run.runFilters(state, pod, n);
    assert.ok(s, `test setup: the pod fits ${n.name}, so preemption would not run`);
    rejected.set(n.name, s);
  }
  run.filtered.length = 0;
  const postFilter = defaultPreemption({ randomInt: () => 0, clock: { now: () => NOW }, ...c.options });
  const result = postFilter(state, pod, snapshot, rejected, run);
  return {
    ...result,
    node: result.preemption?.nodeName,
    victims: result.preemption?.victims.map((v) => v.name),
    runner: run,
    state,
  };
}

const NOW = Date.parse('2026-01-01T12:00:00Z');

/** A pod bound to `node` with `cpu` requested, at `priority`. */
const running = (name: string, priority: number, cpu: string, extra: Partial<Pod> = {}): Pod => ({
  ...makePod(name, { priority, requests: { cpu } }),
  ...extra,
});
const startedAt = (iso: string): Partial<Pod> => ({ status: { startTime: iso } });
const incoming = (priority: number, cpu: string, spec?: Partial<PodSpec>): Pod =>
  makePod('incoming', { priority, requests: { cpu }, ...(spec ? { spec } : {}) });

describe('defaultPreemption: which node', () => {
  const cases: { name: string; c: Case; node: string; victims: string[] }[] = [
    {
      name: 'the node whose most important victim has the lowest priority',
      c: {
        nodes: [
          nodeInfo(makeNode('a', { cpu: '1' }), running('a1', 10, '1')),
          nodeInfo(makeNode('b', { cpu: '1' }), running('b1', 5, '1')),
          nodeInfo(makeNode('c', { cpu: '1' }), running('c1', 7, '1')),
        ],
        pod: incoming(100, '1'),
      },
      node: 'b',
      victims: ['b1'],
    },
    {
      name: 'then the smallest sum of victim priorities',
      c: {
        nodes: [
          nodeInfo(makeNode('a', { cpu: '2' }), running('a1', 5, '1'), running('a2', 5, '1')),
          nodeInfo(makeNode('b', { cpu: '2' }), running('b1', 5, '1'), running('b2', 1, '1')),
        ],
        pod: incoming(100, '2'),
      },
      node: 'b',
      victims: ['b2', 'b1'],
    },
    {
      // Priorities are shifted by 2^31 before summing, so sums tie only when the extra victim
      // has the lowest possible priority; then the node with fewer victims wins.
      name: 'then the fewest victims',
      c: {
        nodes: [
          nodeInfo(makeNode('a', { cpu: '2' }), running('a1', 0, '1'), running('a2', -(2 ** 31), '1')),
          nodeInfo(makeNode('b', { cpu: '2' }), running('b1', 0, '2')),
        ],
        pod: incoming(100, '2'),
      },
      node: 'b',
      victims: ['b1'],
    },
    {
      name: 'then the latest start of the most important victims (the least work lost)',
      c: {
        nodes: [
          nodeInfo(makeNode('a', { cpu: '1' }), running('a1', 5, '1', startedAt('2026-01-01T08:00:00Z'))),
          nodeInfo(makeNode('b', { cpu: '1' }), running('b1', 5, '1', startedAt('2026-01-01T11:00:00Z'))),
          nodeInfo(makeNode('c', { cpu: '1' }), running('c1', 5, '1', startedAt('2026-01-01T09:00:00Z'))),
        ],
        pod: incoming(100, '1'),
      },
      node: 'b',
      victims: ['b1'],
    },
    {
      name: 'a pod not started yet counts as starting now',
      c: {
        nodes: [
          nodeInfo(makeNode('a', { cpu: '1' }), running('a1', 5, '1', startedAt('2026-01-01T11:59:00Z'))),
          nodeInfo(makeNode('b', { cpu: '1' }), running('b1', 5, '1')),
        ],
        pod: incoming(100, '1'),
      },
      node: 'b',
      victims: ['b1'],
    },
    {
      name: 'then the first node tried (random offset 1 starts at b)',
      c: {
        nodes: [
          nodeInfo(makeNode('a', { cpu: '1' }), running('a1', 5, '1')),
          nodeInfo(makeNode('b', { cpu: '1' }), running('b1', 5, '1')),
          nodeInfo(makeNode('c', { cpu: '1' }), running('c1', 5, '1')),
        ],
        pod: incoming(100, '1'),
        options: { randomInt: (n) => (n === 3 ? 1 : Number.NaN) },
      },
      node: 'b',
      victims: ['b1'],
    },
    {
      name: 'a node with no room even without its victims is not a candidate',
      c: {
        nodes: [
          nodeInfo(makeNode('a', { cpu: '1' }), running('a1', 1, '500m')),
          nodeInfo(makeNode('b', { cpu: '4' }), running('b1', 50, '4')),
        ],
        pod: incoming(100, '2'),
      },
      node: 'b',
      victims: ['b1'],
    },
    {
      name: 'an UnschedulableAndUnresolvable node is never a candidate, however cheap its victims',
      c: {
        nodes: [
          nodeInfo(makeNode('a', { cpu: '1' }), running('a1', 1, '1')),
          nodeInfo(makeNode('b', { cpu: '1' }), running('b1', 50, '1')),
        ],
        pod: incoming(100, '1'),
        override: { a: unresolvable('node(s) had untolerated taint {dedicated: gpu}') },
      },
      node: 'b',
      victims: ['b1'],
    },
    {
      name: 'equal and higher priority pods are never victims',
      c: {
        nodes: [
          nodeInfo(makeNode('a', { cpu: '2' }), running('a1', 100, '1'), running('a2', 200, '1')),
          nodeInfo(makeNode('b', { cpu: '2' }), running('b1', 100, '1'), running('b2', 99, '1')),
        ],
        pod: incoming(100, '1'),
      },
      node: 'b',
      victims: ['b2'],
    },
  ];
  for (const { name, c, node, victims } of cases)
    it(name, () => {
      const got = preempt(c);
      assert.equal(got.message, '');
      assert.equal(got.node, node);
      assert.deepEqual(got.victims, victims);
    });
});

describe('defaultPreemption: which victims on a node', () => {
  it('reprieves the most important victims that still leave room', () => {
    // 4 cpu: without victims 0 used; give back high (1 → 1+2 fits), mid (1+2+2 = 5 does not),
    // low (1+1+2 = 4 fits): only mid goes, though it is not the lowest priority.
    const got = preempt({
      nodes: [
        nodeInfo(
          makeNode('a', { cpu: '4' }),
          running('low', 10, '1'),
          running('high', 50, '1'),
          running('mid', 20, '2'),
        ),
      ],
      pod: incoming(100, '2'),
    });
    assert.deepEqual(got.victims, ['mid']);
  });

  it('among equal priorities reprieves the longest-running first', () => {
    const got = preempt({
      nodes: [
        nodeInfo(
          makeNode('a', { cpu: '2' }),
          running('new', 10, '1', startedAt('2026-01-01T11:00:00Z')),
          running('old', 10, '1', startedAt('2026-01-01T01:00:00Z')),
        ),
      ],
      pod: incoming(100, '1'),
    });
    assert.deepEqual(got.victims, ['new']);
  });

  it('lists victims lowest priority first', () => {
    const got = preempt({
      nodes: [
        nodeInfo(
          makeNode('a', { cpu: '3' }),
          running('p20', 20, '1'),
          running('p10', 10, '1'),
          running('p30', 30, '1'),
        ),
      ],
      pod: incoming(100, '3'),
    });
    assert.deepEqual(got.victims, ['p10', 'p20', 'p30']);
  });

  it('keeps preFilter state true through the runner, on clones only', () => {
    // The incoming pod refuses nodes with a web pod; only removing it through runner.removePod
    // (which updates the state's counts) makes node a fit.
    const web = (name: string, priority: number): Pod => ({
      ...makePod(name, { priority, labels: { app: 'web' } }),
    });
    const a = nodeInfo(makeNode('a'), web('w1', 1), running('other', 1, '1'));
    const b = nodeInfo(makeNode('b'), web('w2', 500));
    const got = preempt({ nodes: [a, b], pod: incoming(100, '1'), filters: [cpuFit, noWeb] });
    assert.equal(got.node, 'a');
    assert.deepEqual(got.victims, ['w1']);
    // Neither the snapshot's nodes nor the cycle state saw the what-ifs.
    assert.deepEqual(
      a.pods.map((p) => p.name),
      ['w1', 'other'],
    );
    assert.equal(a.requested.milliCpu, 1000);
    assert.equal(got.state.read<WebCounts>(WEB)?.byNode.get('a'), 1);
  });

  it('reports a runner error rather than a candidate', () => {
    const run = runner();
    run.removePod = () => failure('boom');
    const n = nodeInfo(makeNode('a', { cpu: '1' }), running('a1', 1, '1'));
    const pod = new PodInfo(incoming(100, '1'));
    const got = defaultPreemption({ randomInt: () => 0 })(
      new CycleState(),
      pod,
      testSnapshot([n]),
      new Map([['a', unschedulable('Insufficient cpu')]]),
      run,
    );
    assert.equal(got.preemption, undefined);
    assert.equal(got.message, 'preemption: removing pod default/a1: boom');
  });
});

describe('defaultPreemption: eligibility and messages', () => {
  it('a pod with preemptionPolicy Never does not preempt', () => {
    const got = preempt({
      nodes: [nodeInfo(makeNode('a', { cpu: '1' }), running('a1', 1, '1'))],
      pod: incoming(100, '1'),
    });
    assert.equal(got.node, 'a', 'sanity: without the policy it would preempt');
    const never = preempt({
      nodes: [nodeInfo(makeNode('a', { cpu: '1' }), running('a1', 1, '1'))],
      pod: incoming(100, '1', { preemptionPolicy: 'Never' }),
    });
    assert.equal(never.preemption, undefined);
    assert.equal(never.message, 'preemption: not eligible due to preemptionPolicy=Never.');
  });

  const terminatingVictim = (): Pod => ({
    ...running('leaving', 1, '1'),
    metadata: {
      name: 'leaving',
      namespace: 'default',
      uid: 'leaving',
      deletionTimestamp: '2026-01-01T11:59:00Z',
    },
    status: { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler' }] },
  });
  const nominatedTo = (node: string): Pod => ({ ...incoming(100, '1'), status: { nominatedNodeName: node } });

  it('waits while a victim it preempted on its nominated node terminates', () => {
    const got = preempt({
      nodes: [
        nodeInfo(makeNode('a', { cpu: '1' }), terminatingVictim()),
        nodeInfo(makeNode('b', { cpu: '1' }), running('b1', 1, '1')),
      ],
      pod: nominatedTo('a'),
    });
    assert.equal(got.preemption, undefined);
    assert.equal(got.message, 'preemption: not eligible due to a terminating pod on the nominated node.');
  });

  it('preempts again when the nominated node can no longer take the pod at all', () => {
    const got = preempt({
      nodes: [
        nodeInfo(makeNode('a', { cpu: '1' }), terminatingVictim()),
        nodeInfo(makeNode('b', { cpu: '1' }), running('b1', 1, '1')),
      ],
      pod: nominatedTo('a'),
      override: { a: unresolvable("node(s) didn't match Pod's node affinity/selector") },
    });
    assert.equal(got.node, 'b');
  });

  it('a pod being deleted for another reason does not block preemption', () => {
    const deleting: Pod = { ...terminatingVictim(), status: {} };
    const got = preempt({ nodes: [nodeInfo(makeNode('a', { cpu: '1' }), deleting)], pod: nominatedTo('a') });
    assert.equal(got.node, 'a');
    assert.deepEqual(got.victims, ['leaving']);
  });

  const messages: { name: string; c: Case; message: string }[] = [
    {
      name: 'no lower-priority pods anywhere',
      c: {
        nodes: ['a', 'b', 'c', 'd', 'e'].map((n) =>
          nodeInfo(makeNode(n, { cpu: '1' }), running(`${n}1`, 100, '1')),
        ),
        pod: incoming(100, '1'),
      },
      message: 'preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod.',
    },
    {
      name: 'every node unresolvable',
      c: {
        nodes: ['a', 'b', 'c'].map((n) => nodeInfo(makeNode(n, { cpu: '1' }), running(`${n}1`, 1, '1'))),
        pod: incoming(100, '1'),
        override: {
          a: unresolvable('node(s) had untolerated taint {dedicated: gpu}'),
          b: unresolvable('node(s) had untolerated taint {dedicated: gpu}'),
          c: unresolvable('node(s) were unschedulable'),
        },
      },
      message: 'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    },
    {
      name: 'one node tried, one not',
      c: {
        nodes: [
          nodeInfo(makeNode('a', { cpu: '1' }), running('a1', 1, '1')),
          nodeInfo(makeNode('b', { cpu: '1' }), running('b1', 100, '1')),
        ],
        pod: incoming(100, '1'),
        override: { a: unresolvable('node(s) were unschedulable') },
      },
      message:
        'preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, ' +
        '1 Preemption is not helpful for scheduling.',
    },
    {
      name: 'a mix, counted per reason and sorted as strings',
      c: {
        nodes: [
          nodeInfo(makeNode('a', { cpu: '1' }), running('a1', 1, '1')),
          nodeInfo(makeNode('b', { cpu: '1' }), running('b1', 1, '1')),
          nodeInfo(makeNode('c', { cpu: '1' }), running('c1', 100, '1')),
          nodeInfo(makeNode('d', { cpu: '1' }), running('d1', 1, '500m')),
          nodeInfo(makeNode('e', { cpu: '1' }), running('e1', 1, '500m')),
        ],
        pod: incoming(100, '2'),
        override: {
          a: unresolvable('node(s) had untolerated taint {dedicated: gpu}'),
          b: unresolvable('node(s) were unschedulable'),
        },
      },
      message:
        'preemption: 0/5 nodes are available: 1 No preemption victims found for incoming pod, ' +
        '2 Insufficient cpu, 2 Preemption is not helpful for scheduling.',
    },
  ];
  for (const { name, c, message } of messages)
    it(`message: ${name}`, () => {
      const got = preempt(c);
      assert.equal(got.preemption, undefined);
      assert.equal(got.message, message);
    });

  it('rejects bad options, saying which', () => {
    assert.throws(
      () => defaultPreemption({ minCandidateNodesPercentage: 101 }),
      /minCandidateNodesPercentage/,
    );
    assert.throws(() => defaultPreemption({ minCandidateNodesAbsolute: -1 }), /minCandidateNodesAbsolute/);
    assert.throws(
      () => defaultPreemption({ minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 0 }),
      /cannot both be 0/,
    );
  });
});

describe('defaultPreemption: bounded search', () => {
  const full = (count: number, priority = (_i: number) => 1) =>
    Array.from({ length: count }, (_, i) =>
      nodeInfo(
        makeNode(`n${i}`, { cpu: '1' }),
        running(`p${i}`, priority(i), '1', {
          metadata: { name: `p${i}`, namespace: 'default', uid: `p${i}`, labels: { app: 'db' } },
        }),
      ),
    );

  it('stops after max(10%, 100) candidates, starting at the random offset', () => {
    const got = preempt({ nodes: full(300), pod: incoming(100, '1'), options: { randomInt: () => 250 } });
    const tried = [...new Set(got.runner.filtered)];
    assert.equal(tried.length, 100);
    assert.equal(tried[0], 'n250');
    assert.equal(tried[99], 'n49');
    assert.equal(got.node, 'n250');
  });

  it('takes the percentage when it is more: 50% of 300', () => {
    const got = preempt({
      nodes: full(300, (i) => (i === 140 ? 0 : 1)),
      pod: incoming(100, '1'),
      options: { minCandidateNodesPercentage: 50, minCandidateNodesAbsolute: 0 },
    });
    assert.equal(new Set(got.runner.filtered).size, 150);
    assert.equal(got.node, 'n140', 'the lowest-priority victim among the 150 tried');
  });

  // Protects every pod of `full` (labelled app=db) and allows no disruption.
  const pdb: PodDisruptionBudget = {
    metadata: { name: 'db', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'db' } } },
    status: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 },
  };

  it('keeps looking past the bound until a candidate violates no disruption budget', () => {
    // Every pod but n7's is protected.
    const nodes = full(10);
    const n7 = nodes[7]!;
    n7.removePod('p7');
    n7.addPod(new PodInfo(running('p7', 1, '1')));
    const got = preempt({
      nodes,
      pod: incoming(100, '1'),
      options: { minCandidateNodesAbsolute: 2, podDisruptionBudgets: () => [pdb] },
    });
    assert.equal(new Set(got.runner.filtered).size, 8);
    assert.equal(got.node, 'n7');
  });

  it('with no budget-free candidate, compares only as many budget-violating ones as wanted', () => {
    // All five violate; n4's victim is the cheapest, but the search keeps only the first two found.
    const got = preempt({
      nodes: full(5, (i) => (i === 4 ? 0 : 1)),
      pod: incoming(100, '1'),
      options: { minCandidateNodesAbsolute: 2, podDisruptionBudgets: () => [pdb] },
    });
    assert.equal(new Set(got.runner.filtered).size, 5);
    assert.equal(got.node, 'n0');
  });
});

describe('defaultPreemption: disruption budgets (seam until Shoal serves them)', () => {
  const budget = (allowed: number, disrupted: string[] = []): PodDisruptionBudget => ({
    metadata: { name: 'db', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'db' } } },
    status: {
      disruptionsAllowed: allowed,
      disruptedPods: Object.fromEntries(disrupted.map((p) => [p, '2026-01-01T11:00:00Z'])),
      currentHealthy: 0,
      desiredHealthy: 0,
      expectedPods: 0,
    },
  });
  const db = (name: string, priority: number, cpu: string): Pod => ({
    ...running(name, priority, cpu),
    metadata: { name, namespace: 'default', uid: name, labels: { app: 'db' } },
  });

  it('prefers a node whose victims violate no budget over lower victim priority', () => {
    const nodes = () => [
      nodeInfo(makeNode('a', { cpu: '1' }), db('a1', 1, '1')),
      nodeInfo(makeNode('b', { cpu: '1' }), running('b1', 50, '1')),
    ];
    assert.equal(
      preempt({ nodes: nodes(), pod: incoming(100, '1') }).node,
      'a',
      'sanity: without the budget',
    );
    const got = preempt({
      nodes: nodes(),
      pod: incoming(100, '1'),
      options: { podDisruptionBudgets: () => [budget(0)] },
    });
    assert.equal(got.node, 'b');
  });

  it('reprieves budget-protected pods first, even over more important ones', () => {
    const got = preempt({
      nodes: [nodeInfo(makeNode('a', { cpu: '2' }), db('protected', 1, '1'), running('free', 50, '1'))],
      pod: incoming(100, '1'),
      options: { podDisruptionBudgets: () => [budget(0)] },
    });
    assert.deepEqual(got.victims, ['free']);
  });

  it('a budget allowing a disruption, or already counting the pod, is not violated', () => {
    for (const pdb of [budget(1), budget(0, ['a1'])]) {
      const got = preempt({
        nodes: [
          nodeInfo(makeNode('a', { cpu: '1' }), db('a1', 1, '1')),
          nodeInfo(makeNode('b', { cpu: '1' }), running('b1', 50, '1')),
        ],
        pod: incoming(100, '1'),
        options: { podDisruptionBudgets: () => [pdb] },
      });
      assert.equal(got.node, 'a');
    }
  });
});
