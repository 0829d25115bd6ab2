/**
 * The client against a real API server (in-process, plain HTTP, bearer token, SQLite store, fake
 * per-kind machinery): CRUD, patch types, subresources, errors, watch and the informer.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../test/support/api-test-server.js';
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { lookupResource } from '../api/resources.js';
import { FakeClock } from '../util/fake-clock.js';
import { Informer } from './informer.js';
import { loadKubeconfig } from './kubeconfig.js';
import { Client, ConnectionError } from './rest.js';
import { GoneError, type WatchEvent } from './watch.js';

const CM = lookupResource('', 'v1', 'configmaps')!;
const NS = lookupResource('', 'v1', 'namespaces')!;
const DEPLOY = lookupResource('apps', 'v1', 'deployments')!;
const POD = lookupResource('', 'v1', 'pods')!;

let srv: TestServer;
let client: Client;
const warnings: string[] = [];

const cm = (
  name: string,
  data: Record<string, string> = {},
  labels: Record<string, string> = {},
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data,
});

before(async () => {
  srv = await startTestServer();
  client = Client.fromKubeconfig(loadKubeconfig({ path: srv.kubeconfig() }), {
    userAgent: 'shoal-test/1',
    onWarning: (w) => warnings.push(w),
  });
  for (const name of ['default', 'inf', 'gone']) await client.create(NS, undefined, { metadata: { name } });
});

after(async () => {
  client.close();
  await srv.close();
});

/** Wait until `check` passes, polling (for effects that arrive over a watch). */
async function eventually(check: () => void, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

describe('client CRUD', () => {
  it('creates, gets, updates, patches and deletes', async () => {
    const created = await client.create(CM, 'default', cm('one', { a: '1' }));
    assert.equal(created.metadata.namespace, 'default');
    assert.ok(created.metadata.uid);
    const got = await client.get(CM, 'default', 'one');
    assert.deepEqual(got, created);

    const updated = await client.update(CM, 'default', { ...got, data: { a: '2' } });
    assert.equal((updated.data as Record<string, string>).a, '2');
    await assert.rejects(client.update(CM, 'default', { ...got, data: { a: '3' } }), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 409);
      assert.equal(err.reason, 'Conflict');
      assert.match(err.message, /the object has been modified/);
      return true;
    });

    const merged = await client.patch(CM, 'default', 'one', 'merge', { data: { b: 'x' } });
    assert.deepEqual(merged.data, { a: '2', b: 'x' });
    const strategic = await client.patch(CM, 'default', 'one', 'strategic', '{"data":{"c":"y"}}');
    assert.deepEqual(strategic.data, { a: '2', b: 'x', c: 'y' });
    const applied = await client.apply(CM, 'default', cm('one', { a: 'applied' }), { fieldManager: 'test' });
    assert.equal((applied.data as Record<string, string>).a, 'applied');
    const fresh = await client.apply(CM, 'default', cm('by-apply'), { fieldManager: 'test' });
    assert.ok(fresh.metadata.uid, 'apply creates');

    const deleted = await client.delete(CM, 'default', 'one', { propagationPolicy: 'Background' });
    assert.equal(deleted.metadata.name, 'one');
    await assert.rejects(client.get(CM, 'default', 'one'), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 404);
      assert.equal(err.message, 'configmaps "one" not found');
      return true;
    });
  });

  it('passes query options: dryRun, fieldValidation, selectors, limit/continue', async () => {
    await client.create(CM, 'default', cm('dry'), { dryRun: true });
    await assert.rejects(client.get(CM, 'default', 'dry'), { code: 404 });
    await assert.rejects(
      client.create(CM, 'default', { ...cm('strict'), bogus: 1 }, { fieldValidation: 'Strict' }),
      { code: 400, message: 'strict decoding error: unknown field "bogus"' },
    );
    await client.create(CM, 'default', { ...cm('warned'), bogus: 1 }, { fieldValidation: 'Warn' });
    assert.ok(warnings.includes('unknown field "bogus"'), JSON.stringify(warnings));

    for (let i = 0; i < 5; i++)
      await client.create(CM, 'default', cm(`sel${i}`, {}, { sel: i % 2 ? 'odd' : 'even' }));
    const odd = await client.list(CM, 'default', { labelSelector: 'sel=odd' });
    assert.deepEqual(
      odd.items.map((o) => o.metadata.name),
      ['sel1', 'sel3'],
    );
    const byName = await client.list(CM, 'default', { fieldSelector: 'metadata.name=sel4' });
    assert.equal(byName.items.length, 1);
    const page = await client.list(CM, 'default', { labelSelector: 'sel', limit: 2 });
    assert.equal(page.items.length, 2);
    assert.ok(page.metadata.continue);
    const all = await client.listAll(CM, 'default', { labelSelector: 'sel', pageSize: 2 });
    assert.equal(all.items.length, 5);
    assert.ok(all.metadata.resourceVersion);
    const everywhere = await client.list(CM, undefined);
    assert.ok(everywhere.items.length >= 5, 'undefined namespace lists all namespaces');

    const gone = await client.deleteCollection(CM, 'default', { labelSelector: 'sel=even' });
    assert.equal(gone.items.length, 3);
    assert.equal((await client.list(CM, 'default', { labelSelector: 'sel' })).items.length, 2);
  });

  it('uses subresources: status, scale, binding', async () => {
    const dep = await client.create(DEPLOY, 'default', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } } },
    });
    const withStatus = await client.update(
      DEPLOY,
      'default',
      { ...dep, status: { replicas: 1 } },
      { subresource: 'status' },
    );
    assert.deepEqual(withStatus.status, { replicas: 1 });
    const scale = await client.get(DEPLOY, 'default', 'web', { subresource: 'scale' });
    assert.equal(scale.kind, 'Scale');
    const scaled = await client.patch(
      DEPLOY,
      'default',
      'web',
      'merge',
      { spec: { replicas: 4 } },
      { subresource: 'scale' },
    );
    assert.equal((scaled.spec as { replicas: number }).replicas, 4);

    await client.create(POD, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    });
    await client.bind('default', 'p', 'node-1');
    const pod = await client.get(POD, 'default', 'p');
    assert.equal((pod.spec as { nodeName: string }).nodeName, 'node-1');
    await assert.rejects(client.bind('default', 'p', 'node-2'), { code: 409 });
    await client.delete(POD, 'default', 'p', { gracePeriodSeconds: 0 });
  });

  it('reads tables', async () => {
    await client.create(CM, 'default', cm('tab', { k: 'v' }));
    const one = await client.table(CM, 'default', 'tab');
    assert.equal(one.kind, 'Table');
    assert.deepEqual(one.rows[0]!.cells.slice(0, 2), ['tab', 1]);
    const many = await client.table(CM, 'default', undefined, { includeObject: 'Metadata' });
    assert.ok(many.rows.length > 1);
    assert.equal(many.rows[0]!.object?.metadata?.namespace, 'default');
  });

  it('reports refusals and unreachable servers clearly', async () => {
    const anonymous = new Client({ server: srv.url });
    await assert.rejects(anonymous.list(CM, 'default'), { code: 401, reason: 'Unauthorized' });
    anonymous.close();
    await assert.rejects(client.create(CM, 'default', cm('Bad_Name')), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 422);
      assert.equal(err.status.details?.causes?.[0]?.field, 'metadata.name');
      return true;
    });
    assert.throws(() => client.path(CM, 'default', ''), /name is required/);
    await assert.rejects(client.get(CM, undefined, 'x'), /namespaced: a namespace is required/);

    const nowhere = new Client({ server: 'http://127.0.0.1:1' });
    await assert.rejects(nowhere.get(CM, 'default', 'x'), (err: unknown) => {
      assert.ok(err instanceof ConnectionError);
      assert.match(
        err.message,
        /unable to connect to the server at http:\/\/127\.0\.0\.1:1 .*connection refused/,
      );
      return true;
    });
    const aborted = new AbortController();
    aborted.abort(new Error('stop'));
    await assert.rejects(client.get(CM, 'default', 'x', { signal: aborted.signal }), /stop/);
  });
});

