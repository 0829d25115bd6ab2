import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FieldSet, fieldElement as f, keyElement, pathString, valueElement } from './fieldset.js';

// managedFields of a Deployment as `kubectl apply --server-side` leaves them.
const KUBECTL_APPLY_FIELDS = {
  'f:metadata': { 'f:labels': { 'f:app': {} } },
  'f:spec': {
    'f:replicas': {},
    'f:selector': {},
    'f:template': {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:containers': {
          'k:{"name":"nginx"}': {
            '.': {},
            'f:image': {},
            'f:name': {},
            'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
          },
        },
      },
    },
  },
};

const nginx = keyElement({ name: 'nginx' });

describe('FieldSet', () => {
  test('FieldsV1 round trip', () => {
    const set = FieldSet.fromFieldsV1(KUBECTL_APPLY_FIELDS);
    assert.equal(set.has([f('spec'), f('replicas')]), true);
    assert.equal(set.has([f('spec')]), false, 'a struct holding owned fields is not itself owned');
    assert.equal(
      set.has([f('spec'), f('template'), f('spec'), f('containers'), nginx]),
      true,
      '"." marks the item',
    );
    assert.deepEqual(set.toFieldsV1(), KUBECTL_APPLY_FIELDS);
    assert.equal(JSON.stringify(set.toFieldsV1()), JSON.stringify(KUBECTL_APPLY_FIELDS), 'same key order');
  });

  test('keys are canonical whatever order they arrive in', () => {
    const set = FieldSet.fromFieldsV1({ 'k:{"protocol":"TCP", "containerPort":80}': {} });
    assert.deepEqual(Object.keys(set.toFieldsV1()), ['k:{"containerPort":80,"protocol":"TCP"}']);
    assert.equal(
      keyElement({ protocol: 'TCP', containerPort: 80 }),
      'k:{"containerPort":80,"protocol":"TCP"}',
    );
    assert.equal(valueElement('example.com/x'), 'v:"example.com/x"');
  });

  test('malformed FieldsV1 is rejected', () => {
    for (const bad of [[], { 'x:y': {} }, { 'k:{': {} }, { 'k:{}': {} }, { 'i:x': {} }, { 'f:a': 1 }]) {
      assert.throws(() => FieldSet.fromFieldsV1(bad), Error, JSON.stringify(bad));
    }
  });

  test('union, difference, intersection work member by member', () => {
    const a = FieldSet.of([f('a'), f('x')], [f('a'), f('y')], [f('b')]);
    const b = FieldSet.of([f('a'), f('y')], [f('c')]);
    assert.deepEqual([...a.union(b).paths()], [[f('a'), f('x')], [f('a'), f('y')], [f('b')], [f('c')]]);
    assert.deepEqual([...a.difference(b).paths()], [[f('a'), f('x')], [f('b')]]);
    assert.deepEqual([...a.intersection(b).paths()], [[f('a'), f('y')]]);
    assert.ok(a.difference(a).isEmpty());
    assert.ok(a.union(b).equals(b.union(a)));
    assert.deepEqual([...a.withoutSubtree([f('a')]).paths()], [[f('b')]]);
  });

  test('intersects says whether the intersection has a member, either way round', () => {
    const a = FieldSet.of([f('a'), f('x')], [f('a'), f('y')], [f('b')]);
    const sets = [
      FieldSet.of([f('a'), f('y')], [f('c')]),
      FieldSet.of([f('a')], [f('c')]),
      FieldSet.of([f('a'), f('z')], [f('b'), f('q')]),
      FieldSet.of([f('b')]),
      new FieldSet(),
    ];
    for (const b of sets) {
      const expected = !a.intersection(b).isEmpty();
      assert.equal(a.intersects(b), expected, [...b.paths()].join(' '));
      assert.equal(b.intersects(a), expected, [...b.paths()].join(' '));
    }
    assert.deepEqual(
      sets.map((b) => a.intersects(b)),
      [true, false, false, true, false],
    );
    assert.equal(a.intersects(undefined), false);
  });

  test('paths print as structured-merge-diff prints them', () => {
    assert.equal(pathString([f('spec'), f('replicas')]), '.spec.replicas');
    assert.equal(
      pathString([f('spec'), f('template'), f('spec'), f('containers'), nginx, f('image')]),
      '.spec.template.spec.containers[name="nginx"].image',
    );
    assert.equal(
      pathString([f('ports'), keyElement({ protocol: 'TCP', containerPort: 80 })]),
      '.ports[containerPort=80,protocol="TCP"]',
    );
    assert.equal(
      pathString([f('metadata'), f('finalizers'), valueElement('a')]),
      '.metadata.finalizers[="a"]',
    );
  });
});
