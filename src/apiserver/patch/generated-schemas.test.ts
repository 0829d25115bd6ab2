/**
 * The patch engines against the generated schemas of the served kinds (not the hand-made ones):
 * the merge keys, list types and map types they carry must give Kubernetes' results.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../api/object.js';
import { lookupKind } from '../../api/resources.js';
import { schemaFor } from '../../api/schema/index.js';
import { applyPatch, type PatchContext } from './index.js';
import { clock } from './test-schemas.js';

type Obj = Record<string, unknown>;

const deployments = lookupKind('apps/v1', 'Deployment')!;
const services = lookupKind('v1', 'Service')!;

function ctx(manager: string, def = deployments, extra: Partial<PatchContext> = {}): PatchContext {
  return {
    schema: schemaFor(def),
    fieldManager: manager,
    now: clock(),
    apiVersion: def.group ? `${def.group}/${def.version}` : def.version,
    kind: def.kind,
    hasStatusSubresource: def.hasStatus,
    ...extra,
  };
}

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          {
            name: 'nginx',
            image: 'nginx:1.25',
            ports: [{ containerPort: 80 }],
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
          },
        ],
      },
    },
  },
};

describe('patch engines on the generated schemas', () => {
  test('server-side apply of a Deployment records what kubectl --server-side shows', () => {
    const created = applyPatch('apply', undefined, JSON.stringify(deployment), ctx('kubectl'));
    const [entry] = created.metadata.managedFields as unknown as Obj[];
    assert.deepEqual(entry?.fieldsV1, {
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
                'f:env': {
                  'k:{"name":"A"}': { '.': {}, 'f:name': {}, 'f:value': {} },
                  'k:{"name":"B"}': { '.': {}, 'f:name': {}, 'f:value': {} },
                },
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
              },
            },
          },
        },
      },
    });
  });

  test('the strategic merge patch of kubectl apply for an image and env change', () => {
    const live = {
      ...structuredClone(deployment),
      metadata: { ...deployment.metadata, uid: 'u' },
    } as unknown as KubeObject;
    const out = applyPatch(
      'strategic',
      live,
      JSON.stringify({
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'nginx' }],
              containers: [
                {
                  '$setElementOrder/env': [{ name: 'A' }, { name: 'C' }],
                  env: [
                    { name: 'C', value: '3' },
                    { $patch: 'delete', name: 'B' },
                  ],
                  image: 'nginx:1.26',
                  name: 'nginx',
                },
              ],
            },
          },
        },
      }),
      ctx('kubectl-client-side-apply'),
    );
    const container = ((out.spec as Obj).template as { spec: { containers: Obj[] } }).spec.containers[0];
    assert.equal(container?.image, 'nginx:1.26');
    assert.deepEqual(container?.env, [
      { name: 'A', value: '1' },
      { name: 'C', value: '3' },
    ]);
    assert.deepEqual(container?.ports, [{ containerPort: 80 }]);
  });

  test('Service ports merge by port in a strategic merge patch and are keyed by port and protocol in apply', () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    };
    const created = applyPatch('apply', undefined, JSON.stringify(svc), ctx('kubectl', services));
    const fields = (created.metadata.managedFields as unknown as Obj[])[0]?.fieldsV1 as Obj;
    assert.deepEqual((fields['f:spec'] as Obj)['f:ports'], {
      'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {}, 'f:targetPort': {} },
    });
    const patched = applyPatch(
      'strategic',
      { ...created, metadata: { ...created.metadata, uid: 'u' } },
      '{"spec":{"ports":[{"port":443,"targetPort":8443}]}}',
      ctx('kubectl-patch', services),
    );
    assert.deepEqual(
      ((patched.spec as Obj).ports as Obj[]).map((p) => p.port),
      [443, 80],
    );
  });
});
