import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { lookupKind, RESOURCES } from '../resources.js';
import {
  definitionName,
  definitions,
  pruneUnknownFields,
  schemaFor,
  schemaForDefinition,
  unknownFields,
} from './index.js';
import { ATOMIC_STRUCTS, FIELD_PATCH_METADATA } from './patch-metadata.js';

const pod = lookupKind('v1', 'Pod')!;
const deployment = lookupKind('apps/v1', 'Deployment')!;
const configMap = lookupKind('v1', 'ConfigMap')!;

describe('schemaFor', () => {
  it('has a schema for every served kind', () => {
    for (const def of RESOURCES) {
      const node = schemaFor(def);
      assert.equal(node.shape, 'object', def.kind);
      assert.ok(node.fieldNames().includes('metadata'), def.kind);
    }
    assert.equal(definitionName(deployment), 'io.k8s.api.apps.v1.Deployment');
  });

  it('walks Pod → spec → containers (merged by name) → items → ports', () => {
    const containers = schemaFor(pod).field('spec')?.field('containers');
    assert.ok(containers);
    assert.equal(containers.shape, 'array');
    assert.equal(containers.patchStrategy, 'merge');
    assert.equal(containers.patchMergeKey, 'name');
    assert.equal(containers.listType, 'map');
    assert.deepEqual(containers.listMapKeys, ['name']);
    const container = containers.elements();
    assert.equal(container?.shape, 'object');
    const ports = container?.field('ports');
    assert.equal(ports?.patchMergeKey, 'containerPort');
    assert.deepEqual(ports?.listMapKeys, ['containerPort', 'protocol']);
    const port = ports?.elements();
    assert.equal(port?.field('containerPort')?.scalarType, 'integer');
    assert.equal(port?.field('protocol')?.scalarType, 'string');
    assert.equal(port?.field('nope'), undefined);
  });

  it('types scalars and maps as Kubernetes does', () => {
    const spec = schemaFor(pod).field('spec')!;
    const resources = spec.field('containers')?.elements()?.field('resources');
    assert.equal(resources?.field('limits')?.shape, 'map');
    assert.equal(resources?.field('limits')?.elements()?.scalarType, 'quantity');
    const meta = schemaFor(pod).field('metadata')!;
    assert.equal(meta.field('labels')?.shape, 'map');
    assert.equal(meta.field('creationTimestamp')?.scalarType, 'date-time');
    assert.equal(meta.field('finalizers')?.patchStrategy, 'merge');
    assert.equal(meta.field('ownerReferences')?.patchMergeKey, 'uid');
    assert.equal(meta.field('managedFields')?.elements()?.field('fieldsV1')?.shape, 'unknown');
    const strategy = schemaFor(deployment).field('spec')?.field('strategy');
    assert.equal(strategy?.patchStrategy, 'retainKeys');
    assert.equal(strategy?.shape, 'object');
    assert.equal(strategy?.field('rollingUpdate')?.field('maxSurge')?.scalarType, 'int-or-string');
    assert.equal(schemaFor(deployment).field('spec')?.field('replicas')?.scalarType, 'integer');
    assert.equal(spec.field('volumes')?.patchStrategy, 'merge,retainKeys');
    assert.equal(spec.field('tolerations')?.listType, 'atomic');
    assert.equal(spec.field('nodeSelector')?.mapType, 'atomic');
    assert.equal(schemaFor(deployment).field('spec')?.field('selector')?.mapType, 'atomic');
    const service = schemaFor(lookupKind('v1', 'Service')!).field('spec')?.field('ports');
    assert.deepEqual([service?.patchMergeKey, service?.listMapKeys], ['port', ['port', 'protocol']]);
  });

  it('keeps nodes, so a second walk is the same tree', () => {
    const a = schemaFor(pod).field('spec')?.field('containers')?.elements();
    const b = schemaFor(pod).field('spec')?.field('containers')?.elements();
    assert.equal(a, b);
    assert.equal(schemaForDefinition('io.k8s.api.core.v1.Container'), a);
  });
});

