import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../../api/errors.js';
import { applyJsonPatch, MAX_COPY_BYTES, MAX_JSON_PATCH_OPERATIONS } from './json-patch.js';

type Obj = Record<string, unknown>;

const doc = (): Obj => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'cm', labels: { app: 'web' } },
  data: { a: '1', b: '2' },
  list: [1, 2, 3],
});

function fails(ops: unknown, code: number, message: string, cause?: string): void {
  const body = typeof ops === 'string' ? ops : JSON.stringify(ops);
  assert.throws(
    () => applyJsonPatch(doc(), body),
    (err: unknown) => {
      assert.ok(err instanceof ApiError, String(err));
      assert.equal(err.code, code);
      assert.equal(err.message, message);
      if (cause !== undefined) {
        assert.equal(err.status.reason, 'Invalid');
        assert.deepEqual(err.status.details?.causes, [
          { reason: 'UnexpectedServerResponse', message: cause },
        ]);
      }
      return true;
    },
  );
}

const REJECTED = 'the server rejected our request due to an error in our request';

describe('JSON patch: operations', () => {
  const cases: { name: string; ops: unknown[]; check: (out: Obj) => void }[] = [
    {
      name: 'add a label',
      ops: [{ op: 'add', path: '/metadata/labels/tier', value: 'front' }],
      check: (out) => assert.deepEqual((out.metadata as Obj).labels, { app: 'web', tier: 'front' }),
    },
    {
      name: 'add with an escaped key (kubectl patch for a/b labels)',
      ops: [{ op: 'add', path: '/metadata/labels/example.com~1team', value: 'x' }],
      check: (out) => assert.equal(((out.metadata as Obj).labels as Obj)['example.com/team'], 'x'),
    },
    {
      name: 'append to a list with -',
      ops: [{ op: 'add', path: '/list/-', value: 4 }],
      check: (out) => assert.deepEqual(out.list, [1, 2, 3, 4]),
    },
    {
      name: 'insert into a list by index',
      ops: [{ op: 'add', path: '/list/0', value: 0 }],
      check: (out) => assert.deepEqual(out.list, [0, 1, 2, 3]),
    },
    {
      name: 'remove',
      ops: [{ op: 'remove', path: '/data/a' }],
      check: (out) => assert.deepEqual(out.data, { b: '2' }),
    },
    {
      name: 'replace',
      ops: [{ op: 'replace', path: '/data/b', value: 'two' }],
      check: (out) => assert.deepEqual(out.data, { a: '1', b: 'two' }),
    },
    {
      name: 'move',
      ops: [{ op: 'move', from: '/data/a', path: '/data/c' }],
      check: (out) => assert.deepEqual(out.data, { b: '2', c: '1' }),
    },
    {
      name: 'copy',
      ops: [{ op: 'copy', from: '/data/a', path: '/data/c' }],
      check: (out) => assert.deepEqual(out.data, { a: '1', b: '2', c: '1' }),
    },
    {
      name: 'test then replace (optimistic update)',
      ops: [
        { op: 'test', path: '/data/a', value: '1' },
        { op: 'test', path: '/metadata/labels', value: { app: 'web' } },
        { op: 'replace', path: '/data/a', value: 'one' },
      ],
      check: (out) => assert.equal((out.data as Obj).a, 'one'),
    },
    {
      name: 'an empty patch changes nothing',
      ops: [],
      check: (out) => assert.deepEqual(out, doc()),
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const input = doc();
      c.check(applyJsonPatch(input, JSON.stringify(c.ops)));
      assert.deepEqual(input, doc(), 'the input is not modified');
    });
  }
});