describe('client request targets', () => {
  it("sends the path and query a URL would, under the server URL's path prefix", async () => {
    const seen: string[] = [];
    const echo = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const { port } = echo.address() as AddressInfo;
    const prefixed = new Client({ server: `http://127.0.0.1:${port}/prefix/` });
    try {
      await prefixed.json('GET', '/api/v1/namespaces/a%2Fb/pods', {
        query: { labelSelector: 'app in (x, y)', limit: 5, watch: undefined },
      });
      await prefixed.json('GET', '/api/v1/pods?watch=true', { query: { resourceVersion: '7' } });
      await prefixed.json('GET', '/api/v1/x/../pods', { query: new URLSearchParams({ a: 'b c' }) });
      await prefixed.json('GET', '/api/v1/pods/with space');
      await prefixed.json('GET', '/api', { query: { dryRun: undefined } });
      assert.deepEqual(seen, [
        '/prefix/api/v1/namespaces/a%2Fb/pods?labelSelector=app+in+%28x%2C+y%29&limit=5',
        '/prefix/api/v1/pods?watch=true&resourceVersion=7',
        '/prefix/api/v1/pods?a=b+c',
        '/prefix/api/v1/pods/with%20space',
        '/prefix/api',
      ]);
    } finally {
      prefixed.close();
      await new Promise((resolve) => echo.close(resolve));
    }
  });
});

