/**
 * The garbage collector against the real API server in-process (real storage: finalizers,
 * propagation policies, preconditions), fed by real shared informers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hasCode } from '../../api/errors.js';
import type { KubeObject, OwnerReference } from '../../api/object.js';
import { lookupResource } from '../../api/resources.js';
import type { Client } from '../../client/rest.js';
import { type RecordedEvent, startFakeApi, type TestApi, testContext, until } from '../framework/testing.js';
import { GarbageCollector } from './controller.js';

const CM = lookupResource('', 'v1', 'configmaps')!;
const PC = lookupResource('scheduling.k8s.io', 'v1', 'priorityclasses')!;

function refTo(owner: KubeObject, extra: Partial<OwnerReference> = {}): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    ...extra,
  };
}

describe('garbage collector', () => {
  let api: TestApi;
  let client: Client;
  const events: RecordedEvent[] = [];

  const get = async (name: string, ns = 'gc'): Promise<KubeObject | undefined> => {
    try {
      return await client.get(CM, ns, name);
    } catch (err) {
      if (hasCode(err, 404)) return undefined;
      throw err;
    }
  };
  const cm = (
    name: string,
    owners: OwnerReference[] = [],
    more: Partial<KubeObject['metadata']> = {},
    ns = 'gc',
  ) =>
    client.create<KubeObject>(CM, ns, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, ...(owners.length ? { ownerReferences: owners } : {}), ...more },
    });
  const gone = (name: string, ns = 'gc') =>
    until(`${ns}/${name} to be gone`, async () => ((await get(name, ns)) ? undefined : true));

  before(async () => {
    api = await startFakeApi(['gc', 'other']);
    client = api.client;
    const ctx = testContext(client, events);
    await api.runController(ctx, new GarbageCollector(ctx));
  });

  after(() => api.close());

  it('background: deleting the owner deletes its dependents, down a chain of three', async () => {
    const top = await cm('top');
    const mid = await cm('mid', [refTo(top)]);
    await cm('leaf', [refTo(mid)]);
    await client.delete(CM, 'gc', 'top', { propagationPolicy: 'Background' });
    await gone('mid');
    await gone('leaf');
  });

  it('a dependent keeps living while one owner remains, without the reference to the gone one', async () => {
    const a = await cm('owner-a');
    const b = await cm('owner-b');
    await cm('shared', [refTo(a), refTo(b)]);
    await client.delete(CM, 'gc', 'owner-a');
    const refs = await until('the reference to owner-a to be dropped', async () => {
      const obj = await get('shared');
      const r = obj?.metadata.ownerReferences ?? [];
      return r.length === 1 ? r : undefined;
    });
    assert.equal(refs[0]!.uid, b.metadata.uid);
  });

  it('foreground: the owner stays, with its finalizer, until its blocking dependents are gone', async () => {
    const owner = await cm('fg-owner');
    // The dependent holds on with a finalizer of its own, so "owner waits" can be seen.
    await cm('fg-dep', [refTo(owner, { blockOwnerDeletion: true })], { finalizers: ['test.shoal.dev/hold'] });
    await cm('fg-loose', [refTo(owner)]);
    await client.delete(CM, 'gc', 'fg-owner', { propagationPolicy: 'Foreground' });
    await until('the blocking dependent to be deleted', async () =>
      (await get('fg-dep'))?.metadata.deletionTimestamp ? true : undefined,
    );
    await gone('fg-loose');
    const waiting = await get('fg-owner');
    assert.ok(waiting?.metadata.deletionTimestamp, 'the owner is still there, being deleted');
    assert.deepEqual(waiting.metadata.finalizers, ['foregroundDeletion']);
    await client.patch(CM, 'gc', 'fg-dep', 'merge', { metadata: { finalizers: null } });
    await gone('fg-dep');
    await gone('fg-owner');
  });

  it('foreground down a chain: the middle object is deleted in the foreground too', async () => {
    const top = await cm('fgc-top');
    const mid = await cm('fgc-mid', [refTo(top, { blockOwnerDeletion: true })]);
    await cm('fgc-leaf', [refTo(mid, { blockOwnerDeletion: true })], { finalizers: ['test.shoal.dev/hold'] });
    await client.delete(CM, 'gc', 'fgc-top', { propagationPolicy: 'Foreground' });
    const midWaiting = await until('the middle to wait for its dependent', async () => {
      const m = await get('fgc-mid');
      return m?.metadata.finalizers?.includes('foregroundDeletion') ? m : undefined;
    });
    assert.ok(midWaiting.metadata.deletionTimestamp);
    assert.ok(await get('fgc-top'), 'the top waits for the middle');
    await client.patch(CM, 'gc', 'fgc-leaf', 'merge', { metadata: { finalizers: null } });
    await gone('fgc-leaf');
    await gone('fgc-mid');
    await gone('fgc-top');
  });

  it('orphan: the owner goes, its dependents stay without the reference', async () => {
    const owner = await cm('or-owner');
    const other = await cm('or-other');
    await cm('or-a', [refTo(owner, { blockOwnerDeletion: true, controller: true })]);
    await cm('or-b', [refTo(owner), refTo(other)]);
    await client.delete(CM, 'gc', 'or-owner', { propagationPolicy: 'Orphan' });
    await gone('or-owner');
    const a = await get('or-a');
    assert.equal(a?.metadata.ownerReferences, undefined);
    const b = await get('or-b');
    assert.deepEqual(
      b?.metadata.ownerReferences?.map((r) => r.uid),
      [other.metadata.uid],
    );
  });

  it('a reference naming an existing uid under another name is dangling', async () => {
    const real = await cm('real-owner');
    await cm('misnamed', [{ ...refTo(real), name: 'no-such-owner' }]);
    await gone('misnamed');
    assert.ok(await get('real-owner'));
  });

  it('a namespaced owner in another namespace does not exist for the dependent, and an event says so', async () => {
    const foreign = await cm('foreign-owner', [], {}, 'other');
    await cm('foreign-owner', [], {}, 'gc'); // same name, another uid, in the dependent's namespace
    await cm('cross', [refTo(foreign)]);
    await gone('cross');
    assert.ok(await get('foreign-owner', 'other'));
    assert.ok(
      events.some((e) => e.name === 'cross' && e.reason === 'OwnerRefInvalidNamespace'),
      JSON.stringify(events),
    );
  });

  it('a cluster-scoped object owned by a namespaced one is never collected; an event says why', async () => {
    const owner = await cm('pc-owner');
    await client.create(PC, undefined, {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: 'gc-test-pc', ownerReferences: [refTo(owner)] },
      value: 10,
    });
    await client.delete(CM, 'gc', 'pc-owner');
    await until('the OwnerRefInvalidNamespace event', async () =>
      events.some((e) => e.name === 'gc-test-pc' && e.reason === 'OwnerRefInvalidNamespace')
        ? true
        : undefined,
    );
    assert.ok(await client.get(PC, undefined, 'gc-test-pc'));
  });
});

describe('garbage collector decisions read the API server, not the cache', () => {
  let api: TestApi;
  let client: Client;

  before(async () => {
    api = await startFakeApi(['gc']);
    client = api.client;
  });

  after(() => api.close());

  it('an owner the graph has never seen but the server has keeps its dependent; once really gone, it does not', async () => {
    // No informers run: the graph knows only what the test tells it.
    const gc = new GarbageCollector(testContext(client));
    const owner = await client.create<KubeObject>(CM, 'gc', { metadata: { name: 'owner' } });
    const dep = await client.create<KubeObject>(CM, 'gc', {
      metadata: { name: 'dep', ownerReferences: [refTo({ ...owner, apiVersion: 'v1', kind: 'ConfigMap' })] },
    });
    const identity = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'gc',
      name: 'dep',
      uid: dep.metadata.uid!,
    };
    assert.deepEqual(gc.graph.observe(identity, dep.metadata), [dep.metadata.uid]);
    await gc.reconcile(dep.metadata.uid!);
    assert.ok(await client.get(CM, 'gc', 'dep'), 'the owner exists: the dependent stays');
    await client.delete(CM, 'gc', 'owner');
    await gc.reconcile(dep.metadata.uid!);
    await assert.rejects(client.get(CM, 'gc', 'dep'), (err) => hasCode(err, 404));
  });
});
