import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { applyPatch, type PatchContext, type PatchType, patchTypeFromContentType } from './index.js';
import { clock, configMapSchema } from './test-schemas.js';

const cm = (): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'cm', namespace: 'default', uid: 'u' },
  data: { a: '1' },
});

const ctx = (extra: Partial<PatchContext> = {}): PatchContext => ({
  schema: configMapSchema,
  fieldManager: 'tester',
  now: clock(),
  apiVersion: 'v1',
  ...extra,
});

function rejects(fn: () => unknown, code: number, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.code, code);
    assert.equal(err.message, message);
    return true;
  });
}

describe('patch dispatch', () => {
  test('content types', () => {
    const cases: [string, PatchType | undefined][] = [
      ['application/json-patch+json', 'json'],
      ['application/merge-patch+json', 'merge'],
      ['application/strategic-merge-patch+json', 'strategic'],
      ['application/apply-patch+yaml', 'apply'],
      ['application/apply-patch+yaml; charset=utf-8', 'apply'],
      ['Application/Merge-Patch+JSON', 'merge'],
      ['application/json', undefined],
      ['application/apply-patch+cbor', undefined],
      ['', undefined],
    ];
    for (const [ct, type] of cases) assert.equal(patchTypeFromContentType(ct), type, ct);
  });

  test('each type patches the stored object without touching it', () => {
    const bodies: Record<PatchType, string> = {
      json: '[{"op":"replace","path":"/data/a","value":"2"}]',
      merge: '{"data":{"a":"2"}}',
      strategic: '{"data":{"a":"2"}}',
      apply: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: "2"\n',
    };
    for (const [type, body] of Object.entries(bodies) as [PatchType, string][]) {
      const current = cm();
      // The stored object has no managedFields, so apply needs force to take it from before-first-apply.
      const out = applyPatch(type, current, body, ctx(type === 'apply' ? { force: true } : {}));
      assert.deepEqual(out.data, { a: '2' }, type);
      assert.deepEqual(current, cm(), `${type}: input unchanged`);
    }
  });

  test('only apply may create', () => {
    for (const type of ['json', 'merge', 'strategic'] as const) {
      rejects(
        () => applyPatch(type, undefined, '{}', ctx({ target: { resource: 'configmaps', name: 'cm' } })),
        404,
        'configmaps "cm" not found',
      );
    }
    const created = applyPatch(
      'apply',
      undefined,
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"}}',
      ctx(),
    );
    assert.equal(created.metadata.name, 'cm');
  });

  test('patch options are validated as Kubernetes does', () => {
    rejects(
      () => applyPatch('merge', cm(), '{}', ctx({ force: true })),
      422,
      'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    );
    rejects(
      () => applyPatch('merge', cm(), '{}', ctx({ fieldManager: 'x'.repeat(129) })),
      422,
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes',
    );
    rejects(
      () => applyPatch('merge', cm(), '{}', ctx({ fieldManager: 'a\u0007b' })),
      422,
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "a\\u0007b": invalid character U+0007 (at position 1)',
    );
  });
});
