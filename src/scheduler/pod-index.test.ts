import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { matches, type Requirement } from '../api/labels.js';
import { SchedulerCache } from './cache.js';
import { labelValue } from './framework/labels.js';
import { PodInfo } from './framework/node-info.js';
import { makeNode, makePod } from './framework/testing.js';
import { MAX_SELECTOR_COUNTS } from './pod-index.js';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';
const WEB: Requirement[] = [{ key: 'app', operator: 'In', values: ['web'] }];

const node = (name: string, zone?: string) =>
  makeNode(name, { labels: { [HOST]: name, ...(zone ? { [ZONE]: zone } : {}) } });
const on = (nodeName: string, p: Pod): Pod => ({ ...p, spec: { ...p.spec!, nodeName } });
// Pods' UIDs are their names, so a row can delete or change them by name.
const web = (name: string, nodeName: string, namespace?: string) =>
  on(nodeName, makePod(name, { uid: name, labels: { app: 'web' }, ...(namespace ? { namespace } : {}) }));
/** A pod with required anti-affinity to web pods per `key` (identical terms across such pods). */
const guard = (name: string, nodeName: string, key = HOST) =>
  on(
    nodeName,
    makePod(name, {
      uid: name,
      labels: { app: 'guard' },
      spec: {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: key },
            ],
          },
        },
      },
    }),
  );
