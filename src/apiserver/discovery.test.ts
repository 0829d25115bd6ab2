import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import { RESOURCES } from '../api/resources.js';
import { acceptedAggregatedVersion, discoveryResponse } from './discovery.js';
import type { ApiRequest, ApiResponse } from './http-types.js';

const KUBECTL_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

function get(path: string, headers: IncomingHttpHeaders = {}): ApiResponse | undefined {
  const req: ApiRequest = {
    method: 'GET',
    path,
    query: new URLSearchParams(),
    headers: { host: '127.0.0.1:6443', ...headers },
    user: { username: 'test', groups: [] },
  };
  return discoveryResponse(req);
}

// biome-ignore lint/suspicious/noExplicitAny: test helper reading JSON documents
function body(res: ApiResponse | undefined): any {
  assert.ok(res, 'no response');
  assert.equal(res.status, 200);
  return JSON.parse(res.body as string);
}

describe('discovery', () => {
  it('serves /version as Kubernetes 1.32', () => {
    const v = body(get('/version'));
    assert.equal(v.major, '1');
    assert.equal(v.minor, '32');
    assert.match(v.gitVersion, /^v1\.32\.0\+shoal$/);
    assert.match(v.platform, /^\w+\/\w+$/);
  });

  it('lists the core version at /api and the named groups at /apis', () => {
    const api = body(get('/api'));
    assert.equal(api.kind, 'APIVersions');
    assert.deepEqual(api.versions, ['v1']);
    assert.equal(api.serverAddressByClientCIDRs[0].serverAddress, '127.0.0.1:6443');
    const apis = body(get('/apis'));
    assert.equal(apis.kind, 'APIGroupList');
    const names = apis.groups.map((g: { name: string }) => g.name);
    for (const def of RESOURCES) if (def.group) assert.ok(names.includes(def.group), def.group);
    const apps = apis.groups.find((g: { name: string }) => g.name === 'apps');
    assert.deepEqual(apps.preferredVersion, { groupVersion: 'apps/v1', version: 'v1' });
    assert.equal(body(get('/apis/apps')).kind, 'APIGroup');
  });

  it('lists every kind in its group-version, with subresources', () => {
    for (const def of RESOURCES) {
      const path = def.group ? `/apis/${def.group}/${def.version}` : `/api/${def.version}`;
      const list = body(get(path));
      assert.equal(list.kind, 'APIResourceList');
      const entry = list.resources.find((r: { name: string }) => r.name === def.resource);
      assert.ok(entry, `${def.resource} missing from ${path}`);
      assert.equal(entry.kind, def.kind);
      assert.equal(entry.singularName, def.singular);
      assert.equal(entry.namespaced, def.namespaced);
      assert.deepEqual(entry.verbs, [...def.verbs].sort());
      for (const sub of def.subresources) {
        assert.ok(
          list.resources.some((r: { name: string }) => r.name === `${def.resource}/${sub}`),
          sub,
        );
      }
    }
    const core = body(get('/api/v1')).resources;
    const byName = (n: string) => core.find((r: { name: string }) => r.name === n);
    assert.equal(byName('pods').storageVersionHash, 'xPOwRZ+Yhw8=');
    assert.deepEqual(byName('pods').shortNames, ['po']);
    assert.deepEqual(byName('pods').categories, ['all']);
    assert.deepEqual(byName('pods/binding'), {
      name: 'pods/binding',
      singularName: '',
      namespaced: true,
      kind: 'Binding',
      verbs: ['create'],
    });
    assert.deepEqual(
      [byName('pods/eviction').group, byName('pods/eviction').version, byName('pods/eviction').kind],
      ['policy', 'v1', 'Eviction'],
    );
    assert.deepEqual([byName('pods/log').kind, byName('pods/log').verbs], ['Pod', ['get']]);
    assert.deepEqual(
      [byName('pods/exec').kind, byName('pods/exec').verbs],
      ['PodExecOptions', ['create', 'get']],
    );
    assert.deepEqual(byName('pods/status').verbs, ['get', 'patch', 'update']);
    const scale = body(get('/apis/apps/v1')).resources.find(
      (r: { name: string }) => r.name === 'deployments/scale',
    );
    assert.deepEqual([scale.group, scale.version, scale.kind], ['autoscaling', 'v1', 'Scale']);
  });

  it('answers aggregated discovery when asked for it, as kubectl does', () => {
    const res = get('/apis', { accept: KUBECTL_ACCEPT });
    assert.equal(
      res?.headers?.['content-type'],
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    );
    const list = body(res);
    assert.equal(list.kind, 'APIGroupDiscoveryList');
    assert.equal(list.apiVersion, 'apidiscovery.k8s.io/v2');
    const apps = list.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'apps');
    const deployments = apps.versions[0].resources.find(
      (r: { resource: string }) => r.resource === 'deployments',
    );
    assert.equal(deployments.scope, 'Namespaced');
    assert.equal(deployments.singularResource, 'deployment');
    assert.deepEqual(deployments.responseKind, { group: 'apps', version: 'v1', kind: 'Deployment' });
    const scale = deployments.subresources.find((s: { subresource: string }) => s.subresource === 'scale');
    assert.deepEqual(scale.responseKind, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
    assert.equal(apps.versions[0].freshness, 'Current');

    const core = body(get('/api', { accept: KUBECTL_ACCEPT }));
    assert.equal(core.items.length, 1);
    const kinds = core.items[0].versions[0].resources.map(
      (r: { responseKind: { kind: string } }) => r.responseKind.kind,
    );
    for (const def of RESOURCES) if (!def.group) assert.ok(kinds.includes(def.kind), def.kind);
    const all = [...core.items, ...list.items].flatMap((i) =>
      i.versions.flatMap((v: { resources: { resource: string }[] }) => v.resources.map((r) => r.resource)),
    );
    assert.equal(all.length, RESOURCES.length);

    const beta = get('/apis', {
      accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
    });
    assert.equal(body(beta).apiVersion, 'apidiscovery.k8s.io/v2beta1');
  });

  it('parses Accept the way client-go writes it', () => {
    assert.equal(acceptedAggregatedVersion(KUBECTL_ACCEPT), 'v2');
    assert.equal(
      acceptedAggregatedVersion('application/json; as=APIGroupDiscoveryList;v=v2;g=apidiscovery.k8s.io'),
      'v2',
    );
    assert.equal(acceptedAggregatedVersion('application/json, */*'), undefined);
    assert.equal(acceptedAggregatedVersion(undefined), undefined);
  });

  it('revalidates with ETags and leaves other paths alone', () => {
    const first = get('/apis/apps/v1');
    const etag = first?.headers?.etag;
    assert.ok(etag);
    assert.equal(get('/apis/apps/v1', { 'if-none-match': etag })?.status, 304);
    assert.equal(get('/apis/apps/v1/deployments'), undefined);
    assert.equal(get('/apis/nope/v1'), undefined);
    assert.equal(get('/healthz'), undefined);
  });
});
