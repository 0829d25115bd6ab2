import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { applyPatch, type PatchContext, updateManagedFields } from './index.js';
import { clock, deploymentSchema } from './test-schemas.js';

type Obj = Record<string, unknown>;

const T0 = '2024-05-01T10:00:00.000Z';
const T1 = '2024-05-01T11:00:00.000Z';

/** A Deployment manifest as a user writes it. */
function manifest(
  opts: { replicas?: number; image?: string; env?: Obj[]; labels?: Obj; extra?: Obj } = {},
): Obj {
  const container: Obj = { name: 'nginx', image: opts.image ?? 'nginx:1.25', ports: [{ containerPort: 80 }] };
  if (opts.env) container.env = opts.env;
  const spec: Obj = {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container] } },
    ...opts.extra,
  };
  if (opts.replicas !== undefined) spec.replicas = opts.replicas;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: opts.labels ?? { app: 'web' } },
    spec,
  };
}

function ctx(manager: string, extra: Partial<PatchContext> = {}): PatchContext {
  return { schema: deploymentSchema, fieldManager: manager, now: clock(T0), apiVersion: 'apps/v1', ...extra };
}

/** What the handler adds when it stores the object. */
function store(obj: KubeObject): KubeObject {
  const meta = { ...obj.metadata };
  meta.uid ??= 'uid-1';
  meta.namespace ??= 'default';
  meta.resourceVersion = String(Number(meta.resourceVersion ?? '0') + 1);
  return { ...obj, metadata: meta };
}

function apply(
  current: KubeObject | undefined,
  config: Obj,
  manager: string,
  extra: Partial<PatchContext> = {},
) {
  return store(applyPatch('apply', current, JSON.stringify(config), ctx(manager, extra)));
}

function entry(obj: KubeObject, manager: string): Obj | undefined {
  return (obj.metadata.managedFields as unknown as Obj[] | undefined)?.find((e) => e.manager === manager);
}

function fields(obj: KubeObject, manager: string): Obj {
  const found = entry(obj, manager);
  assert.ok(found, `no managedFields entry for ${manager}`);
  return found.fieldsV1 as Obj;
}

function spec(obj: KubeObject): Obj {
  return obj.spec as Obj;
}

function container(obj: KubeObject): Obj {
  return ((spec(obj).template as Obj).spec as { containers: Obj[] }).containers[0]!;
}

function conflict(fn: () => unknown, message: string, causes?: { message: string; field: string }[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.code, 409);
    assert.equal(err.status.reason, 'Conflict');
    assert.equal(err.message, message);
    if (causes) {
      assert.deepEqual(
        err.status.details?.causes,
        causes.map((c) => ({ reason: 'FieldManagerConflict', ...c })),
      );
    }
    return true;
  });
}

