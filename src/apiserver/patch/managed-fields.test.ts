import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../api/object.js';
import { applyPatch, managerOrUserAgent, updateManagedFields } from './index.js';
import { clock, configMapSchema, deploymentSchema, storedDeployment } from './test-schemas.js';

type Obj = Record<string, unknown>;

const T0 = '2024-05-01T10:00:00.000Z';
const T1 = '2024-05-01T11:00:00.000Z';

function configMap(data: Obj = { k: 'v' }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cm', namespace: 'default', labels: { app: 'web' } },
    data,
  };
}

function stored(obj: KubeObject): KubeObject {
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      uid: 'u-1',
      resourceVersion: '5',
      creationTimestamp: '2024-05-01T09:00:00Z',
    },
  };
}

const ctx = (manager: string, at = T0, extra: Obj = {}) => ({
  manager,
  operation: 'Update' as const,
  apiVersion: 'v1',
  now: clock(at),
  schema: configMapSchema,
  ...extra,
});

function entries(obj: KubeObject): Obj[] {
  return (obj.metadata.managedFields ?? []) as unknown as Obj[];
}

function fieldsOf(obj: KubeObject, manager: string): unknown {
  return entries(obj).find((e) => e.manager === manager)?.fieldsV1;
}

function create(manager = 'kubectl-create'): KubeObject {
  return stored(updateManagedFields(undefined, configMap(), ctx(manager)));
}