describe('client under server flow control', () => {
  it('sends a request refused with 429 and Retry-After again, and gives up after five tries', async () => {
    let refusals = 2;
    const bodies: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        bodies.push(body);
        if (req.url === '/never' || refusals-- > 0) {
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' });
          res.end(
            JSON.stringify({ kind: 'Status', status: 'Failure', message: 'too many requests', code: 429 }),
          );
          return;
        }
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new Client({ server: `http://127.0.0.1:${port}` });
    try {
      const res = await client.request('POST', '/create', { body: '{"a":1}' });
      assert.equal(res.statusCode, 201);
      assert.deepEqual(bodies, ['{"a":1}', '{"a":1}', '{"a":1}']);
      bodies.length = 0;
      await assert.rejects(client.json('GET', '/never'), /too many requests/);
      assert.equal(bodies.length, 5);
    } finally {
      client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('client on a Unix socket (undici)', () => {
  /** An HTTP server on a socket of its own; `handle` answers, every request is recorded. */
  async function socketServer(
    handle: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void,
  ) {
    const socketPath =
      process.platform === 'linux'
        ? `\0shoal-client-test-${process.pid}-${Math.random().toString(36).slice(2)}`
        : path.join(os.tmpdir(), `shoal-client-test-${process.pid}-${Date.now()}.sock`);
    const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        handle(req, body, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    return {
      socketPath,
      seen,
      server,
      close: () => new Promise((resolve) => server.close(resolve)),
    };
  }

  it('sends the path, headers and body, and returns status, headers, body and warnings', async () => {
    const srv = await socketServer((req, _body, res) => {
      if (req.url === '/prefix/api/v1/namespaces/default/pods/p/binding') {
        res.writeHead(201, { 'content-type': 'application/json', warning: '299 - "careful"' });
        res.end('{"kind":"Status","status":"Success","code":201}');
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: 'no' }),
        );
      }
    });
    const seenWarnings: string[] = [];
    const c = new Client({
      server: 'http://localhost/prefix',
      socketPath: srv.socketPath,
      token: 'secret',
      userAgent: 'socket-test/1',
      onWarning: (w) => seenWarnings.push(w),
    });
    try {
      await c.bind('default', 'p', 'n1');
      assert.equal(srv.seen.length, 1);
      const sent = srv.seen[0]!;
      assert.equal(sent.method, 'POST');
      assert.equal(sent.headers.authorization, 'Bearer secret');
      assert.equal(sent.headers['user-agent'], 'socket-test/1');
      assert.equal(sent.headers['content-type'], 'application/json');
      assert.equal(Number(sent.headers['content-length']), Buffer.byteLength(sent.body));
      assert.deepEqual(JSON.parse(sent.body).target, { apiVersion: 'v1', kind: 'Node', name: 'n1' });
      assert.deepEqual(seenWarnings, ['careful']);
      await assert.rejects(c.get(POD, 'default', 'missing', { resourceVersion: '0' }), (err: unknown) => {
        assert.ok(err instanceof ApiError);
        assert.equal(err.code, 404);
        return true;
      });
      assert.equal(srv.seen[1]!.url, '/prefix/api/v1/namespaces/default/pods/missing?resourceVersion=0');
    } finally {
      c.close();
      await srv.close();
    }
  });

  it('retries 429s, times out, aborts, and survives the server closing idle connections', async () => {
    let refusals = 1;
    const srv = await socketServer((req, _body, res) => {
      if (req.url === '/slow') return; // never answers
      if (req.url === '/busy' && refusals-- > 0) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' });
        res.end('{"kind":"Status","status":"Failure","code":429}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    srv.server.keepAliveTimeout = 50;
    const c = new Client({ server: 'http://localhost', socketPath: srv.socketPath, timeoutMs: 200 });
    try {
      assert.deepEqual(await c.json('GET', '/busy'), { ok: true });
      assert.equal(srv.seen.filter((r) => r.url === '/busy').length, 2);
      await assert.rejects(c.json('GET', '/slow'), (err: unknown) => {
        assert.ok(err instanceof ConnectionError);
        assert.match(err.message, /GET http:\/\/localhost\/slow timed out after 200 ms/);
        return true;
      });
      const aborted = new AbortController();
      setTimeout(() => aborted.abort(new Error('stopped by the caller')), 20);
      await assert.rejects(
        c.json('GET', '/slow', { signal: aborted.signal, timeoutMs: 0 }),
        /stopped by the caller/,
      );
      // The server drops the kept-alive connection after 50 ms; the next request still works.
      await new Promise((r) => setTimeout(r, 150));
      assert.deepEqual(await c.json('GET', '/again'), { ok: true });
    } finally {
      c.close();
      srv.server.closeAllConnections();
      await srv.close();
    }
    const gone = new Client({ server: 'http://localhost', socketPath: srv.socketPath });
    await assert.rejects(gone.json('GET', '/x'), (err: unknown) => {
      assert.ok(err instanceof ConnectionError);
      assert.match(
        err.message,
        /unable to connect to the server at http:\/\/localhost \(GET http:\/\/localhost\/x\)/,
      );
      return true;
    });
    gone.close();
  });
});

describe('client over HTTPS', () => {
  it('uses the kubeconfig shoal server writes: CA, client certificate, keep-alive', async () => {
    const tls = await startTestServer({ tls: true });
    try {
      const admin = Client.fromKubeconfig(loadKubeconfig({ path: tls.tls!.adminKubeconfig }));
      await admin.create(NS, undefined, { metadata: { name: 'default' } });
      const created = await admin.create(CM, 'default', cm('over-tls'));
      assert.equal((await admin.get(CM, 'default', 'over-tls')).metadata.uid, created.metadata.uid);
      const events: string[] = [];
      const ac = new AbortController();
      const watching = (async () => {
        for await (const e of admin.watch(CM, 'default', {
          resourceVersion: created.metadata.resourceVersion!,
          signal: ac.signal,
        }))
          if (e.type !== 'BOOKMARK') events.push(`${e.type} ${e.object.metadata.name}`);
      })();
      await admin.delete(CM, 'default', 'over-tls');
      await eventually(() => assert.deepEqual(events, ['DELETED over-tls']));
      ac.abort();
      await watching;
      admin.close();

      // Sequential and concurrent requests share kept-alive connections: one handshake each.
      let handshakes = 0;
      const countHandshake = () => handshakes++;
      tls.server.on('secureConnection', countHandshake);
      const token = new Client({ server: tls.url, ca: tls.tls!.caPem, token: 'test-token' });
      for (let i = 0; i < 20; i++) assert.equal((await token.list(CM, 'default')).kind, 'ConfigMapList');
      assert.equal(handshakes, 1);
      await Promise.all(Array.from({ length: 8 }, () => token.list(CM, 'default')));
      for (let i = 0; i < 20; i++) await token.get(CM, 'default', 'over-tls').catch(() => undefined);
      assert.ok(handshakes <= 8, `${handshakes} TLS handshakes for at most 8 requests at once`);
      tls.server.off('secureConnection', countHandshake);
      token.close();

      const garbled = new Client({ server: tls.url, cert: 'not a certificate', key: 'not a key' });
      await assert.rejects(garbled.list(CM, 'default'), (err: unknown) => {
        assert.ok(err instanceof ConnectionError);
        assert.match(err.message, /the TLS material for https:\/\/127\.0\.0\.1:\d+ .*cannot be used/);
        return true;
      });
      garbled.close();

      const noCerts = new Client({ server: tls.url, ca: tls.tls!.caPem });
      await assert.rejects(noCerts.list(CM, 'default'), { code: 401 });
      noCerts.close();

      const untrusted = new Client({ server: tls.url, token: 'test-token' });
      await assert.rejects(untrusted.list(CM, 'default'), (err: unknown) => {
        assert.ok(err instanceof ConnectionError);
        assert.match(
          err.message,
          /unable to connect to the server at https:\/\/127\.0\.0\.1:\d+ .*TLS: .*certificate/,
        );
        return true;
      });
      untrusted.close();
      const insecure = new Client({ server: tls.url, token: 'test-token', insecureSkipTlsVerify: true });
      assert.equal((await insecure.list(CM, 'default')).kind, 'ConfigMapList');
      insecure.close();
    } finally {
      await tls.close();
    }
  });
});

describe('client watch', () => {
  it('streams ADDED, MODIFIED, DELETED and BOOKMARK from a resourceVersion', async () => {
    const start = (await client.list(CM, 'default')).metadata.resourceVersion!;
    const ac = new AbortController();
    const seen: WatchEvent[] = [];
    const done = (async () => {
      for await (const ev of client.watch(CM, 'default', {
        resourceVersion: start,
        labelSelector: 'w=1',
        signal: ac.signal,
      })) {
        seen.push(ev);
      }
    })();
    await client.create(CM, 'default', cm('w1', {}, { w: '1' }));
    await client.patch(CM, 'default', 'w1', 'merge', { data: { x: '1' } });
    await client.delete(CM, 'default', 'w1');
    await eventually(() => {
      assert.deepEqual(
        seen.filter((e) => e.type !== 'BOOKMARK').map((e) => [e.type, e.object.metadata.name]),
        [
          ['ADDED', 'w1'],
          ['MODIFIED', 'w1'],
          ['DELETED', 'w1'],
        ],
      );
      assert.ok(seen.some((e) => e.type === 'BOOKMARK' && /^\d+$/.test(e.object.metadata.resourceVersion!)));
    });
    ac.abort();
    await done; // ends quietly on abort
  });

  it('throws GoneError for a compacted resourceVersion', async () => {
    const old = await client.create(CM, 'default', cm('old'));
    await client.delete(CM, 'default', 'old');
    await srv.store.compact(await srv.store.currentRevision());
    await assert.rejects(
      (async () => {
        for await (const _ of client.watch(CM, 'default', {
          resourceVersion: String(Number(old.metadata.resourceVersion) - 1),
        })) {
          // nothing expected
        }
      })(),
      (err: unknown) => {
        assert.ok(err instanceof GoneError);
        assert.equal(err.code, 410);
        return true;
      },
    );
  });
});

describe('informer', () => {
  it('syncs, sees every create/update/delete, and hands out frozen objects', async () => {
    await client.create(CM, 'inf', cm('pre'));
    const inf = new Informer(client, CM, { namespace: 'inf', pageSize: 1 });
    const log: string[] = [];
    inf.onAdd((o) => log.push(`add ${o.metadata.name}`));
    inf.onUpdate((a, b) =>
      log.push(`update ${a.metadata.name} ${JSON.stringify(a.data)}->${JSON.stringify(b.data)}`),
    );
    inf.onDelete((o) => log.push(`delete ${o.metadata.name}`));
    const ac = new AbortController();
    const running = inf.run(ac.signal);
    assert.equal(await inf.waitForSync(), true);
    assert.ok(inf.hasSynced());
    assert.deepEqual(log, ['add pre']);

    await client.create(CM, 'inf', cm('a', { v: '1' }));
    await client.patch(CM, 'inf', 'a', 'merge', { data: { v: '2' } });
    await client.delete(CM, 'inf', 'pre');
    await client.create(CM, 'inf', cm('b'));
    await client.create(CM, 'default', cm('elsewhere'));
    await eventually(() =>
      assert.deepEqual(log, ['add pre', 'add a', 'update a {"v":"1"}->{"v":"2"}', 'delete pre', 'add b']),
    );
    assert.deepEqual(inf.keys().sort(), ['inf/a', 'inf/b']);
    assert.deepEqual(inf.get('a', 'inf')?.data, { v: '2' });
    assert.equal(inf.list('inf').length, 2);
    assert.equal(inf.list('default').length, 0);
    const cached = inf.getByKey('inf/a')!;
    assert.equal(cached.kind, 'ConfigMap');
    assert.throws(() => {
      (cached.data as Record<string, string>).v = 'mutated';
    }, TypeError);
    const late: string[] = [];
    inf.onAdd((o) => late.push(o.metadata.name!));
    assert.deepEqual(late.sort(), ['a', 'b'], 'a late handler first sees the cache');
    ac.abort();
    await running;
  });

  it('relists after 410 Gone, reporting what changed while it was away', async () => {
    const clock = new FakeClock();
    await client.create(CM, 'gone', cm('stays', { v: '1' }));
    await client.create(CM, 'gone', cm('goes'));
    let lists = 0;
    const counting = Client.fromKubeconfig(loadKubeconfig({ path: srv.kubeconfig() }));
    const listAll = counting.listAll.bind(counting);
    counting.listAll = ((...args: Parameters<typeof listAll>) => {
      lists++;
      return listAll(...args);
    }) as typeof counting.listAll;
    const inf = new Informer(counting, CM, {
      namespace: 'gone',
      clock,
      backoff: { initialMs: 1000, maxMs: 4000, jitter: 0 },
      onError: (err) => errors.push(err),
    });
    const errors: unknown[] = [];
    const log: string[] = [];
    inf.onAdd((o) => log.push(`add ${o.metadata.name}`));
    inf.onUpdate((_a, b) => log.push(`update ${b.metadata.name} ${JSON.stringify(b.data)}`));
    inf.onDelete((o) => log.push(`delete ${o.metadata.name}`));
    const ac = new AbortController();
    const running = inf.run(ac.signal);
    await inf.waitForSync();
    await client.create(CM, 'gone', cm('seen'));
    await eventually(() => assert.ok(log.includes('add seen')));

    // Cut every connection: the informer loses its watch and backs off (on the fake clock).
    srv.server.closeAllConnections();
    await eventually(() => assert.equal(clock.pending, 1));
    assert.deepEqual(clock.sleeps, [1000]);
    assert.ok(errors.length >= 1);
    // Meanwhile: changes, and the history it would resume from is compacted away.
    await client.delete(CM, 'gone', 'goes');
    await client.patch(CM, 'gone', 'stays', 'merge', { data: { v: '2' } });
    await client.create(CM, 'gone', cm('new'));
    await srv.store.compact(await srv.store.currentRevision());
    await clock.advance(1000);
    await eventually(() =>
      assert.deepEqual(log.slice(3).sort(), ['add new', 'delete goes', 'update stays {"v":"2"}']),
    );
    assert.deepEqual(log.slice(0, 3).sort(), ['add goes', 'add stays', 'add seen'].sort());
    assert.deepEqual(inf.keys().sort(), ['gone/new', 'gone/seen', 'gone/stays']);
    assert.equal(lists, 2, 'the resumed watch got 410 and the informer listed again');
    // And it keeps watching after the relist.
    await client.create(CM, 'gone', cm('after'));
    await eventually(() => assert.ok(log.includes('add after')));
    assert.equal(lists, 2);
    ac.abort();
    await running;
    counting.close();
  });

  it('reconnects with capped exponential backoff while the server is unreachable', async () => {
    const clock = new FakeClock();
    const other = await startTestServer();
    const c = new Client({ server: other.url, token: 'test-token' });
    await c.create(NS, undefined, { metadata: { name: 'default' } });
    const inf = new Informer(c, CM, {
      namespace: 'default',
      clock,
      backoff: { initialMs: 100, maxMs: 400, jitter: 0 },
      onError: () => undefined,
    });
    const ac = new AbortController();
    const running = inf.run(ac.signal);
    await inf.waitForSync();
    await other.close();
    for (let i = 0; i < 5; i++) {
      await eventually(() => assert.equal(clock.pending, 1));
      await clock.advance(1000);
    }
    assert.deepEqual(clock.sleeps.slice(0, 5), [100, 200, 400, 400, 400]);
    ac.abort();
    await running;
    c.close();
  });

  it('starts the backoff over once a watch has been healthy, so a blip after an outage is retried at once', async () => {
    const clock = new FakeClock();
    const other = await startTestServer();
    const c = new Client({ server: other.url, token: 'test-token' });
    await c.create(NS, undefined, { metadata: { name: 'default' } });
    // The first three watches fail as if the server were unreachable (an outage grows the backoff).
    let refused = 3;
    const watch = c.watch.bind(c);
    c.watch = ((...args: Parameters<typeof watch>) => {
      if (refused-- > 0) {
        return (async function* () {
          yield* [];
          throw new ConnectionError(other.url, 'connect ECONNREFUSED');
        })();
      }
      return watch(...args);
    }) as typeof c.watch;
    const inf = new Informer(c, CM, {
      namespace: 'default',
      clock,
      backoff: { initialMs: 100, maxMs: 10_000, jitter: 0 },
      onError: () => undefined,
    });
    const ac = new AbortController();
    const running = inf.run(ac.signal);
    try {
      await inf.waitForSync();
      await eventually(() => assert.equal(clock.pending, 1));
      await clock.advance(10_000);
      assert.deepEqual(clock.sleeps, [100, 200, 400]);
      // The server is back: the watch works for a while, delivering an event.
      await c.create(CM, 'default', cm('seen'));
      await eventually(() => assert.ok(inf.get('seen', 'default')));
      await clock.advance(1000);
      // A blip: every connection cut. The retry comes after the first delay, not after 800 ms.
      other.server.closeAllConnections();
      await eventually(() => assert.equal(clock.pending, 1));
      assert.deepEqual(clock.sleeps, [100, 200, 400, 100]);
    } finally {
      ac.abort();
      await running;
      c.close();
      await other.close();
    }
  });
});