const APPLIED_FIELDS = {
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

describe('server-side apply', () => {
  test('creates the object when it is absent, owning exactly the applied fields', () => {
    const created = applyPatch('apply', undefined, JSON.stringify(manifest({ replicas: 3 })), ctx('kubectl'));
    assert.equal(created.kind, 'Deployment');
    assert.equal(spec(created).replicas, 3);
    assert.deepEqual(created.metadata.managedFields, [
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: '2024-05-01T10:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: APPLIED_FIELDS,
      },
    ]);
  });

  test('accepts YAML bodies', () => {
    const yaml = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web',
      'spec:',
      '  replicas: 2',
      '  template:',
      '    spec:',
      '      containers:',
      '      - name: nginx',
      '        image: nginx:1.25',
    ].join('\n');
    const created = applyPatch('apply', undefined, yaml, ctx('mgr'));
    assert.equal(container(created).image, 'nginx:1.25');
  });

  test('re-applying without a field removes it from the object and from the owner', () => {
    const first = apply(
      undefined,
      manifest({
        replicas: 3,
        labels: { app: 'web', tier: 'front' },
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
      }),
      'kubectl',
    );
    const second = apply(first, manifest({ env: [{ name: 'A', value: '1' }] }), 'kubectl', {
      now: clock(T1),
    });
    assert.deepEqual(second.metadata.labels, { app: 'web' });
    assert.equal(spec(second).replicas, undefined);
    assert.deepEqual(container(second).env, [{ name: 'A', value: '1' }]);
    assert.equal((fields(second, 'kubectl')['f:spec'] as Obj)['f:replicas'], undefined);
    assert.equal(entry(second, 'kubectl')?.time, '2024-05-01T11:00:00Z');
  });

  test('applying the same configuration again changes nothing, not even the time', () => {
    const first = apply(undefined, manifest({ replicas: 3 }), 'kubectl');
    const again = applyPatch(
      'apply',
      first,
      JSON.stringify(manifest({ replicas: 3 })),
      ctx('kubectl', { now: clock(T1) }),
    );
    assert.deepEqual(again, first);
  });

  test('two managers applying the same value share the field; it stays while either applies it', () => {
    const a = apply(undefined, manifest({ replicas: 3 }), 'a');
    const b = apply(
      a,
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 3 } },
      'b',
    );
    assert.deepEqual(entry(b, 'b')?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
    assert.ok((fields(b, 'a')['f:spec'] as Obj)['f:replicas'] !== undefined, 'a still owns it');

    const aDrops = apply(b, manifest(), 'a');
    assert.equal(spec(aDrops).replicas, 3, 'b still applies it');
    assert.equal((fields(aDrops, 'a')['f:spec'] as Obj)['f:replicas'], undefined);

    const bDrops = apply(
      aDrops,
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } },
      'b',
    );
    assert.equal(spec(bDrops).replicas, undefined, 'nobody applies it any more');
    assert.equal(entry(bDrops, 'b'), undefined, 'an empty configuration owns nothing');
  });

  test('changing a field another manager owns is a conflict; force takes it over', () => {
    const a = apply(undefined, manifest({ replicas: 3 }), 'a');
    const bConfig = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas: 5 },
    };
    conflict(
      () => apply(a, bConfig, 'b'),
      'Apply failed with 1 conflict: conflict with "a": .spec.replicas',
      [{ message: 'conflict with "a"', field: '.spec.replicas' }],
    );
    const forced = apply(a, bConfig, 'b', { force: true });
    assert.equal(spec(forced).replicas, 5);
    assert.deepEqual(entry(forced, 'b')?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
    assert.equal((fields(forced, 'a')['f:spec'] as Obj)['f:replicas'], undefined);
    conflict(
      () => apply(forced, manifest({ replicas: 3 }), 'a'),
      'Apply failed with 1 conflict: conflict with "b": .spec.replicas',
    );
  });

  test('several conflicts are listed per manager', () => {
    const a = apply(undefined, manifest({ replicas: 3, labels: { app: 'web', tier: 'x' } }), 'a');
    const config = manifest({ replicas: 4, image: 'nginx:2', labels: { app: 'web', tier: 'y' } });
    conflict(
      () => apply(a, config, 'b'),
      'Apply failed with 3 conflicts: conflicts with "a":\n- .metadata.labels.tier\n- .spec.replicas\n- .spec.template.spec.containers[name="nginx"].image',
    );
  });

  test('after a client-side update changed a field, applying the old value conflicts with that updater', () => {
    const applied = apply(undefined, manifest({ replicas: 3 }), 'kubectl');
    const edited = store(
      applyPatch(
        'strategic',
        applied,
        JSON.stringify({
          spec: {
            replicas: 6,
            template: {
              spec: {
                '$setElementOrder/containers': [{ name: 'nginx' }],
                containers: [{ name: 'nginx', image: 'nginx:1.27' }],
              },
            },
          },
        }),
        { ...ctx('kubectl-edit'), now: clock(T1) },
      ),
    );
    assert.deepEqual(entry(edited, 'kubectl-edit')?.fieldsV1, {
      'f:spec': {
        'f:replicas': {},
        'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { 'f:image': {} } } } },
      },
    });
    conflict(
      () => apply(edited, manifest({ replicas: 3 }), 'kubectl'),
      'Apply failed with 2 conflicts: conflicts with "kubectl-edit" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name="nginx"].image',
    );
    // Leaving the taken fields out of the configuration keeps the updater's values.
    const config = manifest();
    delete container({ spec: config.spec } as unknown as KubeObject).image;
    const without = apply(edited, config, 'kubectl');
    assert.equal(spec(without).replicas, 6);
    assert.equal(container(without).image, 'nginx:1.27');
    // Force takes them back.
    const forced = apply(edited, manifest({ replicas: 3 }), 'kubectl', { force: true });
    assert.equal(spec(forced).replicas, 3);
    assert.equal(container(forced).image, 'nginx:1.25');
    assert.equal(entry(forced, 'kubectl-edit'), undefined);
  });

  test('an object nobody tracked is first attributed to before-first-apply', () => {
    const untracked = store({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', uid: 'u' },
      spec: { replicas: 2, template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }] } } },
    });
    conflict(
      () =>
        apply(
          untracked,
          { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 5 } },
          'x',
        ),
      'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas',
    );
    const same = apply(
      untracked,
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2 } },
      'x',
    );
    assert.ok(entry(same, 'before-first-apply'));
    assert.deepEqual(entry(same, 'x')?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
  });

  test('kubectl --server-side takes over what client-side apply set, and keeps its annotation in step', () => {
    const LAST = 'kubectl.kubernetes.io/last-applied-configuration';
    const csaConfig = manifest({ replicas: 3 });
    const withAnnotation = {
      ...csaConfig,
      metadata: { ...(csaConfig.metadata as Obj), annotations: { [LAST]: JSON.stringify(csaConfig) } },
    } as unknown as KubeObject;
    const created = store(
      updateManagedFields(undefined, withAnnotation, {
        manager: 'kubectl-client-side-apply',
        operation: 'Update',
        apiVersion: 'apps/v1',
        now: clock(T0),
        schema: deploymentSchema,
      }),
    );
    const next = manifest({ replicas: 4, image: 'nginx:1.26' });
    conflict(
      () => apply(created, next, 'someone-else'),
      'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name="nginx"].image',
    );
    const migrated = apply(created, next, 'kubectl', { now: clock(T1) });
    assert.equal(spec(migrated).replicas, 4);
    assert.equal(container(migrated).image, 'nginx:1.26');
    assert.equal((migrated.metadata.annotations as Obj)[LAST], canonical(next));
    const csa = fields(migrated, 'kubectl-client-side-apply');
    assert.equal(
      (csa['f:spec'] as Obj)['f:replicas'],
      undefined,
      'the client-side entry lost what was taken',
    );
  });

  test('ports are keyed by containerPort and protocol, TCP when omitted', () => {
    const created = apply(undefined, manifest(), 'a');
    const withProtocol = {
      ...manifest(),
      spec: {
        template: {
          spec: {
            containers: [{ name: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP', name: 'http' }] }],
          },
        },
      },
    };
    const merged = apply(created, withProtocol, 'b');
    assert.deepEqual(container(merged).ports, [{ containerPort: 80, protocol: 'TCP', name: 'http' }]);
  });

  test('set-like lists own their values', () => {
    const created = apply(
      undefined,
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', finalizers: ['example.com/a'] } },
      'a',
    );
    assert.deepEqual(entry(created, 'a')?.fieldsV1, {
      'f:metadata': { 'f:finalizers': { 'v:"example.com/a"': {} } },
    });
    const both = apply(
      created,
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', finalizers: ['example.com/b'] } },
      'b',
    );
    assert.deepEqual(both.metadata.finalizers, ['example.com/a', 'example.com/b']);
  });

  test('status is not owned through the main resource of a kind with a status subresource', () => {
    const config = { ...manifest({ replicas: 1 }), status: { replicas: 1 } };
    const created = apply(undefined, config, 'a', { hasStatusSubresource: true });
    assert.equal(fields(created, 'a')['f:status'], undefined);
  });

  test('the applier entry sorts before updaters', () => {
    const created = store(
      updateManagedFields(undefined, manifest({ replicas: 1 }) as unknown as KubeObject, {
        manager: 'creator',
        operation: 'Update',
        apiVersion: 'apps/v1',
        now: clock(T0),
        schema: deploymentSchema,
      }),
    );
    const applied = apply(created, manifest({ replicas: 1 }), 'z-applier', { now: clock(T1) });
    assert.deepEqual(
      (applied.metadata.managedFields as unknown as Obj[]).map((e) => `${e.operation}:${e.manager}`),
      ['Apply:z-applier', 'Update:creator'],
    );
  });
});