describe('managedFields for create, update and patch', () => {
  test('a create makes the creator own every field it set', () => {
    const created = updateManagedFields(undefined, configMap(), ctx('kubectl-create'));
    assert.deepEqual(created.metadata.managedFields, [
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'v1',
        time: '2024-05-01T10:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:data': { '.': {}, 'f:k': {} },
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        },
      },
    ]);
    assert.equal(configMap().metadata.managedFields, undefined, 'the input is not modified');
  });

  test('an update takes the fields it changes from their owners; removed fields leave every set', () => {
    const live = create();
    const edited = updateManagedFields(
      live,
      { ...live, data: { k: 'changed', k2: 'new' } },
      ctx('kubectl-edit', T1),
    );
    assert.deepEqual(fieldsOf(edited, 'kubectl-edit'), { 'f:data': { 'f:k': {}, 'f:k2': {} } });
    assert.deepEqual(fieldsOf(edited, 'kubectl-create'), {
      'f:data': {},
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    });
    const pruned = updateManagedFields(edited, { ...edited, data: { k2: 'new' } }, ctx('kubectl-patch', T1));
    assert.deepEqual(fieldsOf(pruned, 'kubectl-edit'), { 'f:data': { 'f:k2': {} } });
    assert.equal(fieldsOf(pruned, 'kubectl-patch'), undefined, 'removing a field owns nothing');
  });

  test('the same manager accumulates fields; its time moves only when it changes something', () => {
    const live = create();
    const once = updateManagedFields(live, { ...live, data: { k: 'v', a: '1' } }, ctx('ctl', T0));
    const twice = updateManagedFields(once, { ...once, data: { k: 'v', a: '1', b: '2' } }, ctx('ctl', T1));
    const entry = entries(twice).find((e) => e.manager === 'ctl');
    assert.deepEqual(entry?.fieldsV1, { 'f:data': { 'f:a': {}, 'f:b': {} } });
    assert.equal(entry?.time, '2024-05-01T11:00:00Z');
    const noop = updateManagedFields(twice, twice, ctx('ctl', '2024-05-01T12:00:00.000Z'));
    assert.deepEqual(noop.metadata.managedFields, twice.metadata.managedFields);
  });

  test('an update sharing unchanged subtrees with the stored object owns only what it changed', () => {
    const dctx = (manager: string) => ({ ...ctx(manager), apiVersion: 'apps/v1', schema: deploymentSchema });
    const live = stored(updateManagedFields(undefined, storedDeployment() as KubeObject, dctx('create')));
    const before = JSON.stringify(live);
    const spec = live.spec as Obj;
    const template = spec.template as { spec: { containers: Obj[] } };
    // The container list is shared; one container is replaced by an edited copy.
    const containers = [{ ...template.spec.containers[0], image: 'nginx:1.26' }];
    const next = {
      ...live,
      spec: { ...spec, replicas: 3, template: { ...template, spec: { ...template.spec, containers } } },
    };
    const scaled = updateManagedFields(live, next, dctx('scaler'));
    assert.deepEqual(fieldsOf(scaled, 'scaler'), {
      'f:spec': {
        'f:replicas': {},
        'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { 'f:image': {} } } } },
      },
    });
    assert.equal(JSON.stringify(live), before, 'the stored object is not modified');
    assert.equal(next.metadata.managedFields, live.metadata.managedFields, 'nor is the input');
  });

  test('an update that sends no managedFields, or garbage, keeps the stored ones', () => {
    const live = create();
    const { managedFields: _dropped, ...meta } = live.metadata;
    const without = updateManagedFields(live, { ...live, metadata: meta, data: { k: 'v2' } }, ctx('other'));
    assert.ok(fieldsOf(without, 'kubectl-create'));
    const garbage = updateManagedFields(
      live,
      {
        ...live,
        metadata: { ...live.metadata, managedFields: [{ manager: 'x', operation: 'Bogus' }] as never },
      },
      ctx('other'),
    );
    assert.deepEqual(garbage.metadata.managedFields, live.metadata.managedFields);
  });

  test('an update may rewrite managedFields with valid entries', () => {
    const live = create();
    const mine = [
      {
        manager: 'mine',
        operation: 'Update',
        apiVersion: 'v1',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { 'f:k': {} } },
      },
    ];
    const out = updateManagedFields(
      live,
      { ...live, metadata: { ...live.metadata, managedFields: mine as never } },
      ctx('x'),
    );
    assert.deepEqual(out.metadata.managedFields, mine);
  });

  test('managedFields: [] or [{}] resets them, and an untracked object stays untracked', () => {
    const live = create();
    for (const reset of [[], [{}]]) {
      const out = updateManagedFields(
        live,
        { ...live, metadata: { ...live.metadata, managedFields: reset as never }, data: { k: 'x' } },
        ctx('kubectl-edit'),
      );
      assert.equal(out.metadata.managedFields, undefined, JSON.stringify(reset));
      const later = updateManagedFields(out, { ...out, data: { k: 'y' } }, ctx('kubectl-edit'));
      assert.equal(later.metadata.managedFields, undefined);
    }
  });

  test('a status write is recorded with its subresource and owns only status', () => {
    const schema = deploymentSchema;
    const live = storedDeployment() as unknown as KubeObject;
    const next = structuredClone(live) as Obj;
    (next.status as Obj).readyReplicas = 1;
    (next.metadata as Obj).managedFields = [{ bogus: true }];
    const out = updateManagedFields(live, next as unknown as KubeObject, {
      manager: 'kube-controller-manager',
      operation: 'Update',
      apiVersion: 'apps/v1',
      now: clock(),
      schema,
      subresource: 'status',
    });
    assert.equal(out.metadata.managedFields, undefined, 'the stored object was untracked, so it stays so');

    const tracked = updateManagedFields(undefined, live, {
      ...ctx('creator'),
      apiVersion: 'apps/v1',
      schema,
    });
    const statusWrite = structuredClone(tracked) as Obj;
    (statusWrite.status as Obj).readyReplicas = 1;
    (statusWrite.spec as Obj).replicas = 99;
    const recorded = updateManagedFields(tracked, statusWrite as unknown as KubeObject, {
      ...ctx('kube-controller-manager'),
      apiVersion: 'apps/v1',
      schema,
      subresource: 'status',
    });
    const entry = entries(recorded).find((e) => e.manager === 'kube-controller-manager');
    assert.deepEqual(entry, {
      manager: 'kube-controller-manager',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: '2024-05-01T10:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:status': { 'f:readyReplicas': {} } },
      subresource: 'status',
    });
  });

  test('writes to the main resource do not own status when the kind has a status subresource', () => {
    const created = updateManagedFields(undefined, storedDeployment() as unknown as KubeObject, {
      ...ctx('kubectl-create'),
      apiVersion: 'apps/v1',
      schema: deploymentSchema,
      hasStatusSubresource: true,
    });
    const fields = fieldsOf(created, 'kubectl-create') as Obj;
    assert.equal(fields['f:status'], undefined);
    assert.ok(fields['f:spec']);
  });

  test('more than 10 updaters fold the oldest into ancient-changes', () => {
    let live = create('m0');
    for (let i = 1; i <= 11; i++) {
      const at = new Date(Date.parse(T0) + i * 60_000).toISOString();
      live = stored(
        updateManagedFields(
          live,
          { ...live, data: { ...(live.data as Obj), [`k${i}`]: 'v' } },
          ctx(`m${i}`, at),
        ),
      );
    }
    const all = entries(live);
    assert.equal(all.length, 10);
    const ancient = all.find((e) => e.manager === 'ancient-changes');
    assert.deepEqual(ancient?.fieldsV1, {
      'f:data': { '.': {}, 'f:k': {}, 'f:k1': {}, 'f:k2': {} },
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    });
    assert.ok(all.some((e) => e.manager === 'm11'));
  });

  test('JSON, merge and strategic patches record their manager', () => {
    const live = create();
    const patched = applyPatch('merge', live, '{"data":{"k":"m"}}', {
      schema: configMapSchema,
      fieldManager: 'kubectl-patch',
      now: clock(T1),
      apiVersion: 'v1',
    });
    assert.deepEqual(fieldsOf(patched, 'kubectl-patch'), { 'f:data': { 'f:k': {} } });
    const json = applyPatch('json', patched, '[{"op":"add","path":"/data/j","value":"1"}]', {
      schema: configMapSchema,
      fieldManager: 'curl',
      now: clock(T1),
      apiVersion: 'v1',
    });
    assert.deepEqual(fieldsOf(json, 'curl'), { 'f:data': { 'f:j': {} } });
    const smp = applyPatch('strategic', json, '{"metadata":{"labels":{"tier":"x"}}}', {
      schema: configMapSchema,
      fieldManager: 'kubectl-label',
      now: clock(T1),
      apiVersion: 'v1',
    });
    assert.deepEqual(fieldsOf(smp, 'kubectl-label'), { 'f:metadata': { 'f:labels': { 'f:tier': {} } } });
  });

  test('a patch may reset managedFields', () => {
    const live = create();
    const out = applyPatch('merge', live, '{"metadata":{"managedFields":[{}]}}', {
      schema: configMapSchema,
      fieldManager: 'kubectl-patch',
      now: clock(),
      apiVersion: 'v1',
    });
    assert.equal(out.metadata.managedFields, undefined);
  });

  test('the default manager comes from the user agent', () => {
    assert.equal(
      managerOrUserAgent(undefined, 'kubectl/v1.32.0 (linux/amd64) kubernetes/70d3cc9'),
      'kubectl',
    );
    assert.equal(managerOrUserAgent('kubectl-edit', 'kubectl/v1.32.0'), 'kubectl-edit');
    assert.equal(managerOrUserAgent(undefined, 'node-fetch'), 'node-fetch');
    assert.equal(managerOrUserAgent(undefined, 'bad\u0007agent/1'), 'badagent');
    assert.equal(managerOrUserAgent(undefined, 'x'.repeat(200)).length, 128);
    assert.equal(managerOrUserAgent(undefined, undefined), '');
    // Answers are remembered per user agent; many distinct agents do not change them.
    for (let i = 0; i < 300; i++) assert.equal(managerOrUserAgent(undefined, `agent-${i}/1.0`), `agent-${i}`);
    assert.equal(managerOrUserAgent(undefined, 'bad\u0007agent/1'), 'badagent');
    assert.equal(managerOrUserAgent('kubectl-edit', 'node-fetch'), 'kubectl-edit');
  });
});
