import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FieldSet, fieldElement as f, keyElement } from './fieldset.js';
import { S } from './test-schemas.js';
import { compareTyped, InvalidConfigError, mergeTyped, removeItems, toFieldSet } from './typed.js';

const item = S.obj({ name: S.str(), value: S.str(), nested: S.obj({ a: S.str(), b: S.str() }) });
const schema = S.obj({
  scalar: S.str(),
  struct: S.obj({ a: S.str(), b: S.str() }),
  atomicStruct: S.obj({ a: S.str() }, { mapType: 'atomic' }),
  labels: S.map(S.str()),
  items: S.keyedList(item, 'name'),
  tags: S.setList(),
  args: S.list(S.str()),
});

const paths = (set: FieldSet) => [...set.paths()].map((p) => p.join('.'));
const names = (list: unknown) => (list as { name: string }[]).map((i) => i.name);

describe('typed values', () => {
  test('toFieldSet: leaves, list items, and maps that are null, empty or free-form', () => {
    const set = toFieldSet(
      {
        scalar: 'x',
        struct: {},
        atomicStruct: { a: '1' },
        labels: { app: 'web' },
        items: [{ name: 'a', nested: { a: '1' } }],
        tags: ['t'],
        args: ['--x'],
        undeclared: { deep: 1 },
        nothing: null,
      },
      schema,
    );
    assert.deepEqual(paths(set), [
      'f:args',
      'f:atomicStruct',
      'f:items.k:{"name":"a"}',
      'f:items.k:{"name":"a"}.f:name',
      'f:items.k:{"name":"a"}.f:nested.f:a',
      'f:labels.f:app',
      'f:nothing',
      'f:scalar',
      'f:struct',
      'f:tags.v:"t"',
      'f:undeclared',
      'f:undeclared.f:deep',
    ]);
  });

  test('toFieldSet rejects duplicate and key-less items of an applied configuration', () => {
    assert.throws(() => toFieldSet({ items: [{ name: 'a' }, { name: 'a' }] }, schema), InvalidConfigError);
    assert.throws(() => toFieldSet({ items: [{ value: 'v' }] }, schema), InvalidConfigError);
    assert.throws(() => toFieldSet({ tags: ['a', 'a'] }, schema), InvalidConfigError);
    assert.deepEqual(paths(toFieldSet({ items: [{ name: 'a' }, { name: 'a' }] }, schema, false)), [
      'f:items',
    ]);
  });

  test('merge: keyed lists keep live-only items in place and take the configuration order', () => {
    const cases: [string[], string[], string[]][] = [
      [
        ['a', 'b', 'c'],
        ['c', 'd'],
        ['a', 'b', 'c', 'd'],
      ],
      [
        ['a', 'b'],
        ['b', 'a'],
        ['b', 'a'],
      ],
      [
        ['x', 'a'],
        ['new', 'a'],
        ['x', 'new', 'a'],
      ],
      [[], ['a'], ['a']],
    ];
    for (const [live, config, expected] of cases) {
      const out = mergeTyped(
        { items: live.map((name) => ({ name, value: `live-${name}` })) },
        { items: config.map((name) => ({ name })) },
        schema,
      ) as { items: unknown };
      assert.deepEqual(names(out.items), expected, `${live} + ${config}`);
    }
  });

  test('merge: fields merge, null deletes, atomic values and plain lists are replaced', () => {
    const out = mergeTyped(
      {
        struct: { a: '1', b: '2' },
        atomicStruct: { a: '1' },
        args: ['a'],
        items: [{ name: 'x', value: 'v', nested: { a: '1' } }],
      },
      { struct: { b: null }, atomicStruct: {}, args: ['b'], items: [{ name: 'x', nested: { b: '2' } }] },
      schema,
    );
    assert.deepEqual(out, {
      struct: { a: '1' },
      atomicStruct: {},
      args: ['b'],
      items: [{ name: 'x', value: 'v', nested: { a: '1', b: '2' } }],
    });
  });

  test('compare: added, modified and removed paths', () => {
    const diff = compareTyped(
      {
        scalar: 'x',
        labels: { a: '1', gone: 'x' },
        items: [{ name: 'a', value: '1' }, { name: 'b' }],
        tags: ['t'],
      },
      {
        scalar: 'y',
        labels: { a: '1', added: 'x' },
        items: [{ name: 'a', value: '2' }, { name: 'c' }],
        tags: ['t', 'u'],
        struct: { a: '1' },
      },
      schema,
    );
    assert.deepEqual(paths(diff.modified), ['f:items.k:{"name":"a"}.f:value', 'f:scalar']);
    assert.deepEqual(paths(diff.added), [
      'f:items.k:{"name":"c"}',
      'f:items.k:{"name":"c"}.f:name',
      'f:labels.f:added',
      'f:struct.f:a',
      'f:tags.v:"u"',
    ]);
    assert.deepEqual(paths(diff.removed), [
      'f:items.k:{"name":"b"}',
      'f:items.k:{"name":"b"}.f:name',
      'f:labels.f:gone',
    ]);
  });

  test('remove: members go with their subtrees; emptied maps go; structs stay', () => {
    const value = {
      labels: { a: '1' },
      struct: { a: '1' },
      items: [{ name: 'x', value: 'v' }, { name: 'y' }],
    };
    const out = removeItems(
      value,
      schema,
      FieldSet.of([f('labels'), f('a')], [f('struct'), f('a')], [f('items'), keyElement({ name: 'x' })]),
    );
    assert.deepEqual(out, { struct: {}, items: [{ name: 'y' }] });
    assert.deepEqual(value.items.length, 2, 'the input is not modified');
  });

  test('remove: a struct someone else still owns parts of is kept', () => {
    const out = removeItems(
      { struct: { a: '1', b: '2' } },
      schema,
      FieldSet.of([f('struct')], [f('struct'), f('a')]),
      FieldSet.of([f('struct'), f('b')]),
    );
    assert.deepEqual(out, { struct: { b: '2' } });
  });
});