describe('JSON patch: errors as Kubernetes reports them', () => {
  test('a failing test operation is 422 with the library message as cause', () => {
    fails(
      [{ op: 'test', path: '/data/a', value: 'nope' }],
      422,
      REJECTED,
      'testing value /data/a failed: test failed',
    );
  });
  test('replace of a missing key', () => {
    fails(
      [{ op: 'replace', path: '/data/zz', value: 1 }],
      422,
      REJECTED,
      'replace operation does not apply: doc is missing key: /data/zz: missing value',
    );
  });
  test('remove of a missing key, and under a missing parent', () => {
    fails(
      [{ op: 'remove', path: '/data/zz' }],
      422,
      REJECTED,
      "error in remove for path: '/data/zz': Unable to remove nonexistent key: zz: missing value",
    );
    fails(
      [{ op: 'remove', path: '/nothing/zz' }],
      422,
      REJECTED,
      'remove operation does not apply: doc is missing path: "/nothing/zz": missing value',
    );
  });
  test('add under a missing parent', () => {
    fails(
      [{ op: 'add', path: '/spec/replicas', value: 1 }],
      422,
      REJECTED,
      'add operation does not apply: doc is missing path: "/spec/replicas": missing value',
    );
  });
  test('add beyond the end of a list', () => {
    fails(
      [{ op: 'add', path: '/list/9', value: 1 }],
      422,
      REJECTED,
      "error in add for path: '/list/9': Unable to access invalid index: 9: invalid index referenced",
    );
  });
  test('move from a missing path', () => {
    fails(
      [{ op: 'move', from: '/data/zz', path: '/data/c' }],
      422,
      REJECTED,
      'move operation does not apply: doc is missing from path: /data/zz: missing value',
    );
  });
  test('an unknown op, a missing value, the whole document as target', () => {
    fails([{ op: 'frob', path: '/data' }], 422, REJECTED, 'Unexpected kind: frob');
    fails(
      [{ op: 'add', path: '/data/c' }],
      422,
      REJECTED,
      'add operation missing value field: missing value',
    );
    fails([{ op: 'replace', path: '', value: [] }], 422, REJECTED);
  });
  test('later operations do not run after a failure, and nothing is half applied', () => {
    const input = doc();
    assert.throws(() =>
      applyJsonPatch(
        input,
        JSON.stringify([
          { op: 'replace', path: '/data/a', value: 'changed' },
          { op: 'test', path: '/data/b', value: 'nope' },
        ]),
      ),
    );
    assert.deepEqual(input, doc());
  });
  test('__proto__ cannot be reached', () => {
    assert.throws(
      () => applyJsonPatch(doc(), JSON.stringify([{ op: 'add', path: '/__proto__/polluted', value: 1 }])),
      ApiError,
    );
    assert.equal(({} as Obj).polluted, undefined);
  });
  test('bodies that are not a list of operations are 400', () => {
    fails('{"op":"add"}', 400, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    fails('[1]', 400, 'json: cannot unmarshal number into Go value of type jsonpatch.Operation');
    assert.throws(
      () => applyJsonPatch(doc(), '[{"op":'),
      (err: unknown) =>
        err instanceof ApiError && err.code === 400 && /^error decoding patch: /.test(err.message),
    );
  });
  test(`more than ${MAX_JSON_PATCH_OPERATIONS} operations is 413`, () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({
      op: 'test',
      path: '/data/a',
      value: '1',
    }));
    fails(
      ops,
      413,
      `The allowed maximum operations in a JSON patch is 10000, got ${MAX_JSON_PATCH_OPERATIONS + 1}`,
    );
  });
  test('copies cannot grow the object without bound', () => {
    const ops: unknown[] = [{ op: 'add', path: '/blob', value: 'x'.repeat(1024 * 1024) }];
    for (let i = 0; i < 8; i++) ops.push({ op: 'copy', from: '/blob', path: `/copy${i}` });
    assert.throws(
      () => applyJsonPatch(doc(), JSON.stringify(ops)),
      (err: unknown) =>
        err instanceof ApiError &&
        err.code === 422 &&
        (err.status.details?.causes?.[0]?.message ?? '').includes(`limit ${MAX_COPY_BYTES} bytes`),
    );
  });
});
