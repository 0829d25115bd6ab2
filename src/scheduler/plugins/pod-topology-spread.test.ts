import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod, PodSpec, Taint, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { type NodeInfo, PodInfo } from '../framework/node-info.js';
import { makeNode, makePod, nodeInfo, testSnapshot } from '../framework/testing.js';
import type { Result } from '../framework/types.js';
import {
  ERR_REASON_CONSTRAINTS,
  ERR_REASON_MISSING_LABEL,
  PodTopologySpread,
} from './pod-topology-spread.js';
import { runFilter, runScore, SNAPSHOT_KINDS } from './test-snapshot.js';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';
const WEB = { matchLabels: { app: 'web' } };

const constraint = (
  topologyKey: string,
  more: Partial<TopologySpreadConstraint> = {},
): TopologySpreadConstraint => ({
  maxSkew: 1,
  topologyKey,
  whenUnsatisfiable: 'DoNotSchedule',
  labelSelector: WEB,
  ...more,
});
const soft = (topologyKey: string, more: Partial<TopologySpreadConstraint> = {}) =>
  constraint(topologyKey, { whenUnsatisfiable: 'ScheduleAnyway', ...more });

const web = (labels: Record<string, string> = {}, namespace?: string): Pod =>
  makePod('w', { labels: { app: 'web', ...labels }, ...(namespace ? { namespace } : {}) });
const incoming = (
  constraints: TopologySpreadConstraint[],
  labels: Record<string, string> = { app: 'web' },
  spec: Partial<PodSpec> = {},
) => makePod('p', { labels, spec: { topologySpreadConstraints: constraints, ...spec } });
const times = (k: number, make: () => Pod) => Array.from({ length: k }, make);

type Placed = Partial<Record<'n1' | 'n2' | 'n3' | 'n4', Pod[]>>;

/** n1, n2 in zone a (ssd disks); n3 in zone b; n4 without a zone label. */
function cluster(placed: Placed = {}, taintN3?: Taint): NodeInfo[] {
  return [
    nodeInfo(makeNode('n1', { labels: { [ZONE]: 'a', disk: 'ssd' } }), ...(placed.n1 ?? [])),
    nodeInfo(makeNode('n2', { labels: { [ZONE]: 'a', disk: 'ssd' } }), ...(placed.n2 ?? [])),
    nodeInfo(
      makeNode('n3', { labels: { [ZONE]: 'b' }, ...(taintN3 ? { taints: [taintN3] } : {}) }),
      ...(placed.n3 ?? []),
    ),
    nodeInfo(makeNode('n4'), ...(placed.n4 ?? [])),
  ];
}

const SKEW = { code: 'Unschedulable', reasons: [ERR_REASON_CONSTRAINTS] };
const LABEL = { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_MISSING_LABEL] };
const OK = undefined;
const NO_SCHEDULE: Taint = { key: 'maintenance', effect: 'NoSchedule' };

