import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { scaledValue } from '../../api/int-or-percent.js';
import { safeEncode } from '../../util/fnv.js';
import { podTemplateHash } from './hash.js';
import {
  equalIgnoreHash,
  fenceposts,
  maxUnavailable,
  REVISION,
  REVISION_HISTORY,
  setNewReplicaSetAnnotations,
} from './replicasets.js';
import { activeOrLatest, proportionalSizes } from './scale.js';

function deployment(
  replicas: number,
  maxSurge: number | string,
  maxUnavailable: number | string,
): Deployment {
  return {
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } },
      template: {},
    },
  };
}

describe('int-or-percent rounding (surge up, unavailable down)', () => {
  const cases: [number | string, number, boolean, number][] = [
    ['25%', 3, true, 1],
    ['25%', 3, false, 0],
    ['25%', 10, true, 3],
    ['25%', 10, false, 2],
    ['100%', 7, false, 7],
    ['0%', 7, true, 0],
    [2, 10, true, 2],
    ['50%', 1, true, 1],
    ['50%', 1, false, 0],
  ];
  for (const [v, total, up, want] of cases) {
    it(`${v} of ${total} rounded ${up ? 'up' : 'down'} is ${want}`, () => {
      assert.equal(scaledValue(v, total, up), want);
    });
  }

  it('both 0 after rounding: one pod may be unavailable', () => {
    assert.deepEqual(fenceposts(deployment(1, 0, '25%')), { surge: 0, unavailable: 1 });
    assert.deepEqual(fenceposts(deployment(3, '25%', '25%')), { surge: 1, unavailable: 0 });
  });

  it('maxUnavailable never exceeds replicas, and is 0 for Recreate', () => {
    assert.equal(maxUnavailable(deployment(2, 0, 5)), 2);
    const recreate = deployment(4, 1, 1);
    recreate.spec!.strategy = { type: 'Recreate' };
    assert.equal(maxUnavailable(recreate), 0);
  });
});

describe('pod-template-hash', () => {
  const template = {
    metadata: { labels: { app: 'web', tier: 'a' } },
    spec: { containers: [{ name: 'c', image: 'x' }] },
  };

  it('is stable, spelled in safe characters, and ignores key order and unset fields', () => {
    const h = podTemplateHash(template);
    assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    const reordered = {
      spec: { containers: [{ image: 'x', name: 'c', env: [] }] },
      metadata: { creationTimestamp: null, labels: { tier: 'a', app: 'web' } },
    };
    assert.equal(podTemplateHash(reordered as never), h);
  });

  it('changes with the template and with collisionCount', () => {
    const h = podTemplateHash(template);
    const other = structuredClone(template);
    other.spec.containers[0]!.image = 'y';
    assert.notEqual(podTemplateHash(other), h);
    assert.notEqual(podTemplateHash(template, 1), h);
    assert.notEqual(podTemplateHash(template, 1), podTemplateHash(template, 2));
  });

  it('safeEncode maps each character by its code', () => {
    assert.equal(safeEncode('0'), 'bcdfghjklmnpqrstvwxz2456789'[48 % 27]);
  });

  it('equalIgnoreHash ignores only the pod-template-hash label', () => {
    const withHash = structuredClone(template) as typeof template;
    withHash.metadata.labels = { ...withHash.metadata.labels, 'pod-template-hash': 'abc' } as never;
    assert.equal(equalIgnoreHash(withHash, template), true);
    const changed = structuredClone(withHash);
    (changed.metadata.labels as Record<string, string>).tier = 'b';
    assert.equal(equalIgnoreHash(changed, template), false);
  });
});

