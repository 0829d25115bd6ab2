import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hasCode } from '../../api/errors.js';
import type { KubeObject, OwnerReference } from '../../api/object.js';
import type { Client } from '../../client/rest.js';
import { claim, controllerRefOf, newControllerRef, planClaims } from './owner.js';
import { PODS } from './pod-control.js';
import { startFakeApi, type TestApi } from './testing.js';

const owner: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web', namespace: 'default', uid: 'rs-uid' },
};
const ownRef = newControllerRef(owner);
const otherRef: OwnerReference = { ...ownRef, name: 'other', uid: 'other-uid' };

function pod(
  name: string,
  labels: Record<string, string>,
  extra: Partial<KubeObject['metadata']> = {},
): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels, ...extra } };
}

describe('controllerRefOf / newControllerRef', () => {
  it('finds the controller among several owners', () => {
    const gc: OwnerReference = { ...otherRef, controller: false };
    assert.equal(controllerRefOf(pod('p', {}, { ownerReferences: [gc, ownRef] }))?.uid, 'rs-uid');
    assert.equal(controllerRefOf(pod('p', {}, { ownerReferences: [gc] })), undefined);
    assert.equal(controllerRefOf(pod('p', {})), undefined);
  });

  it('makes a blocking controller reference to the owner', () => {
    assert.deepEqual(ownRef, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name: 'web',
      uid: 'rs-uid',
      controller: true,
      blockOwnerDeletion: true,
    });
  });
});

describe('planClaims', () => {
  const selector = { matchLabels: { app: 'web' } };
  const deleting = { deletionTimestamp: '2024-01-01T00:00:00Z' };
  const cases: {
    name: string;
    candidate: KubeObject;
    owner?: KubeObject;
    selector?: typeof selector;
    want: 'owned' | 'adopt' | 'release' | 'none';
  }[] = [
    {
      name: 'ours and matching: owned',
      candidate: pod('a', { app: 'web' }, { ownerReferences: [ownRef] }),
      want: 'owned',
    },
    { name: 'orphan matching: adopt', candidate: pod('a', { app: 'web' }), want: 'adopt' },
    { name: 'orphan not matching: left alone', candidate: pod('a', { app: 'db' }), want: 'none' },
    {
      name: 'ours, no longer matching: release',
      candidate: pod('a', { app: 'db' }, { ownerReferences: [ownRef] }),
      want: 'release',
    },
    {
      name: "another controller's, matching: never touched",
      candidate: pod('a', { app: 'web' }, { ownerReferences: [otherRef] }),
      want: 'none',
    },
    {
      name: 'orphan with a non-controller owner, matching: adopt',
      candidate: pod('a', { app: 'web' }, { ownerReferences: [{ ...otherRef, controller: false }] }),
      want: 'adopt',
    },
    {
      name: 'orphan being deleted: not adopted',
      candidate: pod('a', { app: 'web' }, deleting),
      want: 'none',
    },
    {
      name: 'orphan in another namespace: not adopted',
      candidate: pod('a', { app: 'web' }, { namespace: 'other' }),
      want: 'none',
    },
    {
      name: 'owner being deleted: no adoption',
      candidate: pod('a', { app: 'web' }),
      owner: { ...owner, metadata: { ...owner.metadata, ...deleting } },
      want: 'none',
    },
    {
      name: 'owner being deleted: no release either',
      candidate: pod('a', { app: 'db' }, { ownerReferences: [ownRef] }),
      owner: { ...owner, metadata: { ...owner.metadata, ...deleting } },
      want: 'none',
    },
    {
      name: 'owner being deleted: what it owns and selects still counts as owned',
      candidate: pod('a', { app: 'web' }, { ownerReferences: [ownRef] }),
      owner: { ...owner, metadata: { ...owner.metadata, ...deleting } },
      want: 'owned',
    },
    {
      name: 'no selector: selects nothing, releases what it owns',
      candidate: pod('a', { app: 'web' }, { ownerReferences: [ownRef] }),
      selector: undefined,
      want: 'release',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planClaims(c.owner ?? owner, 'selector' in c ? c.selector : selector, [c.candidate]);
      const got =
        (['owned', 'adopt', 'release'] as const).find((k) => plan[k].includes(c.candidate)) ?? 'none';
      assert.equal(got, c.want);
      assert.equal(plan.owned.length + plan.adopt.length + plan.release.length, got === 'none' ? 0 : 1);
    });
  }
});

describe('claim (against an in-process API server)', () => {
  let api: TestApi;
  let client: Client;
  before(async () => {
    api = await startFakeApi(['default']);
    client = api.client;
  });
  after(() => api.close());

  const make = (name: string, labels: Record<string, string>, refs?: OwnerReference[]) =>
    client.create(PODS, 'default', {
      ...pod(name, labels, refs ? { ownerReferences: refs } : {}),
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
  const refsOf = async (name: string) =>
    (await client.get(PODS, 'default', name)).metadata.ownerReferences ?? [];

  it('adopts orphans and releases what no longer matches; returns what it controls', async () => {
    const owned = await make('owned', { app: 'web' }, [ownRef]);
    const orphan = await make('orphan', { app: 'web' }, [{ ...otherRef, controller: false }]);
    const stray = await make('stray', { app: 'db' }, [ownRef, { ...otherRef, controller: false }]);
    const plan = planClaims(owner, { matchLabels: { app: 'web' } }, [owned, orphan, stray]);
    const controlled = await claim(client, PODS, owner, plan);
    assert.deepEqual(controlled.map((p) => p.metadata.name).sort(), ['orphan', 'owned']);
    assert.deepEqual(
      (await refsOf('orphan')).map((r) => r.uid),
      ['other-uid', 'rs-uid'],
      'adopted, its other owner kept',
    );
    assert.deepEqual(
      (await refsOf('stray')).map((r) => r.uid),
      ['other-uid'],
      'released, its other owner kept',
    );
  });

  it('skips an orphan that is gone', async () => {
    const gone = pod('never-created', { app: 'web' }, { resourceVersion: '1' });
    const controlled = await claim(client, PODS, owner, { owned: [], adopt: [gone], release: [] });
    assert.deepEqual(controlled, []);
  });

  it('throws a conflict for an orphan that changed since the cache saw it, and does not adopt it', async () => {
    const stale = await make('changed', { app: 'web' });
    await client.patch(PODS, 'default', 'changed', 'merge', {
      metadata: { annotations: { touched: 'yes' } },
    });
    await assert.rejects(claim(client, PODS, owner, { owned: [], adopt: [stale], release: [] }), (err) =>
      hasCode(err, 409),
    );
    assert.deepEqual(await refsOf('changed'), []);
  });

  it('leaves a stale release for the next pass', async () => {
    const stale = await make('stale-release', { app: 'db' }, [ownRef]);
    await client.patch(PODS, 'default', 'stale-release', 'merge', {
      metadata: { annotations: { touched: 'yes' } },
    });
    const controlled = await claim(client, PODS, owner, { owned: [], adopt: [], release: [stale] });
    assert.deepEqual(controlled, []);
    assert.deepEqual(
      (await refsOf('stale-release')).map((r) => r.uid),
      ['rs-uid'],
    );
  });
});