describe('PodTopologySpread filter', () => {
  const terminating = (): Pod => {
    const p = web();
    return { ...p, metadata: { ...p.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } };
  };
  const rows: {
    name: string;
    pod: Pod;
    placed?: Placed;
    taintN3?: boolean;
    want: (Result | object)[] | 'skip';
  }[] = [
    { name: 'no constraints', pod: makePod('p'), placed: { n1: [web()] }, want: 'skip' },
    { name: 'only ScheduleAnyway constraints', pod: incoming([soft(ZONE)]), want: 'skip' },
    {
      name: 'zone a holds one more: the pod goes to zone b',
      pod: incoming([constraint(ZONE)]),
      placed: { n1: [web()] },
      want: [SKEW, SKEW, OK, LABEL],
    },
    {
      name: 'a pod the selector does not match adds no skew',
      pod: incoming([constraint(ZONE)], { app: 'api' }),
      placed: { n1: [web()] },
      want: [OK, OK, OK, LABEL],
    },
    {
      name: 'maxSkew 2 allows it',
      pod: incoming([constraint(ZONE, { maxSkew: 2 })]),
      placed: { n1: [web()] },
      want: [OK, OK, OK, LABEL],
    },
    {
      name: 'pods in other namespaces and terminating pods do not count',
      pod: incoming([constraint(ZONE)]),
      placed: { n1: [web({}, 'other'), terminating()] },
      want: [OK, OK, OK, LABEL],
    },
    {
      name: 'balanced zones: any zone',
      pod: incoming([constraint(ZONE)]),
      placed: { n2: [web()], n3: [web()] },
      want: [OK, OK, OK, LABEL],
    },
    {
      name: 'minDomains above the number of domains makes the global minimum 0',
      pod: incoming([constraint(ZONE, { minDomains: 3 })]),
      placed: { n2: [web()], n3: [web()] },
      want: [SKEW, SKEW, SKEW, LABEL],
    },
    {
      name: 'hostname: every node is a domain',
      pod: incoming([constraint(HOST)]),
      placed: { n1: [web()] },
      want: [SKEW, OK, OK, OK],
    },
    {
      name: 'every constraint must hold',
      pod: incoming([constraint(ZONE), constraint(HOST)]),
      placed: { n1: [web()], n3: [web()] },
      want: [SKEW, OK, SKEW, LABEL],
    },
    {
      name: 'nodeAffinityPolicy Honor (default): nodes the pod cannot use are no domain',
      pod: incoming([constraint(ZONE)], { app: 'web' }, { nodeSelector: { disk: 'ssd' } }),
      placed: { n1: [web()] },
      want: [OK, OK, OK, LABEL],
    },
    {
      name: 'nodeAffinityPolicy Ignore: zone b counts as an empty domain',
      pod: incoming(
        [constraint(ZONE, { nodeAffinityPolicy: 'Ignore' })],
        { app: 'web' },
        { nodeSelector: { disk: 'ssd' } },
      ),
      placed: { n1: [web()] },
      want: [SKEW, SKEW, OK, LABEL],
    },
    {
      name: 'nodeTaintsPolicy Ignore (default): a tainted node still makes a domain',
      pod: incoming([constraint(ZONE)]),
      placed: { n1: [web()] },
      taintN3: true,
      want: [SKEW, SKEW, OK, LABEL],
    },
    {
      name: 'nodeTaintsPolicy Honor: an untolerated taint takes the node out',
      pod: incoming([constraint(ZONE, { nodeTaintsPolicy: 'Honor' })]),
      placed: { n1: [web()] },
      taintN3: true,
      want: [OK, OK, OK, LABEL],
    },
    {
      name: 'nodeTaintsPolicy Honor with a toleration',
      pod: incoming(
        [constraint(ZONE, { nodeTaintsPolicy: 'Honor' })],
        { app: 'web' },
        {
          tolerations: [{ key: 'maintenance', operator: 'Exists' }],
        },
      ),
      placed: { n1: [web()] },
      taintN3: true,
      want: [SKEW, SKEW, OK, LABEL],
    },
    {
      name: "matchLabelKeys: only pods with the pod's own revision count",
      pod: incoming([constraint(ZONE, { matchLabelKeys: ['rev'] })], { app: 'web', rev: '2' }),
      placed: { n1: [web({ rev: '1' }), web({ rev: '1' })], n3: [web({ rev: '2' })] },
      want: [OK, OK, SKEW, LABEL],
    },
    {
      name: 'a missing labelSelector selects no pod',
      pod: incoming([constraint(ZONE, { labelSelector: undefined })]),
      placed: { n1: [web(), web()] },
      want: [OK, OK, OK, LABEL],
    },
  ];
  for (const row of rows)
    for (const [kind, snapshotOf] of SNAPSHOT_KINDS)
      it(`${row.name} (${kind})`, () => {
        const nodes = cluster(row.placed, row.taintN3 ? NO_SCHEDULE : undefined);
        const out = runFilter(PodTopologySpread, row.pod, snapshotOf(nodes));
        if (row.want === 'skip') return assert.equal(out.preFilter?.code, 'Skip');
        assert.equal(out.preFilter, undefined);
        assert.deepEqual(
          nodes.map((nd) => out.byNode.get(nd.name)),
          row.want,
        );
      });

  it('an invalid labelSelector fails preFilter, naming the field', () => {
    const bad = constraint(ZONE, { labelSelector: { matchExpressions: [{ key: 'app', operator: 'Has' }] } });
    const out = runFilter(PodTopologySpread, incoming([constraint(HOST), bad]), testSnapshot(cluster()));
    assert.equal(out.preFilter?.code, 'Error');
    assert.match(out.preFilter!.reasons[0]!, /^spec\.topologySpreadConstraints\[1\]\.labelSelector: "Has"/);
  });
});

