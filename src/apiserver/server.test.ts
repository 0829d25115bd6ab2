/**
 * The API server's generic machinery over real HTTP and a real SQLite store, with fake per-kind
 * knowledge (no defaults, name-only validation, merge patches) so these tests pin down the
 * storage and protocol semantics on their own.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fakeMachinery } from '../../test/support/api-test-server.js';
import type { KubeObject } from '../api/object.js';
import { openSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { ApiServer, requestTarget } from './server.js';

let store: Store;
let server: http.Server;
let base: string;
let dir: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-api-'));
  store = await openSqliteStore({ dataDir: dir });
  const api = new ApiServer({
    store,
    machinery: fakeMachinery,
    printTable: (_def, objects) => ({
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      columnDefinitions: [{ name: 'Name', type: 'string' }],
      rows: objects.map((o) => ({ cells: [o.metadata.name] })),
    }),
    authenticate: (req) =>
      req.headers.authorization === 'Bearer test' ? { username: 'test', groups: [] } : undefined,
    watch: { bookmarkIntervalMs: 200, defaultTimeoutSeconds: 60 },
  });
  server = http.createServer(api.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const ns of ['default', 'other']) {
    await call('POST', '/api/v1/namespaces', { metadata: { name: ns } });
  }
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

async function call(
  method: string,
  urlPath: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const init: RequestInit = { method, headers: { authorization: 'Bearer test', ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + urlPath, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // plain text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

const cm = (name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data,
});

describe('API server core', () => {
  it('answers 401 without credentials, and health checks without them', async () => {
    const res = await fetch(`${base}/api/v1/namespaces`);
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { reason: string }).reason, 'Unauthorized');
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
  });

  it('creates with server-owned metadata, and reads it back', async () => {
    const created = await call('POST', '/api/v1/namespaces/default/configmaps', {
      ...cm('one'),
      metadata: { name: 'one', uid: 'mine', resourceVersion: '999' },
    });
    assert.equal(created.status, 201);
    const meta = created.body.metadata;
    assert.notEqual(meta.uid, 'mine');
    assert.match(meta.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(meta.namespace, 'default');
    assert.match(meta.resourceVersion, /^\d+$/);
    const got = await call('GET', '/api/v1/namespaces/default/configmaps/one');
    assert.deepEqual(got.body, created.body);
    const dup = await call('POST', '/api/v1/namespaces/default/configmaps', cm('one'));
    assert.equal(dup.status, 409);
    assert.equal(dup.body.reason, 'AlreadyExists');
    assert.equal(dup.body.message, 'configmaps "one" already exists');
  });

  it('fills generateName, refuses missing namespaces and mismatched kinds', async () => {
    const gen = await call('POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { generateName: 'gen-' },
    });
    assert.equal(gen.status, 201);
    assert.match(gen.body.metadata.name, /^gen-[a-z0-9]{5}$/);
    const noNs = await call('POST', '/api/v1/namespaces/nope/configmaps', cm('x'));
    assert.equal(noNs.status, 404);
    assert.equal(noNs.body.message, 'namespaces "nope" not found');
    const wrongKind = await call('POST', '/api/v1/namespaces/default/configmaps', {
      ...cm('x'),
      kind: 'Secret',
    });
    assert.equal(wrongKind.status, 400);
    const invalid = await call('POST', '/api/v1/namespaces/default/configmaps', cm('Bad_Name'));
    assert.equal(invalid.status, 422);
    assert.equal(invalid.body.reason, 'Invalid');
    assert.equal(invalid.body.details.causes[0].field, 'metadata.name');
  });

  it('turns a stale update into 409 and an unconditional one into a write', async () => {
    const created = (await call('POST', '/api/v1/namespaces/default/configmaps', cm('upd'))).body;
    const first = await call('PUT', '/api/v1/namespaces/default/configmaps/upd', {
      ...created,
      data: { a: '1' },
    });
    assert.equal(first.status, 200);
    assert.ok(Number(first.body.metadata.resourceVersion) > Number(created.metadata.resourceVersion));
    const stale = await call('PUT', '/api/v1/namespaces/default/configmaps/upd', {
      ...created,
      data: { a: '2' },
    });
    assert.equal(stale.status, 409);
    assert.equal(
      stale.body.message,
      'Operation cannot be fulfilled on configmaps "upd": the object has been modified; please apply your changes to the latest version and try again',
    );
    const { resourceVersion: _rv, ...metaWithoutRv } = created.metadata;
    const blind = await call('PUT', '/api/v1/namespaces/default/configmaps/upd', {
      ...created,
      metadata: metaWithoutRv,
      data: { a: '3' },
    });
    assert.equal(blind.status, 200);
    assert.equal(blind.body.data.a, '3');
    const renamed = await call('PUT', '/api/v1/namespaces/default/configmaps/upd', {
      ...created,
      metadata: { name: 'other' },
    });
    assert.equal(renamed.status, 400);
  });

  it('lists with label and field selectors and paginates consistently', async () => {
    for (let i = 0; i < 7; i++) {
      await call(
        'POST',
        '/api/v1/namespaces/other/configmaps',
        cm(`p${i}`, { tier: i % 2 ? 'odd' : 'even' }),
      );
    }
    const odd = await call('GET', '/api/v1/namespaces/other/configmaps?labelSelector=tier%3Dodd');
    assert.deepEqual(
      odd.body.items.map((o: KubeObject) => o.metadata.name),
      ['p1', 'p3', 'p5'],
    );
    assert.equal(odd.body.kind, 'ConfigMapList');
    const notIn = await call(
      'GET',
      `/api/v1/namespaces/other/configmaps?labelSelector=${encodeURIComponent('tier notin (odd)')}`,
    );
    assert.equal(notIn.body.items.length, 4);
    const byName = await call('GET', '/api/v1/namespaces/other/configmaps?fieldSelector=metadata.name%3Dp4');
    assert.deepEqual(
      byName.body.items.map((o: KubeObject) => o.metadata.name),
      ['p4'],
    );
    const badField = await call('GET', '/api/v1/namespaces/other/configmaps?fieldSelector=spec.foo%3D1');
    assert.equal(badField.status, 400);
    assert.match(badField.body.message, /field label not supported: spec.foo/);

    const page1 = await call('GET', '/api/v1/namespaces/other/configmaps?limit=2&labelSelector=tier%3Deven');
    assert.equal(page1.body.items.length, 2);
    assert.ok(page1.body.metadata.continue);
    await call('DELETE', '/api/v1/namespaces/other/configmaps/p6');
    const page2 = await call(
      'GET',
      `/api/v1/namespaces/other/configmaps?limit=2&labelSelector=tier%3Deven&continue=${page1.body.metadata.continue}`,
    );
    assert.deepEqual(
      [...page1.body.items, ...page2.body.items].map((o: KubeObject) => o.metadata.name),
      ['p0', 'p2', 'p4', 'p6'],
      'later pages show the list as of the first page',
    );
    assert.equal(page2.body.metadata.continue, undefined);
    const all = await call('GET', '/api/v1/configmaps');
    assert.ok(all.body.items.length >= 8, 'list across namespaces');
  });

  it('streams watch events, including DELETED when an object leaves the selector', async () => {
    const start = (await call('GET', '/api/v1/namespaces/default/configmaps')).body.metadata.resourceVersion;
    const ac = new AbortController();
    const res = await fetch(
      `${base}/api/v1/namespaces/default/configmaps?watch=1&labelSelector=w%3Dyes&resourceVersion=${start}&allowWatchBookmarks=true`,
      { headers: { authorization: 'Bearer test' }, signal: ac.signal },
    );
    assert.equal(res.status, 200);
    const created = (await call('POST', '/api/v1/namespaces/default/configmaps', cm('w1', { w: 'yes' })))
      .body;
    await call(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/w1',
      { data: { x: '1' } },
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    await call(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/w1',
      { metadata: { labels: { w: 'no' } } },
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    await call('POST', '/api/v1/namespaces/default/configmaps', cm('w2', { w: 'no' }));
    const reader = res.body!.getReader();
    const lines: any[] = [];
    let buf = '';
    const decoder = new TextDecoder();
    while (lines.filter((l) => l.type !== 'BOOKMARK').length < 3) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let i = buf.indexOf('\n');
      while (i >= 0) {
        lines.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
        i = buf.indexOf('\n');
      }
    }
    // Wait for a bookmark too.
    while (!lines.some((l) => l.type === 'BOOKMARK')) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let i = buf.indexOf('\n');
      while (i >= 0) {
        lines.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
        i = buf.indexOf('\n');
      }
    }
    ac.abort();
    const events = lines.filter((l) => l.type !== 'BOOKMARK');
    assert.deepEqual(
      events.map((l) => [l.type, l.object.metadata.name]),
      [
        ['ADDED', 'w1'],
        ['MODIFIED', 'w1'],
        ['DELETED', 'w1'],
      ],
    );
    assert.equal(events[0].object.metadata.uid, created.metadata.uid);
    assert.ok(lines.some((l) => l.type === 'BOOKMARK' && /^\d+$/.test(l.object.metadata.resourceVersion)));
  });

  it('streams a watch without selectors from the stored text, deletions at their own revision', async () => {
    const start = (await call('GET', '/api/v1/namespaces/other/configmaps')).body.metadata.resourceVersion;
    const ac = new AbortController();
    const res = await fetch(`${base}/api/v1/namespaces/other/configmaps?watch=1&resourceVersion=${start}`, {
      headers: { authorization: 'Bearer test' },
      signal: ac.signal,
    });
    assert.equal(res.status, 200);
    const created = (await call('POST', '/api/v1/namespaces/other/configmaps', cm('u1', { u: '1' }))).body;
    const patched = (
      await call(
        'PATCH',
        '/api/v1/namespaces/other/configmaps/u1',
        { data: { x: '1' } },
        {
          'content-type': 'application/merge-patch+json',
        },
      )
    ).body;
    await call('DELETE', '/api/v1/namespaces/other/configmaps/u1');
    const after = (await call('GET', '/api/v1/namespaces/other/configmaps')).body.metadata.resourceVersion;
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    while (buf.split('\n').length <= 3) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
    }
    ac.abort();
    const events = buf
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata.name, e.object.metadata.resourceVersion]),
      [
        ['ADDED', 'u1', created.metadata.resourceVersion],
        ['MODIFIED', 'u1', patched.metadata.resourceVersion],
        ['DELETED', 'u1', after],
      ],
    );
    assert.deepEqual(events[1].object.data, { x: '1' });
    assert.deepEqual(events[2].object.data, { x: '1' }, 'a deletion shows the last state');
    assert.equal(events[2].object.metadata.uid, created.metadata.uid);
  });

  it('reports a compacted watch start as a 410 ERROR event', async () => {
    const kv = (await call('POST', '/api/v1/namespaces/default/configmaps', cm('old'))).body;
    await call('DELETE', '/api/v1/namespaces/default/configmaps/old');
    await store.compact(await store.currentRevision());
    const res = await fetch(
      `${base}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${Number(kv.metadata.resourceVersion) - 1}`,
      { headers: { authorization: 'Bearer test' } },
    );
    const text = await res.text();
    const event = JSON.parse(text.trim().split('\n')[0]!);
    assert.equal(event.type, 'ERROR');
    assert.equal(event.object.code, 410);
    assert.equal(event.object.reason, 'Expired');
  });

  it('keeps the spec/status split and counts generations', async () => {
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } } },
      status: { replicas: 99 },
    };
    const created = (await call('POST', '/apis/apps/v1/namespaces/default/deployments', dep)).body;
    assert.equal(created.metadata.generation, 1);
    assert.deepEqual(created.status, {}, 'status is reset on create');
    const withStatus = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web/status', {
      ...created,
      spec: { replicas: 5 },
      status: { replicas: 1 },
    });
    assert.equal(withStatus.status, 200);
    assert.equal(withStatus.body.status.replicas, 1);
    assert.equal(withStatus.body.spec.replicas, 1, 'status writes leave spec alone');
    assert.equal(withStatus.body.metadata.generation, 1);
    const stored = await call('GET', '/apis/apps/v1/namespaces/default/deployments/web');
    assert.deepEqual(stored.body.spec, created.spec);
    const specChange = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web', {
      ...withStatus.body,
      spec: { ...withStatus.body.spec, replicas: 3 },
      status: { replicas: 0 },
    });
    assert.equal(specChange.body.metadata.generation, 2);
    assert.equal(specChange.body.status.replicas, 1, 'spec writes leave status alone');

    const scale = await call('GET', '/apis/apps/v1/namespaces/default/deployments/web/scale');
    assert.equal(scale.body.kind, 'Scale');
    assert.equal(scale.body.spec.replicas, 3);
    assert.equal(scale.body.status.selector, 'app=web');
    const scaled = await call(
      'PATCH',
      '/apis/apps/v1/namespaces/default/deployments/web/scale',
      { spec: { replicas: 7 } },
      { 'content-type': 'application/merge-patch+json' },
    );
    assert.equal(scaled.body.spec.replicas, 7);
    const after = await call('GET', '/apis/apps/v1/namespaces/default/deployments/web');
    assert.equal(after.body.spec.replicas, 7);
    assert.equal(after.body.metadata.generation, 3);
  });

  it('binds a pod once, and deletes a bound pod gracefully', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    };
    const created = await call('POST', '/api/v1/namespaces/default/pods', pod);
    assert.equal(created.body.status.phase, 'Pending');
    const invalid = await call('POST', '/api/v1/namespaces/default/pods/p/binding', {
      target: { kind: 'Node', name: 'Bad_Node!' },
    });
    assert.equal(invalid.status, 422);
    assert.equal(invalid.body.details.kind, 'Pod');
    assert.deepEqual(
      invalid.body.details.causes.map((c: { field: string }) => c.field),
      ['spec.nodeName'],
    );
    assert.equal((await call('GET', '/api/v1/namespaces/default/pods/p')).body.spec.nodeName, undefined);
    const bind = await call('POST', '/api/v1/namespaces/default/pods/p/binding', {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'p' },
      target: { kind: 'Node', name: 'node-1' },
    });
    assert.equal(bind.status, 201);
    const bound = (await call('GET', '/api/v1/namespaces/default/pods/p')).body;
    assert.equal(bound.spec.nodeName, 'node-1');
    assert.equal(
      bound.status.conditions.find((c: { type: string }) => c.type === 'PodScheduled').status,
      'True',
    );
    // As Kubernetes' binding, which writes the stored pod directly: no managedFields entry of its own.
    assert.deepEqual(bound.metadata.managedFields, created.body.metadata.managedFields);
    const again = await call('POST', '/api/v1/namespaces/default/pods/p/binding', {
      target: { kind: 'Node', name: 'node-2' },
    });
    assert.equal(again.status, 409);

    const del = await call('DELETE', '/api/v1/namespaces/default/pods/p', { gracePeriodSeconds: 30 });
    assert.equal(del.status, 200);
    assert.ok(del.body.metadata.deletionTimestamp, 'a bound pod waits for its node to stop it');
    assert.equal(del.body.metadata.deletionGracePeriodSeconds, 30);
    const force = await call('DELETE', '/api/v1/namespaces/default/pods/p?gracePeriodSeconds=0');
    assert.equal(force.status, 200);
    assert.equal((await call('GET', '/api/v1/namespaces/default/pods/p')).status, 404);
  });

  it('holds an object with finalizers until they are removed', async () => {
    const created = (
      await call('POST', '/api/v1/namespaces/default/configmaps', {
        ...cm('fin'),
        metadata: { name: 'fin', finalizers: ['example.com/hold'] },
      })
    ).body;
    const del = await call('DELETE', '/api/v1/namespaces/default/configmaps/fin');
    assert.ok(del.body.metadata.deletionTimestamp);
    assert.equal((await call('GET', '/api/v1/namespaces/default/configmaps/fin')).status, 200);
    const cleared = await call(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/fin',
      { metadata: { finalizers: null } },
      { 'content-type': 'application/merge-patch+json' },
    );
    assert.equal(cleared.status, 200);
    assert.equal((await call('GET', '/api/v1/namespaces/default/configmaps/fin')).status, 404);
    void created;
  });

  it('does not write on dryRun=All', async () => {
    const res = await call('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', cm('dry'));
    assert.equal(res.status, 201);
    assert.equal((await call('GET', '/api/v1/namespaces/default/configmaps/dry')).status, 404);
  });

  it('rejects unknown fields under Strict validation and warns under Warn', async () => {
    const strict = await call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', {
      ...cm('s1'),
      bogus: 1,
    });
    assert.equal(strict.status, 400);
    assert.equal(strict.body.message, 'strict decoding error: unknown field "bogus"');
    const dup = await call(
      'POST',
      '/api/v1/namespaces/default/configmaps?fieldValidation=Strict',
      '{"metadata":{"name":"s2"},"data":{"a":"1"},"data":{"b":"2"}}',
    );
    assert.equal(dup.status, 400);
    assert.match(dup.body.message, /duplicate field "data"/);
    const warn = await call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Warn', {
      ...cm('s3'),
      bogus: 1,
    });
    assert.equal(warn.status, 201);
    assert.match(warn.headers.get('warning') ?? '', /unknown field \\"bogus\\"/);
    const got = await call('GET', '/api/v1/namespaces/default/configmaps/s3');
    assert.deepEqual(warn.body, got.body, 'the answer is the object as stored, resourceVersion included');
    assert.equal(warn.body.bogus, undefined, 'an unknown field is dropped, as Kubernetes does, not stored');
  });

  it('refuses hostile bodies quickly and writes nothing', async () => {
    const big = await fetch(`${base}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { authorization: 'Bearer test', 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'big' }, data: { x: 'y'.repeat(4 * 1024 * 1024) } }),
    });
    assert.equal(big.status, 413);
    const deep = await call(
      'POST',
      '/api/v1/namespaces/default/configmaps',
      `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
    );
    assert.equal(deep.status, 400);
    const laughs = [
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
      'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]',
      'i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]',
      'metadata: {name: laughs}',
    ].join('\n');
    const t0 = performance.now();
    const lol = await call('POST', '/api/v1/namespaces/default/configmaps', laughs, {
      'content-type': 'application/yaml',
    });
    assert.ok(performance.now() - t0 < 1000);
    assert.equal(lol.status, 400);
    const malformed = await call('POST', '/api/v1/namespaces/default/configmaps', '{"metadata": {');
    assert.equal(malformed.status, 400);
    assert.match(malformed.body.message, /not valid JSON/);
    for (const name of ['big', 'laughs']) {
      assert.equal((await call('GET', `/api/v1/namespaces/default/configmaps/${name}`)).status, 404);
    }
  });

  it('serves tables and YAML when asked', async () => {
    const table = await call('GET', '/api/v1/namespaces/other/configmaps', undefined, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
    });
    assert.equal(table.body.kind, 'Table');
    assert.ok(table.body.metadata.resourceVersion);
    const yaml = await fetch(`${base}/api/v1/namespaces/default/configmaps/one`, {
      headers: { authorization: 'Bearer test', accept: 'application/yaml' },
    });
    assert.equal(yaml.headers.get('content-type'), 'application/yaml');
    assert.match(await yaml.text(), /^apiVersion: v1\nkind: ConfigMap\n/);
  });

  it('allocates each Service its own ClusterIP and NodePorts, and frees them on delete', async () => {
    const svc = (name: string, spec: Record<string, unknown> = {}) => ({
      metadata: { name },
      spec: { selector: { app: name }, ports: [{ port: 80, protocol: 'TCP' }], ...spec },
    });
    const a = (await call('POST', '/api/v1/namespaces/default/services', svc('a'))).body;
    const b = (await call('POST', '/api/v1/namespaces/default/services', svc('b', { type: 'NodePort' })))
      .body;
    assert.match(a.spec.clusterIP, /^10\.43\.\d+\.\d+$/);
    assert.deepEqual(a.spec.clusterIPs, [a.spec.clusterIP]);
    assert.notEqual(a.spec.clusterIP, b.spec.clusterIP);
    assert.ok(b.spec.ports[0].nodePort >= 30000 && b.spec.ports[0].nodePort <= 32767);
    assert.equal(a.spec.ports[0].nodePort, undefined);
    const headless = (
      await call('POST', '/api/v1/namespaces/default/services', svc('h', { clusterIP: 'None' }))
    ).body;
    assert.equal(headless.spec.clusterIP, 'None');

    const taken = await call(
      'POST',
      '/api/v1/namespaces/default/services',
      svc('c', { clusterIP: a.spec.clusterIP }),
    );
    assert.equal(taken.status, 422);
    assert.match(taken.body.message, /provided IP is already allocated/);
    const outside = await call(
      'POST',
      '/api/v1/namespaces/default/services',
      svc('d', { clusterIP: '192.168.1.1' }),
    );
    assert.equal(outside.status, 422);

    // An update that leaves the address out keeps it.
    const { clusterIP: _ip, clusterIPs: _ips, ...rest } = a.spec;
    const updated = await call('PUT', '/api/v1/namespaces/default/services/a', {
      ...a,
      spec: { ...rest, type: 'NodePort' },
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.spec.clusterIP, a.spec.clusterIP);
    assert.ok(updated.body.spec.ports[0].nodePort >= 30000);

    assert.equal((await call('DELETE', '/api/v1/namespaces/default/services/a')).status, 200);
    assert.equal(await store.get(`/registry/ranges/serviceips/${a.spec.clusterIP}`), undefined);
    assert.equal(
      await store.get(`/registry/ranges/servicenodeports/${updated.body.spec.ports[0].nodePort}`),
      undefined,
    );
    const reused = await call(
      'POST',
      '/api/v1/namespaces/default/services',
      svc('e', { clusterIP: a.spec.clusterIP }),
    );
    assert.equal(reused.status, 201, 'a freed address can be taken again');
  });

  it('answers unknown paths and methods with Kubernetes statuses', async () => {
    assert.equal((await call('GET', '/api/v1/widgets')).status, 404);
    assert.equal((await call('PUT', '/api/v1/namespaces/default/configmaps')).status, 405);
    assert.equal((await call('GET', '/api/v1/namespaces/default/configmaps/one/status')).status, 404);
  });
});

describe('request targets', () => {
  it('splits a target into the path and query URL gives, plain or not', () => {
    for (const target of [
      '/api/v1/namespaces/default/pods/p/binding',
      '/api/v1/pods?watch=true&fieldSelector=status.phase%21%3DSucceeded&labelSelector=a+in+(x,y)',
      '/api/v1/pods?',
      '/api/v1/x/../pods?limit=1',
      '/api/./v1',
      '//evil/api',
      '/api/v1/pods?a=%22b%22#frag',
      '/api/v1/pods/a\\b',
      '/',
    ]) {
      const url = new URL(target, 'https://localhost');
      const got = requestTarget(target);
      assert.equal(got.path, url.pathname, target);
      assert.deepEqual([...got.query], [...url.searchParams], target);
    }
  });
});

describe('flow control seats', () => {
  it('a write waiting for its commit gives its seat back; the seat is not freed twice', async () => {
    const dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-api-seats-'));
    const real = await openSqliteStore({ dataDir: dir2 });
    // Commits wait at a gate while it is shut.
    let open!: () => void;
    let gate: Promise<void> | undefined;
    let atGate = 0;
    const shut = () => {
      gate = new Promise((r) => {
        open = r;
      });
    };
    const gated = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop !== 'txn') return Reflect.get(target, prop, receiver);
        return async (...args: Parameters<Store['txn']>) => {
          if (gate) {
            atGate++;
            await gate;
          }
          return target.txn(...args);
        };
      },
    });
    const api = new ApiServer({
      store: gated,
      machinery: fakeMachinery,
      printTable: () => ({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', columnDefinitions: [], rows: [] }),
      authenticate: () => ({ username: 'test', groups: [] }),
      flowControl: { seats: 1 },
    });
    const srv = http.createServer(api.handle);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/api/v1/namespaces`;
    const post = (name: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name } }),
      });
    try {
      shut();
      const first = post('waits-for-commit');
      // With the only seat held until the commit, this read would wait behind it.
      while (atGate === 0) await new Promise((r) => setTimeout(r, 5));
      assert.equal(api.flows.stats().executing, 0, 'the write waits for its commit without a seat');
      const read = await fetch(url);
      assert.equal(read.status, 200, 'served while the write waits for its commit');
      const second = post('also-waits');
      await new Promise((r) => setTimeout(r, 20));
      open();
      gate = undefined;
      assert.equal((await first).status, 201);
      assert.equal((await second).status, 201);
      assert.deepEqual(
        api.flows.stats(),
        { executing: 0, yielded: 0, waiting: 0, flows: 0 },
        'each seat freed once',
      );
    } finally {
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
      await real.close();
      fs.rmSync(dir2, { recursive: true, force: true });
    }
  });
});