function canonical(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v as Obj)
              .sort()
              .map((k) => [k, sort((v as Obj)[k])]),
          )
        : v;
  return JSON.stringify(sort(value));
}

describe('server-side apply: bad requests', () => {
  const badRequest = (
    body: string,
    message: string | RegExp,
    extra: Partial<PatchContext> = {},
    code = 400,
  ) => {
    assert.throws(
      () => applyPatch('apply', undefined, body, ctx('m', extra)),
      (err: unknown) => {
        assert.ok(err instanceof ApiError, String(err));
        assert.equal(err.code, code);
        if (typeof message === 'string') assert.equal(err.message, message);
        else assert.match(err.message, message);
        return true;
      },
    );
  };

  test('a field manager is required', () => {
    badRequest(
      JSON.stringify(manifest()),
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      { fieldManager: undefined },
      422,
    );
  });

  test('apiVersion and kind must match', () => {
    badRequest(
      JSON.stringify({ ...manifest(), apiVersion: 'apps/v1beta1' }),
      'Incorrect version specified in apply patch. Specified patch version: apps/v1beta1, expected: apps/v1',
    );
    badRequest(
      JSON.stringify({ ...manifest(), kind: 'StatefulSet' }),
      'Incorrect kind specified in apply patch. Specified patch kind: StatefulSet, expected: Deployment',
      { kind: 'Deployment' },
    );
  });

  test('managedFields may not be applied', () => {
    badRequest(
      JSON.stringify({ ...manifest(), metadata: { name: 'web', managedFields: [] } }),
      'metadata.managedFields must be nil',
    );
  });

  test('list items need their keys, once each', () => {
    const twice = manifest();
    const containers = ((twice.spec as Obj).template as { spec: { containers: Obj[] } }).spec.containers;
    containers.push({ ...containers[0] });
    badRequest(
      JSON.stringify(twice),
      'failed to create typed patch object (/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name="nginx"]',
    );
    containers.splice(0, 2, { image: 'x' });
    badRequest(
      JSON.stringify(twice),
      /associative list with keys has an element that omits key field "name"/,
    );
  });

  test('bodies that are not one YAML object', () => {
    badRequest('a: [1', /^error decoding YAML: /);
    badRequest(
      '- 1',
      'error decoding YAML: json: cannot unmarshal array into Go value of type map[string]interface {}',
    );
    badRequest('a: 1\na: 2', /^error decoding YAML: Map keys must be unique/);
    badRequest('kind: A\n---\nkind: B', /^error decoding YAML: Source contains multiple documents/);
    badRequest('a: .inf', 'error decoding YAML: unsupported number Infinity');
    const laughs = [
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    ].join('\n');
    badRequest(laughs, /^error decoding YAML: Excessive alias count/);
    for (const deep of [
      '['.repeat(10000) + ']'.repeat(10000),
      '{"a":'.repeat(300) + '1' + '}'.repeat(300),
      '- '.repeat(10000) + 'a',
    ]) {
      badRequest(deep, 'error decoding YAML: the document is nested more than 200 levels deep');
    }
  });
});