describe('PodTopologySpread preFilter extensions (preemption what-ifs)', () => {
  for (const [kind, snapshotOf] of SNAPSHOT_KINDS) {
    it(`removing a matching pod lowers its domain, in the clone only (${kind})`, () => {
      const victim = new PodInfo(web());
      const nodes = cluster();
      nodes[0]!.addPod(victim);
      const out = runFilter(PodTopologySpread, incoming([constraint(ZONE)]), snapshotOf(nodes));
      assert.deepEqual(out.byNode.get('n1'), SKEW);

      const whatIf = out.state.clone();
      PodTopologySpread.extensions!.removePod(whatIf, out.pod, victim, nodes[0]!);
      assert.equal(PodTopologySpread.filter(whatIf, out.pod, nodes[0]!), undefined);
      assert.deepEqual(PodTopologySpread.filter(out.state, out.pod, nodes[0]!), SKEW);
      PodTopologySpread.extensions!.addPod(whatIf, out.pod, victim, nodes[0]!);
      assert.deepEqual(PodTopologySpread.filter(whatIf, out.pod, nodes[0]!), SKEW);
    });

    it(`pods in another namespace or not matching change nothing (${kind})`, () => {
      const nodes = cluster();
      const out = runFilter(PodTopologySpread, incoming([constraint(ZONE)]), snapshotOf(nodes));
      PodTopologySpread.extensions!.addPod(out.state, out.pod, new PodInfo(web({}, 'other')), nodes[0]!);
      PodTopologySpread.extensions!.addPod(out.state, out.pod, new PodInfo(makePod('x')), nodes[0]!);
      assert.equal(PodTopologySpread.filter(out.state, out.pod, nodes[0]!), undefined);
    });

    it(`keeps the global minimum exact as several domains grow (${kind})`, () => {
      // Three zones, all empty: adding to zones a and b leaves c at 0, so a (1 + self − 0 = 2) is out.
      const nodes = ['a', 'b', 'c'].map((z) => nodeInfo(makeNode(`z${z}`, { labels: { [ZONE]: z } })));
      const out = runFilter(PodTopologySpread, incoming([constraint(ZONE)]), snapshotOf(nodes));
      const ext = PodTopologySpread.extensions!;
      ext.addPod(out.state, out.pod, new PodInfo(web()), nodes[0]!);
      ext.addPod(out.state, out.pod, new PodInfo(web()), nodes[1]!);
      assert.deepEqual(PodTopologySpread.filter(out.state, out.pod, nodes[0]!), SKEW);
      ext.addPod(out.state, out.pod, new PodInfo(web()), nodes[2]!);
      // Now every zone holds 1: the minimum moved up to 1 and a fits again.
      assert.equal(PodTopologySpread.filter(out.state, out.pod, nodes[0]!), undefined);
    });
  }
});

describe('PodTopologySpread score', () => {
  const rows: {
    name: string;
    pod: Pod;
    placed?: Placed;
    taintN3?: boolean;
    feasible?: string[];
    want: number[] | 'skip';
  }[] = [
    { name: 'only DoNotSchedule constraints', pod: incoming([constraint(ZONE)]), want: 'skip' },
    {
      // weight ln(2 zones + 2); a: 2 pods → round(2.77) = 3, b: 1 → 1; 100 × (3 + 1 − s) / 3
      name: 'zones: the emptier zone scores higher; a node without the key scores 0',
      pod: incoming([soft(ZONE)]),
      placed: { n1: [web(), web()], n3: [web()] },
      want: [33, 33, 100, 0],
    },
    {
      // weight ln(4 nodes + 2); counts per node 2, 0, 1, 0 → 4, 0, 2, 0 → 100 × (4 + 0 − s) / 4
      name: 'hostname: counted per node',
      pod: incoming([soft(HOST)]),
      placed: { n1: [web(), web()], n3: [web()] },
      want: [0, 100, 50, 100],
    },
    {
      // as above plus maxSkew − 1 = 2: 6, 2, 4, 2 → 100 × (6 + 2 − s) / 6
      name: 'a larger maxSkew waters differences down',
      pod: incoming([soft(HOST, { maxSkew: 3 })]),
      placed: { n1: [web(), web()], n3: [web()] },
      want: [33, 100, 66, 100],
    },
    {
      name: 'no matching pods anywhere: all equal',
      pod: incoming([soft(ZONE)]),
      want: [100, 100, 100, 0],
    },
    {
      // candidates n1 (a) and n3 (b); zone a still counts n2's pod: a = 2, b = 1 → 3, 1
      name: 'domains come from feasible nodes, counts from all nodes',
      pod: incoming([soft(ZONE)]),
      placed: { n1: [web()], n2: [web()], n3: [web()] },
      feasible: ['n1', 'n3'],
      want: [33, 100],
    },
    {
      // zone b's three pods count although n3 is tainted: b = 3 → round(4.16) = 4, a = 0
      name: 'nodeTaintsPolicy Ignore counts pods on tainted nodes',
      pod: incoming([soft(ZONE)]),
      placed: { n3: times(3, () => web()) },
      taintN3: true,
      want: [100, 100, 0, 0],
    },
    {
      name: 'nodeTaintsPolicy Honor leaves them out',
      pod: incoming([soft(ZONE, { nodeTaintsPolicy: 'Honor' })]),
      placed: { n3: times(3, () => web()) },
      taintN3: true,
      want: [100, 100, 100, 0],
    },
  ];
  for (const row of rows)
    for (const [kind, snapshotOf] of SNAPSHOT_KINDS)
      it(`${row.name} (${kind})`, () => {
        const snapshot = snapshotOf(cluster(row.placed, row.taintN3 ? NO_SCHEDULE : undefined));
        const feasible = row.feasible
          ? snapshot.nodes.filter((nd) => row.feasible!.includes(nd.name))
          : snapshot.nodes;
        assert.deepEqual(runScore(PodTopologySpread, row.pod, snapshot, feasible), row.want);
      });
});
