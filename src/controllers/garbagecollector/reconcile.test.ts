import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject, OwnerReference } from '../../api/object.js';
import { DependencyGraph } from './graph.js';
import {
  type ClassifiedRef,
  classifyOwner,
  type DependentFacts,
  type DependentPlan,
  planDependent,
  planForeground,
  unblocked,
  withoutOwners,
} from './reconcile.js';
import { invalidNamespaceMessage, resolveOwner } from './refs.js';

const ref = (uid: string, extra: Partial<OwnerReference> = {}): OwnerReference => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  name: uid,
  uid,
  ...extra,
});

const owner = (uid: string, meta: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: uid, namespace: 'ns', uid, ...meta },
});

describe('classifyOwner', () => {
  const cases: [string, KubeObject | undefined, string][] = [
    ['not found', undefined, 'dangling'],
    ['another object under that name', owner('other'), 'dangling'],
    ['present', owner('o'), 'solid'],
    ['deleted in the background', owner('o', { deletionTimestamp: 'x', finalizers: ['orphan'] }), 'solid'],
    [
      'deleted in the foreground',
      owner('o', { deletionTimestamp: 'x', finalizers: ['foregroundDeletion'] }),
      'waiting',
    ],
    ['foreground finalizer, not being deleted', owner('o', { finalizers: ['foregroundDeletion'] }), 'solid'],
  ];
  for (const [what, live, want] of cases) {
    it(what, () => assert.equal(classifyOwner(ref('o'), live), want));
  }
});

describe('planDependent', () => {
  const c = (uid: string, state: ClassifiedRef['state']): ClassifiedRef => ({ ref: ref(uid), state });
  const facts = (owners: ClassifiedRef[], more: Partial<DependentFacts> = {}): DependentFacts => ({
    finalizers: [],
    owners,
    hasDependents: false,
    dependentDeletingDependents: false,
    ...more,
  });
  const cases: [string, DependentFacts, DependentPlan][] = [
    ['no owners', facts([]), { action: 'keep' }],
    ['a solid owner', facts([c('a', 'solid')]), { action: 'keep' }],
    [
      'a solid owner and gone ones: drop the references to the gone',
      facts([c('a', 'solid'), c('b', 'dangling'), c('w', 'waiting')]),
      { action: 'removeOwnerReferences', uids: ['b', 'w'] },
    ],
    [
      'every owner gone: background',
      facts([c('a', 'dangling'), c('b', 'dangling')]),
      { action: 'delete', policy: 'Background', unblockFirst: false },
    ],
    [
      'owner waiting, no dependents of its own: background',
      facts([c('w', 'waiting')]),
      { action: 'delete', policy: 'Background', unblockFirst: false },
    ],
    [
      'owner waiting, with dependents: foreground, so the owner waits for the subtree',
      facts([c('w', 'waiting')], { hasDependents: true }),
      { action: 'delete', policy: 'Foreground', unblockFirst: false },
    ],
    [
      'owner waiting, a dependent deleting its own: unblock first (cycle)',
      facts([c('w', 'waiting')], { hasDependents: true, dependentDeletingDependents: true }),
      { action: 'delete', policy: 'Foreground', unblockFirst: true },
    ],
    [
      'gone owner, own orphan finalizer honoured',
      facts([c('a', 'dangling')], { finalizers: ['orphan'] }),
      { action: 'delete', policy: 'Orphan', unblockFirst: false },
    ],
    [
      'gone owner, own foreground finalizer honoured',
      facts([c('a', 'dangling')], { finalizers: ['foregroundDeletion'] }),
      { action: 'delete', policy: 'Foreground', unblockFirst: false },
    ],
  ];
  for (const [what, f, want] of cases) {
    it(what, () => assert.deepEqual(planDependent(f), want));
  }
});

describe('planForeground', () => {
  it('waits for blocking dependents, deleting all that are not already deleting theirs', () => {
    const g = new DependencyGraph();
    const id = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name, uid: name });
    g.observe(id('o'), { deletionTimestamp: 'x', finalizers: ['foregroundDeletion'] });
    g.observe(id('loose'), { ownerReferences: [ref('o')] });
    assert.deepEqual(planForeground(g, 'o'), { action: 'finalize' }, 'no dependent blocks');
    g.observe(id('blocker'), { ownerReferences: [ref('o', { blockOwnerDeletion: true })] });
    g.observe(id('busy'), {
      ownerReferences: [ref('o', { blockOwnerDeletion: true })],
      deletionTimestamp: 'x',
      finalizers: ['foregroundDeletion'],
    });
    const plan = planForeground(g, 'o');
    assert.equal(plan.action, 'wait');
    assert.deepEqual(plan.action === 'wait' && plan.attempt.sort(), ['blocker', 'loose']);
  });
});

describe('owner reference edits', () => {
  it('withoutOwners drops by uid; unblocked clears blockOwnerDeletion only where set', () => {
    const refs = [ref('a', { blockOwnerDeletion: true }), ref('b'), ref('c', { blockOwnerDeletion: false })];
    assert.deepEqual(
      withoutOwners(refs, ['a', 'c']).map((r) => r.uid),
      ['b'],
    );
    assert.deepEqual(
      unblocked(refs).map((r) => r.blockOwnerDeletion),
      [false, undefined, false],
    );
  });
});

describe('resolveOwner', () => {
  it('looks a namespaced owner up in the dependent namespace, a cluster-scoped one without', () => {
    const cmOwner = resolveOwner(ref('o'), 'ns');
    assert.ok('def' in cmOwner);
    assert.equal(cmOwner.def.resource, 'configmaps');
    assert.equal(cmOwner.namespace, 'ns');
    const node = resolveOwner(ref('n', { kind: 'Node' }), 'ns');
    assert.ok('def' in node);
    assert.equal(node.namespace, undefined);
  });

  it('matches the kind by group whatever the version', () => {
    const rs = resolveOwner(ref('r', { apiVersion: 'apps/v1beta2', kind: 'ReplicaSet' }), 'ns');
    assert.ok('def' in rs && rs.def.resource === 'replicasets');
  });

  it('refuses unknown kinds and namespaced owners of cluster-scoped objects, saying which', () => {
    const unknown = resolveOwner(ref('x', { apiVersion: 'example.com/v1', kind: 'Widget' }), 'ns');
    assert.deepEqual(unknown, {
      invalid: 'unknown-kind',
      message: 'owner reference to example.com/v1/Widget "x": no such kind is served',
    });
    const invalid = resolveOwner(ref('o'), '');
    assert.deepEqual(invalid, {
      invalid: 'namespaced-owner-of-cluster-scoped',
      message: 'ownerRef [v1/ConfigMap, namespace: , name: o, uid: o] does not exist in namespace ""',
    });
    assert.equal(
      invalidNamespaceMessage(ref('o'), 'b'),
      'ownerRef [v1/ConfigMap, namespace: b, name: o, uid: o] does not exist in namespace "b"',
    );
  });
});