const terminating = (p: Pod): Pod => ({
  ...p,
  metadata: { ...p.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' },
});

/** What the index must hold, counted from scratch over the present nodes. */
function bruteByDomain(
  cache: SchedulerCache,
  ns: string,
  sel: Requirement[],
  skipTerm: boolean,
  key: string,
) {
  const m = new Map<string, number>();
  for (const n of cache.nodes) {
    const v = labelValue(n.labels, key);
    if (v === undefined) continue;
    let k = 0;
    for (const p of n.pods)
      if (p.namespace === ns && matches(sel, p.labels) && !(skipTerm && p.pod.metadata?.deletionTimestamp))
        k++;
    if (k > 0) m.set(v, (m.get(v) ?? 0) + k);
  }
  return m;
}

function bruteNodes(cache: SchedulerCache, key: string) {
  const m = new Map<string, number>();
  for (const n of cache.nodes) {
    const v = labelValue(n.labels, key);
    if (v !== undefined) m.set(v, (m.get(v) ?? 0) + 1);
  }
  return m;
}

function bruteGuards(cache: SchedulerCache) {
  const m = new Map<string, number>();
  for (const n of cache.nodes)
    for (const p of n.podsWithRequiredAntiAffinity)
      for (const t of p.requiredAntiAffinityTerms) {
        const v = labelValue(n.labels, t.topologyKey);
        if (v !== undefined) m.set(`${t.topologyKey}=${v}`, (m.get(`${t.topologyKey}=${v}`) ?? 0) + 1);
      }
  return m;
}

function indexedGuards(cache: SchedulerCache) {
  const m = new Map<string, number>();
  for (const g of cache.antiAffinityGroups())
    for (const [v, n] of g.counts)
      m.set(`${g.term.topologyKey}=${v}`, (m.get(`${g.term.topologyKey}=${v}`) ?? 0) + n);
  return m;
}

const sorted = (m: ReadonlyMap<string, number>) => [...m].sort(([a], [b]) => a.localeCompare(b));

/** The index equals a count from scratch, for every counter kind and key the rows use. */
function assertExact(cache: SchedulerCache, step: string) {
  for (const skipTerm of [true, false])
    for (const key of [ZONE, HOST]) {
      const indexed = cache.selectorCount('default', WEB, skipTerm).byDomain(key);
      assert.deepEqual(
        sorted(indexed),
        sorted(bruteByDomain(cache, 'default', WEB, skipTerm, key)),
        `${step}: web pods per ${key} (skipTerminating ${skipTerm})`,
      );
      const perNode = cache.selectorCount('default', WEB, skipTerm).perNode;
      for (const n of cache.nodes) {
        const want = n.pods.filter(
          (p) =>
            p.namespace === 'default' &&
            matches(WEB, p.labels) &&
            !(skipTerm && p.pod.metadata?.deletionTimestamp),
        ).length;
        assert.equal(perNode.get(n) ?? 0, want, `${step}: web pods on ${n.name}`);
      }
    }
  for (const key of [ZONE, HOST])
    assert.deepEqual(
      sorted(cache.topologyNodes(key)),
      sorted(bruteNodes(cache, key)),
      `${step}: nodes per ${key}`,
    );
  assert.deepEqual(sorted(indexedGuards(cache)), sorted(bruteGuards(cache)), `${step}: anti-affinity groups`);
}

/** A cache with the counters already made, so every step below updates them incrementally. */
function watched(...setup: ((c: SchedulerCache) => void)[]): SchedulerCache {
  const cache = new SchedulerCache();
  for (const s of setup) s(cache);
  assertExact(cache, 'setup');
  return cache;
}

describe('pod index: counts stay exact through cache changes', () => {
  const rows: {
    name: string;
    steps: [string, (c: SchedulerCache) => void][];
    want?: Record<string, number>;
  }[] = [
    {
      name: 'pods added to and removed from present nodes',
      steps: [
        [
          'two nodes',
          (c) => {
            c.setNode(node('n1', 'a'));
            c.setNode(node('n2', 'b'));
          },
        ],
        ['web on n1', (c) => c.setPod(web('w1', 'n1'))],
        [
          'web on n2 twice',
          (c) => {
            c.setPod(web('w2', 'n2'));
            c.setPod(web('w3', 'n2'));
          },
        ],
        ['w1 deleted', (c) => c.removePod('w1')],
        ['w3 terminal', (c) => c.setPod({ ...web('w3', 'n2'), status: { phase: 'Succeeded' } })],
      ],
      want: { b: 1 },
    },
    {
      name: 'a pod that arrives before its node counts once the node does',
      steps: [
        ['web on unknown n1', (c) => c.setPod(web('w1', 'n1'))],
        ['n1 appears', (c) => c.setNode(node('n1', 'a'))],
      ],
      want: { a: 1 },
    },
    {
      name: 'a node moving zone takes its pods and guards along',
      steps: [
        [
          'n1 in a with pods',
          (c) => {
            c.setNode(node('n1', 'a'));
            c.setPod(web('w1', 'n1'));
            c.setPod(guard('g1', 'n1', ZONE));
          },
        ],
        ['n1 to zone b', (c) => c.setNode(node('n1', 'b'))],
        ['n1 loses its zone', (c) => c.setNode(node('n1'))],
        ['n1 back in a', (c) => c.setNode(node('n1', 'a'))],
      ],
      want: { a: 1 },
    },
    {
      name: 'a removed node stops counting; its pods go later',
      steps: [
        [
          'n1, n2 in a',
          (c) => {
            c.setNode(node('n1', 'a'));
            c.setNode(node('n2', 'a'));
          },
        ],
        [
          'pods',
          (c) => {
            c.setPod(web('w1', 'n1'));
            c.setPod(web('w2', 'n2'));
            c.setPod(guard('g1', 'n1'));
          },
        ],
        ['n1 removed', (c) => c.removeNode('n1')],
        ['w1 deleted', (c) => c.removePod('w1')],
      ],
      want: { a: 1 },
    },
    {
      name: 'terminating pods leave only the counts that skip them; relabeled and foreign pods do not count',
      steps: [
        ['n1', (c) => c.setNode(node('n1', 'a'))],
        [
          'w1, w2',
          (c) => {
            c.setPod(web('w1', 'n1'));
            c.setPod(web('w2', 'n1'));
          },
        ],
        ['w1 terminating', (c) => c.setPod(terminating(web('w1', 'n1')))],
        ['w2 relabeled', (c) => c.setPod(on('n1', makePod('w2', { uid: 'w2', labels: { app: 'db' } })))],
        ['web elsewhere', (c) => c.setPod(web('x', 'n1', 'other'))],
      ],
      want: {},
    },
    {
      name: 'assumed pods count until forgotten',
      steps: [
        [
          'n1, n2',
          (c) => {
            c.setNode(node('n1', 'a'));
            c.setNode(node('n2', 'b'));
          },
        ],
        [
          'assume two',
          (c) => {
            c.assume(new PodInfo(web('w1', '')), 'n1');
            c.assume(new PodInfo(web('w2', '')), 'n2');
          },
        ],
        ['forget w1', (c) => c.forget('w1')],
      ],
      want: { b: 1 },
    },
    {
      name: 'identical anti-affinity terms share a group that goes with its last pod',
      steps: [
        [
          'n1, n2',
          (c) => {
            c.setNode(node('n1', 'a'));
            c.setNode(node('n2', 'a'));
          },
        ],
        [
          'two guards',
          (c) => {
            c.setPod(guard('g1', 'n1'));
            c.setPod(guard('g2', 'n2'));
          },
        ],
        ['g2 deleted', (c) => c.removePod('g2')],
      ],
    },
  ];
  for (const row of rows)
    it(row.name, () => {
      const cache = watched();
      for (const [step, run] of row.steps) {
        run(cache);
        assertExact(cache, step);
      }
      if (row.want)
        assert.deepEqual(
          Object.fromEntries(cache.selectorCount('default', WEB, true).byDomain(ZONE)),
          row.want,
        );
    });

  it('groups: one per distinct term, gone with the last pod', () => {
    const cache = watched((c) => c.setNode(node('n1', 'a')));
    cache.setPod(guard('g1', 'n1'));
    cache.setPod(guard('g2', 'n1'));
    cache.setPod(guard('g3', 'n1', ZONE));
    assert.equal([...cache.antiAffinityGroups()].length, 2);
    cache.removePod('g3');
    assert.deepEqual(
      [...cache.antiAffinityGroups()].map((g) => [g.term.topologyKey, Object.fromEntries(g.counts)]),
      [[HOST, { n1: 2 }]],
    );
    assert.equal(cache.scoringAffinityPods, 0, 'required anti-affinity alone scores nothing');
  });

  it(`beyond ${MAX_SELECTOR_COUNTS} selectors the least recently asked is dropped, and rebuilt exact`, () => {
    const cache = watched(
      (c) => c.setNode(node('n1', 'a')),
      (c) => c.setPod(web('w1', 'n1')),
    );
    const first = cache.selectorCount('default', WEB, false);
    for (let i = 0; i < MAX_SELECTOR_COUNTS; i++)
      cache.selectorCount('default', [{ key: 'app', operator: 'In', values: [`x${i}`] }], false);
    cache.setPod(web('w2', 'n1'));
    const again = cache.selectorCount('default', WEB, false);
    assert.notEqual(again, first);
    assert.deepEqual(Object.fromEntries(again.byDomain(ZONE)), { a: 2 });
  });
});
