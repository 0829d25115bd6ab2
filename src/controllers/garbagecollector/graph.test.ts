import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OwnerReference } from '../../api/object.js';
import { DependencyGraph, type ObjectIdentity, type ObservedMeta } from './graph.js';

function cm(name: string, namespace = 'ns'): ObjectIdentity {
  return { apiVersion: 'v1', kind: 'ConfigMap', namespace, name, uid: `uid-${name}` };
}

function ref(owner: ObjectIdentity, extra: Partial<OwnerReference> = {}): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid, ...extra };
}

const DELETING = '2024-01-01T00:00:00Z';

describe('DependencyGraph', () => {
  it('links a dependent to an owner it has seen, and asks for nothing', () => {
    const g = new DependencyGraph();
    const owner = cm('owner');
    assert.deepEqual(g.observe(owner, {}), []);
    assert.deepEqual(g.observe(cm('dep'), { ownerReferences: [ref(owner)] }), []);
    assert.deepEqual(g.dependents(owner.uid), ['uid-dep']);
    assert.equal(g.ownersLookSolid('uid-dep'), true);
  });

  it('a dependent seen before its owner makes a virtual owner and is looked at', () => {
    const g = new DependencyGraph();
    const owner = cm('owner');
    assert.deepEqual(g.observe(cm('dep'), { ownerReferences: [ref(owner)] }), ['uid-dep']);
    assert.equal(g.get(owner.uid)?.observed, false);
    assert.equal(g.ownersLookSolid('uid-dep'), false);
    // The owner shows up under the coordinates the reference gave: nothing more to do.
    assert.deepEqual(g.observe(owner, {}), []);
    assert.equal(g.get(owner.uid)?.observed, true);
    assert.equal(g.ownersLookSolid('uid-dep'), true);
  });

  it('an owner observed under other coordinates than the reference sends its dependent back', () => {
    for (const [what, observed] of [
      ['another name', { ...cm('other'), uid: 'uid-owner' }],
      ['another kind', { ...cm('owner'), kind: 'Secret' }],
      ['another namespace', cm('owner', 'elsewhere')],
    ] as const) {
      const g = new DependencyGraph();
      g.observe(cm('dep'), { ownerReferences: [ref(cm('owner'))] });
      assert.deepEqual(g.observe(observed, {}), ['uid-dep'], what);
      assert.equal(g.ownersLookSolid('uid-dep'), false, what);
    }
  });

  it('a cluster-scoped owner matches dependents in any namespace', () => {
    const g = new DependencyGraph();
    const node: ObjectIdentity = { apiVersion: 'v1', kind: 'Node', namespace: '', name: 'n1', uid: 'uid-n1' };
    g.observe(node, {});
    g.observe(cm('lease', 'kube-node-lease'), { ownerReferences: [ref(node)] });
    assert.equal(g.ownersLookSolid('uid-lease'), true);
  });

  it('forgetting an owner returns its dependents; the last dependent of a virtual owner removes it', () => {
    const g = new DependencyGraph();
    const owner = cm('owner');
    g.observe(owner, {});
    g.observe(cm('a'), { ownerReferences: [ref(owner)] });
    g.observe(cm('b'), { ownerReferences: [ref(owner)] });
    assert.deepEqual(g.forget(owner.uid).sort(), ['uid-a', 'uid-b']);
    assert.equal(g.get(owner.uid), undefined);
    assert.equal(g.ownersLookSolid('uid-a'), false);
    // A later dependent of the gone uid makes a virtual node again; it goes with its dependents.
    assert.deepEqual(g.observe(cm('c'), { ownerReferences: [ref(owner)] }), ['uid-c']);
    assert.deepEqual(g.forget('uid-c'), []);
    assert.equal(g.get(owner.uid), undefined);
    assert.deepEqual(g.forget('uid-a'), []);
    assert.deepEqual(g.forget('uid-unknown'), []);
  });

  it('an owner deleting its dependents is looked at when it starts, and when a dependent goes', () => {
    const g = new DependencyGraph();
    const owner = cm('owner');
    g.observe(owner, {});
    g.observe(cm('dep'), { ownerReferences: [ref(owner, { blockOwnerDeletion: true })] });
    assert.deepEqual(g.observe(owner, { deletionTimestamp: DELETING, finalizers: ['foregroundDeletion'] }), [
      owner.uid,
    ]);
    assert.equal(g.get(owner.uid)?.deletingDependents, true);
    assert.equal(g.ownersLookSolid('uid-dep'), false);
    assert.deepEqual(g.blockingDependents(owner.uid), ['uid-dep']);
    assert.deepEqual(g.forget('uid-dep'), [owner.uid]);
    assert.deepEqual(g.blockingDependents(owner.uid), []);
  });

  it('a dependent that appears while its owner deletes its dependents is looked at', () => {
    const g = new DependencyGraph();
    const owner = cm('owner');
    g.observe(owner, { deletionTimestamp: DELETING, finalizers: ['foregroundDeletion'] });
    assert.deepEqual(g.observe(cm('late'), { ownerReferences: [ref(owner)] }), ['uid-late']);
  });

  it('an owner being orphaned is looked at; plain deletion is not', () => {
    const g = new DependencyGraph();
    const owner = cm('owner');
    assert.deepEqual(g.observe(owner, { deletionTimestamp: DELETING, finalizers: ['orphan'] }), [owner.uid]);
    assert.equal(g.get(owner.uid)?.orphaning, true);
    assert.deepEqual(
      g.observe(cm('other'), { deletionTimestamp: DELETING, finalizers: ['example.com/x'] }),
      [],
    );
    assert.equal(g.get('uid-other')?.beingDeleted, true);
  });

  it('dropping or unblocking a blocking reference sends the owner back; other changes do not', () => {
    const g = new DependencyGraph();
    const a = cm('a');
    const b = cm('b');
    g.observe(a, {});
    g.observe(b, {});
    const dep = cm('dep');
    const blocking = (o: ObjectIdentity) => ref(o, { blockOwnerDeletion: true });
    const cases: [string, ObservedMeta, string[]][] = [
      ['both blocking', { ownerReferences: [blocking(a), blocking(b)] }, []],
      ['a unblocked', { ownerReferences: [ref(a), blocking(b)] }, [a.uid]],
      ['b removed', { ownerReferences: [ref(a)] }, [b.uid]],
      ['b added back, not blocking', { ownerReferences: [ref(a), ref(b)] }, []],
      ['b removed, not blocking', { ownerReferences: [ref(a)] }, []],
      ['a renamed in the reference', { ownerReferences: [{ ...ref(a), name: 'zzz' }] }, [dep.uid]],
    ];
    for (const [what, meta, want] of cases) {
      assert.deepEqual(g.observe(dep, meta), want, what);
    }
    assert.deepEqual(g.dependents(b.uid), []);
    assert.deepEqual(g.dependents(a.uid), [dep.uid]);
  });

  it('a chain: each level is the dependent of the one above', () => {
    const g = new DependencyGraph();
    const top = cm('top');
    const mid = cm('mid');
    g.observe(top, {});
    g.observe(mid, { ownerReferences: [ref(top)] });
    g.observe(cm('leaf'), { ownerReferences: [ref(mid)] });
    assert.deepEqual(g.forget(top.uid), [mid.uid]);
    assert.deepEqual(g.forget(mid.uid), ['uid-leaf']);
    assert.equal(g.size, 1);
  });
});