describe('patch metadata table', () => {
  it('names only definitions and fields the generated schemas declare', () => {
    const defs = definitions();
    for (const [name, fields] of Object.entries(FIELD_PATCH_METADATA)) {
      const properties = defs[name]?.properties as Record<string, unknown> | undefined;
      assert.ok(properties, `unknown definition ${name}`);
      for (const field of Object.keys(fields)) assert.ok(properties[field], `${name} has no field ${field}`);
    }
    for (const name of ATOMIC_STRUCTS) assert.ok(defs[name], `unknown definition ${name}`);
  });

  it('merge keys are fields of the list items', () => {
    const defs = definitions();
    for (const [name, fields] of Object.entries(FIELD_PATCH_METADATA)) {
      for (const [field, meta] of Object.entries(fields)) {
        const prop = (defs[name]!.properties as Record<string, { items?: { $ref?: string } }>)[field];
        const ref = prop?.items?.$ref?.replace('#/definitions/', '');
        if (!ref) continue;
        const itemProps = defs[ref]?.properties as Record<string, unknown>;
        for (const key of [meta.patchMergeKey, ...(meta.listMapKeys ?? [])].filter(Boolean)) {
          assert.ok(itemProps[key as string], `${name}.${field}: ${ref} has no ${key}`);
        }
      }
    }
  });
});

describe('unknownFields', () => {
  it('finds undeclared fields, with Kubernetes paths', () => {
    const object = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: { anything: 'goes' }, annotations: { 'x/y': 'z' }, bogusMeta: 1 },
      spec: {
        foo: 1,
        containers: [
          { name: 'a', image: 'nginx', ports: [{ containerPort: 80, extra: true }] },
          { name: 'b', image: 'nginx', bogus: 'x' },
        ],
        nodeSelector: { zone: 'a' },
      },
    };
    assert.deepEqual(unknownFields(pod, object), [
      'metadata.bogusMeta',
      'spec.foo',
      'spec.containers[0].ports[0].extra',
      'spec.containers[1].bogus',
    ]);
  });

  it('does not look into maps or free-form fields', () => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { a: 'b' },
      binaryData: {},
    };
    assert.deepEqual(unknownFields(configMap, cm), []);
    const withManaged = {
      metadata: { managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:spec': { 'f:x': {} } } }] },
    };
    assert.deepEqual(unknownFields(pod, withManaged), []);
  });

  it('ignores values of the wrong type (validation reports those)', () => {
    assert.deepEqual(unknownFields(pod, { spec: 'oops', metadata: [] }), []);
    assert.deepEqual(unknownFields(pod, null), []);
  });

  it('pruneUnknownFields removes what it names, past the 100 it reports', () => {
    const spec: Record<string, unknown> = {
      containers: [{ name: 'a', image: 'nginx', bogus: 'x', ports: [{ containerPort: 80, extra: true }] }],
      nodeSelector: { kept: 'yes' },
    };
    for (let i = 0; i < 150; i++) spec[`junk${i}`] = i;
    const object = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', bogusMeta: 1 }, spec };
    const named = pruneUnknownFields(pod, object);
    assert.equal(named.length, 100);
    assert.deepEqual(named.slice(0, 2), ['metadata.bogusMeta', 'spec.containers[0].bogus']);
    assert.deepEqual(object, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        containers: [{ name: 'a', image: 'nginx', ports: [{ containerPort: 80 }] }],
        nodeSelector: { kept: 'yes' },
      },
    });
    assert.deepEqual(unknownFields(pod, object), []);
  });
});

describe('generated definitions', () => {
  it('come from the installed kubernetes-types (npm run gen:schemas after upgrading it)', () => {
    const require = createRequire(import.meta.url);
    const installed = JSON.parse(
      readFileSync(require.resolve('kubernetes-types/package.json'), 'utf8'),
    ).version;
    const file = fileURLToPath(
      new URL('../../../../src/api/schema/generated/definitions.json', import.meta.url),
    );
    const source = JSON.parse(readFileSync(file, 'utf8')).source;
    assert.equal(source['kubernetes-types'], installed);
  });

  it('are what the generator writes today (resources.ts or the generator changed: npm run gen:schemas)', () => {
    const root = fileURLToPath(new URL('../../../../', import.meta.url));
    const result = spawnSync(process.execPath, ['scripts/gen-schemas.mjs', '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, result.stderr);
  });
});