describe('new ReplicaSet annotations', () => {
  it('copies the Deployment annotations but not the bookkeeping ones, and sets replicas annotations', () => {
    const d = deployment(4, 1, 1);
    d.metadata!.annotations = {
      'kubernetes.io/change-cause': 'v2',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
      [REVISION]: '7',
    };
    const rs: ReplicaSet = { metadata: { name: 'web-x' } };
    assert.equal(setNewReplicaSetAnnotations(d, rs, 3, false), true);
    assert.deepEqual(rs.metadata!.annotations, {
      'kubernetes.io/change-cause': 'v2',
      [REVISION]: '3',
      'deployment.kubernetes.io/desired-replicas': '4',
      'deployment.kubernetes.io/max-replicas': '5',
    });
    assert.equal(setNewReplicaSetAnnotations(d, rs, 3, true), false, 'nothing left to change');
  });

  it('an old RS brought back gets the next revision and remembers its former ones', () => {
    const d = deployment(1, 1, 0);
    const rs: ReplicaSet = {
      metadata: { name: 'web-x', annotations: { [REVISION]: '2', [REVISION_HISTORY]: '1' } },
    };
    setNewReplicaSetAnnotations(d, rs, 5, true);
    assert.equal(rs.metadata!.annotations![REVISION], '5');
    assert.equal(rs.metadata!.annotations![REVISION_HISTORY], '1,2');
  });
});

function rs(
  name: string,
  replicas: number,
  maxReplicas: number,
  created: string,
  available = replicas,
): ReplicaSet {
  return {
    metadata: {
      name,
      creationTimestamp: created,
      annotations: { 'deployment.kubernetes.io/max-replicas': String(maxReplicas) },
    },
    spec: { replicas, selector: {}, template: {} },
    status: { replicas, availableReplicas: available },
  };
}

describe('proportional scaling mid-rollout', () => {
  const cases: {
    name: string;
    d: Deployment;
    rses: ReplicaSet[];
    want: Record<string, number>;
  }[] = [
    {
      // Kubernetes' TestScale "proportional scaling: 5 -> 10": 5 and 5 of a 10+surge... shares double.
      name: 'scale up 10 -> 20 with two equal RSes',
      d: deployment(20, 0, 1),
      rses: [rs('old', 5, 10, '2026-01-01T00:00:00Z'), rs('new', 5, 10, '2026-01-01T00:01:00Z')],
      want: { old: 10, new: 10 },
    },
    {
      name: 'scale down 10 -> 5 with 8/2',
      d: deployment(5, 0, 1),
      rses: [rs('old', 8, 10, '2026-01-01T00:00:00Z'), rs('new', 2, 10, '2026-01-01T00:01:00Z')],
      want: { old: 4, new: 1 },
    },
    {
      name: 'rounding leftovers go to the largest RS',
      d: deployment(10, 0, 1),
      rses: [
        rs('a', 3, 9, '2026-01-01T00:00:00Z'),
        rs('b', 3, 9, '2026-01-01T00:01:00Z'),
        rs('c', 3, 9, '2026-01-01T00:02:00Z'),
      ],
      // 3*10/9 = 3.33 rounds to 3 each; the one extra goes to the first in scale-up order (newest on a tie).
      want: { a: 3, b: 3, c: 4 },
    },
    {
      name: 'scale to zero empties every RS',
      d: deployment(0, 0, 1),
      rses: [rs('old', 3, 4, '2026-01-01T00:00:00Z'), rs('new', 1, 4, '2026-01-01T00:01:00Z')],
      want: { old: 0, new: 0 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const [newRS, ...old] = [...c.rses].reverse();
      const sizes = proportionalSizes(c.d, newRS, old);
      assert.deepEqual(Object.fromEntries(sizes.map((s) => [s.rs.metadata!.name, s.size])), c.want);
    });
  }

  it('one active RS takes the whole size; with none active, the newest', () => {
    const a = rs('a', 0, 3, '2026-01-01T00:00:00Z');
    const b = rs('b', 0, 3, '2026-01-01T00:01:00Z');
    assert.equal(activeOrLatest(undefined, [a, b]), b);
    assert.equal(activeOrLatest(b, [rs('c', 2, 3, '2026-01-01T00:00:00Z')])?.metadata?.name, 'c');
    assert.equal(
      activeOrLatest(rs('n', 1, 3, '2026-01-01T00:02:00Z'), [rs('c', 2, 3, '2026-01-01T00:00:00Z')]),
      undefined,
    );
  });
});
