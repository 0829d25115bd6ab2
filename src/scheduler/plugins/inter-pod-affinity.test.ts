import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod, PodAffinityTerm, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1.js';
import { type NodeInfo, PodInfo } from '../framework/node-info.js';
import { makeNode, makePod, nodeInfo } from '../framework/testing.js';
import type { Result } from '../framework/types.js';
import {
  ERR_REASON_AFFINITY,
  ERR_REASON_ANTI_AFFINITY,
  ERR_REASON_EXISTING_ANTI_AFFINITY,
  InterPodAffinity,
} from './inter-pod-affinity.js';
import { runFilter, runScore, SNAPSHOT_KINDS } from './test-snapshot.js';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';

const term = (labels: Record<string, string>, topologyKey: string, more: Partial<PodAffinityTerm> = {}) => ({
  labelSelector: { matchLabels: labels },
  topologyKey,
  ...more,
});
const weighted = (weight: number, t: PodAffinityTerm): WeightedPodAffinityTerm => ({
  weight,
  podAffinityTerm: t,
});

interface PodShape {
  labels?: Record<string, string>;
  namespace?: string;
  affinity?: PodAffinityTerm[];
  antiAffinity?: PodAffinityTerm[];
  preferAffinity?: WeightedPodAffinityTerm[];
  preferAntiAffinity?: WeightedPodAffinityTerm[];
}

let n = 0;
function pod(shape: PodShape = {}): Pod {
  return makePod(`p${++n}`, {
    ...(shape.labels ? { labels: shape.labels } : {}),
    ...(shape.namespace ? { namespace: shape.namespace } : {}),
    spec: {
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: shape.affinity,
          preferredDuringSchedulingIgnoredDuringExecution: shape.preferAffinity,
        },
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: shape.antiAffinity,
          preferredDuringSchedulingIgnoredDuringExecution: shape.preferAntiAffinity,
        },
      },
    },
  });
}

/** n1, n2 in zone a; n3 in zone b; n4 without a zone label. Pods go on nodes by index. */
function cluster(placed: Partial<Record<'n1' | 'n2' | 'n3' | 'n4', Pod[]>> = {}): NodeInfo[] {
  const zones: Record<string, string | undefined> = { n1: 'a', n2: 'a', n3: 'b', n4: undefined };
  return Object.entries(zones).map(([name, zone]) =>
    nodeInfo(makeNode(name, zone ? { labels: { [ZONE]: zone } } : {}), ...(placed[name as 'n1'] ?? [])),
  );
}

const AFF = { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_AFFINITY] };
const ANTI = { code: 'Unschedulable', reasons: [ERR_REASON_ANTI_AFFINITY] };
const EXISTING = { code: 'Unschedulable', reasons: [ERR_REASON_EXISTING_ANTI_AFFINITY] };
const OK = undefined;

