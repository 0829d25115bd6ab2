import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../../api/errors.js';
import { applyMergePatch, mergePatchValue } from './merge-patch.js';

type Obj = Record<string, unknown>;

describe('JSON merge patch (RFC 7386)', () => {
  // The examples of RFC 7386 appendix A.
  const rfc: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [i, [target, patch, expected]] of rfc.entries()) {
    test(`RFC 7386 example ${i + 1}`, () => assert.deepEqual(mergePatchValue(target, patch), expected));
  }

  const labelled = (): Obj => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', labels: { app: 'web', tier: 'front' }, annotations: { a: '1' } },
    spec: { containers: [{ name: 'c', image: 'x' }] },
  });

  test('kubectl label / annotate', () => {
    const input = labelled();
    const out = applyMergePatch(input, JSON.stringify({ metadata: { labels: { env: 'prod', tier: null } } }));
    assert.deepEqual((out.metadata as Obj).labels, { app: 'web', env: 'prod' });
    const annotated = applyMergePatch(out, '{"metadata":{"annotations":{"b":"2"}}}');
    assert.deepEqual((annotated.metadata as Obj).annotations, { a: '1', b: '2' });
    assert.deepEqual(input, labelled(), 'the input is not modified');
  });

  test('kubectl scale sends {"spec":{"replicas":N}}', () => {
    const out = applyMergePatch({ spec: { replicas: 1, selector: {} } }, '{"spec":{"replicas":3}}');
    assert.deepEqual(out, { spec: { replicas: 3, selector: {} } });
  });

  test('lists are replaced whole', () => {
    const out = applyMergePatch(labelled(), '{"spec":{"containers":[{"name":"d"}]}}');
    assert.deepEqual((out.spec as Obj).containers, [{ name: 'd' }]);
  });

  test('a body that is not an object is a 400', () => {
    for (const body of ['[1]', '"x"', 'null', '{']) {
      assert.throws(
        () => applyMergePatch(labelled(), body),
        (err: unknown) => err instanceof ApiError && err.code === 400,
        body,
      );
    }
  });

  test('__proto__ is an ordinary key', () => {
    const out = applyMergePatch({ data: {} }, '{"data":{"__proto__":{"polluted":true}}}');
    assert.equal(({} as Obj).polluted, undefined);
    assert.deepEqual(Object.keys(out.data as Obj), ['__proto__']);
  });
});
