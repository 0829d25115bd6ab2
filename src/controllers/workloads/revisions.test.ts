import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { canonicalJson } from '../../api/json-value.js';
import type { KubeObject } from '../../api/object.js';
import {
  planUpdateRevision,
  revisionHash,
  revisionsToPrune,
  templateOf,
  templateRevisionData,
} from './revisions.js';

const owner: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: 'default', uid: 'u1' },
};
const tpl = (image: string): PodTemplateSpec => ({
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image }] },
});

function rev(image: string, n: number, name?: string): ControllerRevision {
  const data = templateRevisionData(tpl(image));
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: { name: name ?? `web-${revisionHash(data)}`, namespace: 'default', uid: `r${n}` },
    data,
    revision: n,
  };
}

describe('revisions', () => {
  it('hashes canonically: key order does not matter, content does', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
    assert.equal(revisionHash({ a: 1, b: 2 }), revisionHash({ b: 2, a: 1 }));
    assert.notEqual(revisionHash({ a: 1 }), revisionHash({ a: 2 }));
    assert.notEqual(revisionHash({ a: 1 }), revisionHash({ a: 1 }, 1));
    assert.match(revisionHash({ a: 1 }), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  });

  it('round-trips a template through revision data', () => {
    assert.deepEqual(templateOf(rev('img:1', 1)), tpl('img:1'));
  });

  const cases: {
    name: string;
    revisions: ControllerRevision[];
    image: string;
    want: string;
    number?: number;
  }[] = [
    { name: 'first revision is created as 1', revisions: [], image: 'img:1', want: 'create', number: 1 },
    {
      name: 'newest already matches',
      revisions: [rev('img:1', 1), rev('img:2', 2)],
      image: 'img:2',
      want: 'none',
    },
    {
      name: 'a new template gets max + 1',
      revisions: [rev('img:1', 1), rev('img:2', 2)],
      image: 'img:3',
      want: 'create',
      number: 3,
    },
    {
      name: 'a rollback renumbers the old revision',
      revisions: [rev('img:1', 1), rev('img:2', 2)],
      image: 'img:1',
      want: 'renumber',
      number: 3,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planUpdateRevision(owner, tpl(c.image), c.revisions);
      assert.equal(plan.action, c.want);
      if (plan.action === 'create') {
        assert.equal(plan.revision.revision, c.number);
        assert.equal(plan.revision.metadata!.ownerReferences![0]!.uid, 'u1');
        assert.equal(
          plan.revision.metadata!.labels!['controller-revision-hash'],
          plan.revision.metadata!.name!.slice(4),
        );
      }
      if (plan.action === 'renumber') assert.equal(plan.number, c.number);
    });
  }

  it('a name taken by different data raises the collision count', () => {
    const data = templateRevisionData(tpl('img:9'));
    const squatter = rev('img:1', 1, `web-${revisionHash(data)}`);
    const plan = planUpdateRevision(owner, tpl('img:9'), [squatter]);
    assert.equal(plan.action, 'create');
    assert.equal(plan.collisionCount, 1);
    assert.equal(plan.revision.metadata!.name, `web-${revisionHash(data, 1)}`);
  });

  it('prunes the oldest revisions no one uses beyond the limit', () => {
    const revs = [1, 2, 3, 4, 5].map((n) => rev(`img:${n}`, n));
    const live = new Set([revs[0]!.metadata!.name!, revs[4]!.metadata!.name!]);
    assert.deepEqual(
      revisionsToPrune(revs, live, 1).map((r) => r.revision),
      [2, 3],
    );
    assert.deepEqual(revisionsToPrune(revs, live, 10), []);
    assert.equal(revisionsToPrune(revs, live, 0).length, 3);
  });
});