describe('InterPodAffinity filter', () => {
  const db = () => pod({ labels: { app: 'db' } });
  const web = () => pod({ labels: { app: 'web' } });
  const rows: {
    name: string;
    pod: Pod;
    placed?: Parameters<typeof cluster>[0];
    namespaces?: Record<string, Record<string, string>>;
    want: (Result | object)[] | 'skip';
  }[] = [
    { name: 'no terms anywhere', pod: web(), placed: { n1: [db()] }, want: 'skip' },
    {
      name: 'required affinity: only the zone holding a match',
      pod: pod({ affinity: [term({ app: 'db' }, ZONE)] }),
      placed: { n1: [db()], n3: [web()] },
      want: [OK, OK, AFF, AFF],
    },
    {
      name: 'required affinity by hostname',
      pod: pod({ affinity: [term({ app: 'db' }, HOST)] }),
      placed: { n2: [db()] },
      want: [AFF, OK, AFF, AFF],
    },
    {
      name: 'first pod of a group with affinity to itself goes anywhere with the topology key',
      pod: pod({ labels: { app: 'web' }, affinity: [term({ app: 'web' }, ZONE)] }),
      placed: { n1: [db()] },
      want: [OK, OK, OK, AFF],
    },
    {
      name: 'no match anywhere and the pod does not match its own terms',
      pod: pod({ labels: { app: 'api' }, affinity: [term({ app: 'web' }, ZONE)] }),
      want: [AFF, AFF, AFF, AFF],
    },
    {
      name: 'the first-pod exception ends once a matching pod runs somewhere',
      pod: pod({ labels: { app: 'web' }, affinity: [term({ app: 'web' }, ZONE)] }),
      placed: { n3: [web()] },
      want: [AFF, AFF, OK, AFF],
    },
    {
      name: 'a matching pod must match every affinity term',
      pod: pod({ affinity: [term({ app: 'db' }, ZONE), term({ tier: 'data' }, HOST)] }),
      placed: { n1: [db()], n3: [pod({ labels: { app: 'db', tier: 'data' } })] },
      want: [AFF, AFF, OK, AFF],
    },
    {
      name: 'pods in another namespace do not count by default',
      pod: pod({ affinity: [term({ app: 'db' }, ZONE)] }),
      placed: { n1: [pod({ labels: { app: 'db' }, namespace: 'other' })] },
      want: [AFF, AFF, AFF, AFF],
    },
    {
      name: 'listed namespaces',
      pod: pod({ affinity: [term({ app: 'db' }, ZONE, { namespaces: ['other'] })] }),
      placed: { n1: [pod({ labels: { app: 'db' }, namespace: 'other' })], n3: [db()] },
      want: [OK, OK, AFF, AFF],
    },
    {
      name: 'namespaceSelector picks namespaces by label',
      pod: pod({
        affinity: [term({ app: 'db' }, ZONE, { namespaceSelector: { matchLabels: { team: 'x' } } })],
      }),
      placed: {
        n1: [pod({ labels: { app: 'db' }, namespace: 'tx' })],
        n3: [pod({ labels: { app: 'db' }, namespace: 'ty' })],
      },
      namespaces: { tx: { team: 'x' }, ty: { team: 'y' } },
      want: [OK, OK, AFF, AFF],
    },
    {
      name: 'an empty namespaceSelector selects every namespace',
      pod: pod({ affinity: [term({ app: 'db' }, ZONE, { namespaceSelector: {} })] }),
      placed: { n3: [pod({ labels: { app: 'db' }, namespace: 'elsewhere' })] },
      want: [AFF, AFF, OK, AFF],
    },
    {
      name: 'required anti-affinity by hostname',
      pod: pod({ labels: { app: 'web' }, antiAffinity: [term({ app: 'web' }, HOST)] }),
      placed: { n1: [web()], n3: [db()] },
      want: [ANTI, OK, OK, OK],
    },
    {
      name: 'required anti-affinity by zone; a node without the key is not in the domain',
      pod: pod({ antiAffinity: [term({ app: 'web' }, ZONE)] }),
      placed: { n1: [web()] },
      want: [ANTI, ANTI, OK, OK],
    },
    {
      name: "an existing pod's anti-affinity keeps the incoming pod out of its domain",
      pod: web(),
      placed: { n2: [pod({ antiAffinity: [term({ app: 'web' }, ZONE)] })] },
      want: [EXISTING, EXISTING, OK, OK],
    },
    {
      name: "an existing pod's anti-affinity that does not select the pod",
      pod: db(),
      placed: { n2: [pod({ antiAffinity: [term({ app: 'web' }, ZONE)] })] },
      want: 'skip',
    },
    {
      name: "an existing pod's anti-affinity applies in its own namespace only",
      pod: pod({ labels: { app: 'web' }, namespace: 'other' }),
      placed: { n2: [pod({ antiAffinity: [term({ app: 'web' }, ZONE)] })] },
      want: 'skip',
    },
    {
      name: "existing anti-affinity with a namespaceSelector matching the incoming pod's namespace",
      pod: pod({ labels: { app: 'web' }, namespace: 'tx' }),
      placed: {
        n3: [
          pod({
            antiAffinity: [term({ app: 'web' }, HOST, { namespaceSelector: { matchLabels: { team: 'x' } } })],
          }),
        ],
      },
      namespaces: { tx: { team: 'x' } },
      want: [OK, OK, EXISTING, OK],
    },
    {
      name: 'affinity is checked before anti-affinity',
      pod: pod({ affinity: [term({ app: 'db' }, ZONE)], antiAffinity: [term({ app: 'db' }, HOST)] }),
      placed: { n1: [db()] },
      want: [ANTI, OK, AFF, AFF],
    },
  ];
  for (const row of rows)
    for (const [kind, snapshotOf] of SNAPSHOT_KINDS)
      it(`${row.name} (${kind})`, () => {
        const nodes = cluster(row.placed);
        const out = runFilter(InterPodAffinity, row.pod, snapshotOf(nodes, row.namespaces));
        if (row.want === 'skip') return assert.equal(out.preFilter?.code, 'Skip');
        assert.equal(out.preFilter, undefined);
        assert.deepEqual(
          nodes.map((nd) => out.byNode.get(nd.name)),
          row.want,
        );
      });
});

