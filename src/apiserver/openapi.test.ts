import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import { RESOURCES } from '../api/resources.js';
import type { ApiRequest, ApiResponse } from './http-types.js';
import { negotiateOpenAPIV2, openapiResponse, openapiV3Document } from './openapi.js';

function request(path: string, headers: IncomingHttpHeaders = {}, query = ''): ApiResponse | undefined {
  const req: ApiRequest = {
    method: 'GET',
    path,
    query: new URLSearchParams(query),
    headers,
    user: { username: 'test', groups: [] },
  };
  return openapiResponse(req);
}

// biome-ignore lint/suspicious/noExplicitAny: test helper reading JSON documents
function json(res: ApiResponse | undefined): any {
  assert.ok(res, 'no response');
  assert.equal(res.status, 200);
  return JSON.parse(res.body as string);
}

// biome-ignore lint/suspicious/noExplicitAny: walking JSON documents
type Doc = any;

function patchOperations(doc: Doc, kind: string): Doc[] {
  return Object.values(doc.paths as Record<string, Doc>)
    .map((item) => item.patch)
    .filter((op) => op && op['x-kubernetes-group-version-kind'].kind === kind);
}

describe('openapi v3', () => {
  it('indexes every group-version with a hash-pinned URL', () => {
    const index = json(request('/openapi/v3'));
    for (const def of RESOURCES) {
      const key = def.group ? `apis/${def.group}/${def.version}` : `api/${def.version}`;
      assert.match(
        index.paths[key].serverRelativeURL,
        new RegExp(`^/openapi/v3/${key}\\?hash=[0-9A-F]{128}$`),
      );
    }
  });

  it('serves apps/v1 with the Deployment schema and its descriptions', () => {
    const doc = openapiV3Document('apis/apps/v1')!;
    assert.equal(doc.openapi, '3.0.0');
    const schemas = (doc.components as Doc).schemas;
    const deployment = schemas['io.k8s.api.apps.v1.Deployment'];
    assert.deepEqual(deployment['x-kubernetes-group-version-kind'], [
      { group: 'apps', kind: 'Deployment', version: 'v1' },
    ]);
    assert.match(deployment.description, /declarative updates for Pods and ReplicaSets/);
    const spec = schemas['io.k8s.api.apps.v1.DeploymentSpec'];
    assert.match(spec.properties.replicas.description, /Number of desired pods/);
    assert.equal(spec.properties.replicas.type, 'integer');
    assert.deepEqual(spec.properties.strategy.allOf, [
      { $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy' },
    ]);
    assert.equal(spec.properties.strategy['x-kubernetes-patch-strategy'], 'retainKeys');
    assert.deepEqual(spec.required, ['selector', 'template']);
    const podSpec = schemas['io.k8s.api.core.v1.PodSpec'];
    assert.equal(podSpec.properties.containers['x-kubernetes-patch-merge-key'], 'name');
    assert.deepEqual(schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].oneOf, [
      { type: 'integer' },
      { type: 'string' },
    ]);
    assert.ok(schemas['io.k8s.api.autoscaling.v1.Scale'], 'the scale subresource reaches Scale');
    assert.equal(schemas['io.k8s.api.batch.v1.Job'], undefined, 'other groups stay out');
    assert.ok(!JSON.stringify(doc).includes('#/definitions/'));
  });

  it('declares fieldValidation on every PATCH of every kind, so kubectl validates on the server', () => {
    for (const def of RESOURCES) {
      const key = def.group ? `apis/${def.group}/${def.version}` : `api/${def.version}`;
      const ops = patchOperations(openapiV3Document(key), def.kind);
      assert.ok(ops.length > 0, `${def.kind} has no PATCH`);
      for (const op of ops) {
        assert.ok(
          op.parameters.some((p: Doc) => p.name === 'fieldValidation'),
          def.kind,
        );
        assert.deepEqual(Object.keys(op.requestBody.content).sort(), [
          'application/apply-patch+yaml',
          'application/json-patch+json',
          'application/merge-patch+json',
          'application/strategic-merge-patch+json',
        ]);
      }
    }
    const core = openapiV3Document('api/v1') as Doc;
    const create = core.paths['/api/v1/namespaces/{namespace}/pods'].post;
    assert.equal(create['x-kubernetes-action'], 'post');
    assert.ok(create.parameters.some((p: Doc) => p.name === 'fieldValidation'));
    assert.ok(core.paths['/api/v1/nodes/{name}/status'].patch);
    const eviction = core.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post;
    assert.deepEqual(eviction['x-kubernetes-group-version-kind'], {
      group: 'policy',
      kind: 'Eviction',
      version: 'v1',
    });
    assert.ok(core.components.schemas['io.k8s.api.policy.v1.Eviction']);
  });

  it('caches: immutable at the current hash, a redirect from a stale one, 304 on a matching ETag', () => {
    const url = json(request('/openapi/v3')).paths['apis/apps/v1'].serverRelativeURL as string;
    const hash = url.split('hash=')[1]!;
    const pinned = request('/openapi/v3/apis/apps/v1', { accept: 'application/json' }, `hash=${hash}`);
    assert.equal(pinned?.status, 200);
    assert.equal(pinned?.headers?.['cache-control'], 'public, immutable');
    assert.equal(pinned?.headers?.etag, `"${hash}"`);
    const stale = request('/openapi/v3/apis/apps/v1', {}, 'hash=0000');
    assert.equal(stale?.status, 301);
    assert.equal(stale?.headers?.location, url);
    assert.equal(request('/openapi/v3/apis/apps/v1', { 'if-none-match': `"${hash}"` })?.status, 304);
    assert.equal(
      request('/openapi/v3/apis/apps/v1', { accept: 'application/vnd.kubernetes.protobuf' })?.status,
      406,
    );
    assert.equal(request('/openapi/v3/apis/nope/v1'), undefined);
    assert.equal(request('/api/v1'), undefined);
  });
});

describe('openapi v2', () => {
  it('serves every definition and the paths as JSON by default', () => {
    for (const accept of [undefined, '*/*', 'application/json', 'application/*;q=0.5, text/plain']) {
      const res = request('/openapi/v2', accept === undefined ? {} : { accept });
      assert.equal(res?.headers?.['content-type'], 'application/json', String(accept));
      const doc = json(res);
      assert.equal(doc.swagger, '2.0');
      assert.equal(
        doc.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].format,
        'int-or-string',
      );
      assert.equal(
        doc.definitions['io.k8s.api.core.v1.Pod']['x-kubernetes-group-version-kind'][0].kind,
        'Pod',
      );
      const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
      assert.ok(patch.parameters.some((p: Doc) => p.name === 'fieldValidation'));
      assert.equal(patch.parameters[0].in, 'body');
    }
  });

  it('serves gnostic protobuf for either protobuf media type, with its own ETag', () => {
    const jsonEtag = request('/openapi/v2')?.headers?.etag;
    for (const accept of [
      'application/com.github.proto-openapi.spec.v2@v1.0+protobuf',
      'application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
      'application/json;q=0.5, application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
    ]) {
      const res = request('/openapi/v2', { accept });
      assert.ok(res);
      assert.equal(res.status, 200, accept);
      assert.equal(
        res.headers?.['content-type'],
        'application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
      );
      assert.ok(Buffer.isBuffer(res.body), accept);
      // Document.swagger (field 1, length-delimited) comes first: "2.0".
      assert.deepEqual([...res.body.subarray(0, 5)], [0x0a, 3, ...Buffer.from('2.0')]);
      const etag = res.headers?.etag ?? '';
      assert.match(etag, /^"[0-9A-F]{128}"$/);
      assert.notEqual(etag, jsonEtag, 'a cached JSON body must not be revalidated as protobuf');
      assert.equal(request('/openapi/v2', { accept, 'if-none-match': etag })?.status, 304);
    }
    assert.equal(request('/openapi/v2', { accept: 'text/html' })?.status, 406);
  });
});

describe('negotiateOpenAPIV2', () => {
  const cases: [string | undefined, ReturnType<typeof negotiateOpenAPIV2>][] = [
    [undefined, 'json'],
    ['', 'json'],
    ['*/*', 'json'],
    ['application/*', 'json'],
    ['application/json', 'json'],
    ['application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'protobuf'],
    ['application/com.github.proto-openapi.spec.v2.v1.0+protobuf', 'protobuf'],
    ['APPLICATION/COM.GITHUB.PROTO-OPENAPI.SPEC.V2.V1.0+PROTOBUF; charset=x', 'protobuf'],
    ['application/com.github.proto-openapi.spec.v2@v1.0+protobuf, application/json', 'protobuf'],
    ['application/json;q=0.9, application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'protobuf'],
    ['*/*, application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'protobuf'],
    ['application/json;q=0', undefined],
    ['text/html, application/yaml', undefined],
  ];
  for (const [accept, want] of cases) {
    it(`${JSON.stringify(accept)} → ${want}`, () => assert.equal(negotiateOpenAPIV2(accept), want));
  }
});