describe('InterPodAffinity preFilter extensions (preemption what-ifs)', () => {
  // Over the cache, preFilter's counts are the index's live maps until a what-if changes them.
  for (const [kind, snapshotOf] of SNAPSHOT_KINDS) {
    it(`removing the pod that blocks anti-affinity frees its node, in the clone only (${kind})`, () => {
      const victim = new PodInfo(pod({ labels: { app: 'web' } }));
      const nodes = cluster();
      nodes[0]!.addPod(victim);
      const out = runFilter(
        InterPodAffinity,
        pod({ antiAffinity: [term({ app: 'web' }, HOST)] }),
        snapshotOf(nodes),
      );
      assert.deepEqual(out.byNode.get('n1'), ANTI);

      const whatIf = out.state.clone();
      const trial = nodes[0]!.clone();
      trial.removePod(victim.uid);
      assert.equal(InterPodAffinity.extensions!.removePod(whatIf, out.pod, victim, trial), undefined);
      assert.equal(InterPodAffinity.filter(whatIf, out.pod, trial), undefined);
      assert.deepEqual(InterPodAffinity.filter(out.state, out.pod, nodes[0]!), ANTI);

      InterPodAffinity.extensions!.addPod(whatIf, out.pod, victim, trial);
      assert.deepEqual(InterPodAffinity.filter(whatIf, out.pod, trial), ANTI);
    });

    it(`removing an existing pod with anti-affinity lifts it; removing the affinity target fails affinity (${kind})`, () => {
      const guard = new PodInfo(pod({ labels: { app: 'db' }, antiAffinity: [term({ app: 'web' }, ZONE)] }));
      const nodes = cluster();
      nodes[2]!.addPod(guard);
      const incoming = pod({ labels: { app: 'web' }, affinity: [term({ app: 'db' }, ZONE)] });
      const out = runFilter(InterPodAffinity, incoming, snapshotOf(nodes));
      assert.deepEqual(out.byNode.get('n3'), EXISTING);
      assert.deepEqual(out.byNode.get('n1'), AFF);

      const whatIf = out.state.clone();
      InterPodAffinity.extensions!.removePod(whatIf, out.pod, guard, nodes[2]!);
      // The guard was also the only db pod: with none left anywhere, and the incoming pod not a db
      // itself, affinity cannot be met.
      assert.deepEqual(InterPodAffinity.filter(whatIf, out.pod, nodes[2]!), AFF);
      InterPodAffinity.extensions!.addPod(
        whatIf,
        out.pod,
        new PodInfo(pod({ labels: { app: 'db' } })),
        nodes[2]!,
      );
      assert.equal(InterPodAffinity.filter(whatIf, out.pod, nodes[2]!), undefined);
    });
  }
});

describe('InterPodAffinity score', () => {
  const db = () => pod({ labels: { app: 'db' } });
  const rows: {
    name: string;
    pod: Pod;
    placed?: Parameters<typeof cluster>[0];
    want: number[] | 'skip';
  }[] = [
    { name: 'nothing preferred anywhere', pod: pod(), placed: { n1: [db()] }, want: 'skip' },
    {
      name: 'preferred affinity to the zone of a match',
      pod: pod({ preferAffinity: [weighted(5, term({ app: 'db' }, ZONE))] }),
      placed: { n1: [db()] },
      want: [100, 100, 0, 0],
    },
    {
      name: 'preferred anti-affinity away from the zone of a match',
      pod: pod({ preferAntiAffinity: [weighted(5, term({ app: 'db' }, ZONE))] }),
      placed: { n1: [db()] },
      want: [0, 0, 100, 100],
    },
    {
      // raw: n1 = 10 (zone a) − 4 (host n1) = 6, n2 = 10, n3 = 0, n4 = 0 → min 0, max 10
      name: 'affinity and anti-affinity add up per node',
      pod: pod({
        preferAffinity: [weighted(10, term({ app: 'db' }, ZONE))],
        preferAntiAffinity: [weighted(4, term({ app: 'db' }, HOST))],
      }),
      placed: { n1: [db()] },
      want: [60, 100, 0, 0],
    },
    {
      name: "an existing pod's preferred affinity to the incoming pod attracts it",
      pod: pod({ labels: { app: 'web' } }),
      placed: { n3: [pod({ preferAffinity: [weighted(7, term({ app: 'web' }, ZONE))] })] },
      want: [0, 0, 100, 0],
    },
    {
      name: "an existing pod's preferred anti-affinity to the incoming pod repels it",
      pod: pod({ labels: { app: 'web' } }),
      placed: { n3: [pod({ preferAntiAffinity: [weighted(7, term({ app: 'web' }, HOST))] })] },
      want: [100, 100, 0, 100],
    },
    {
      // n2: hard weight 1 (host) ; n1: preferred 3 (zone a) + nothing; n2 also in zone a → 4
      name: "an existing pod's required affinity counts at the hard weight",
      pod: pod({ labels: { app: 'web' } }),
      placed: {
        n2: [
          pod({
            affinity: [term({ app: 'web' }, HOST)],
            preferAffinity: [weighted(3, term({ app: 'web' }, ZONE))],
          }),
        ],
      },
      want: [75, 100, 0, 0],
    },
    {
      name: 'two matches outweigh one',
      pod: pod({ preferAffinity: [weighted(1, term({ app: 'db' }, HOST))] }),
      placed: { n1: [db(), db()], n3: [db()] },
      want: [100, 0, 50, 0],
    },
  ];
  for (const row of rows)
    for (const [kind, snapshotOf] of SNAPSHOT_KINDS)
      it(`${row.name} (${kind})`, () => {
        const got = runScore(InterPodAffinity, row.pod, snapshotOf(cluster(row.placed)));
        assert.deepEqual(got, row.want);
      });
});
