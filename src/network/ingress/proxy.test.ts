import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { WebSocket, WebSocketServer } from 'ws';
import type { KubeObject } from '../../api/object.js';
import { createCertificateAuthority, issueServingCertificate } from '../../pki/certs.js';
import { MapCache } from '../object-cache.js';
import { backend, ingress, service, shoalClass, slice, tlsSecret } from './fixtures.js';
import { IngressProxy } from './proxy.js';
import { CANARY_WEIGHT_ANNOTATION } from './routes.js';

/** A backend on 127.0.0.1 answering with its name, the request's URL and headers, and body size. */
interface Backend {
  name: string;
  port: number;
  server: http.Server;
  requests: number;
}

async function startBackend(
  name: string,
  handler?: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<Backend> {
  const b: Backend = { name, port: 0, server: http.createServer(), requests: 0 };
  b.server.on('request', (req, res) => {
    b.requests++;
    if (handler) return handler(req, res);
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ name, url: req.url, headers: req.headers, bytes }));
    });
  });
  b.server.listen(0, '127.0.0.1');
  await once(b.server, 'listening');
  b.port = (b.server.address() as AddressInfo).port;
  return b;
}

/** A port nothing listens on (bound, then released). */
async function refusedPort(): Promise<number> {
  const s = http.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Answer {
  status: number;
  body: string;
  json: () => { name: string; url: string; headers: Record<string, string>; bytes: number };
}

const client = new http.Agent({ keepAlive: true, maxSockets: 32 });

function request(
  port: number,
  opts: {
    host?: string;
    path?: string;
    method?: string;
    headers?: Record<string, string>;
    body?: Buffer;
    /** A new connection instead of a pooled one. */
    fresh?: boolean;
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent: opts.fresh ? false : client,
        host: '127.0.0.1',
        port,
        path: opts.path ?? '/',
        method: opts.method ?? 'GET',
        headers: { host: opts.host ?? 'app.example.com', ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, body, json: () => JSON.parse(body) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Polls `check` every 5 ms for up to 2 s. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('IngressProxy', () => {
  const backends: Backend[] = [];
  let ingresses: MapCache;
  let services: MapCache;
  let slices: MapCache;
  let secrets: MapCache;
  let proxy: IngressProxy;
  let ports: { httpPort: number; httpsPort: number };
  const logs: string[] = [];

  async function addBackend(
    name: string,
    handler?: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  ): Promise<Backend> {
    const b = await startBackend(name, handler);
    backends.push(b);
    services.upsert(service(name, [{ name: 'http', port: 80, targetPort: 'http' }]));
    slices.upsert(slice(`${name}-1`, name, ['127.0.0.1'], [{ name: 'http', port: b.port }]));
    return b;
  }

  /** Points Service `name` at these ports of 127.0.0.1 (as if they were pods). */
  function setEndpoints(name: string, ports: number[]): void {
    for (const s of slices.list()) {
      if (s.metadata.name!.startsWith(`${name}-`)) slices.remove(s.metadata.name!, 'default');
    }
    ports.forEach((port, i) => {
      slices.upsert(slice(`${name}-${i + 1}`, name, ['127.0.0.1'], [{ name: 'http', port }]));
    });
  }

  /** Applies cache changes now rather than after the debounce. */
  function sync(): void {
    proxy.rebuild();
  }

  before(async () => {
    ingresses = new MapCache();
    services = new MapCache();
    slices = new MapCache();
    secrets = new MapCache();
    proxy = new IngressProxy({
      ingresses,
      ingressClasses: new MapCache([shoalClass()]),
      services,
      endpointSlices: slices,
      secrets,
      log: (l) => logs.push(l),
      debounceMs: 2,
      drainMs: 1000,
    });
    ports = await proxy.listen({ httpPort: 0, httpsPort: 0, host: '127.0.0.1' });
  });

  after(async () => {
    client.destroy();
    await proxy.close();
    await Promise.all(backends.map((b) => new Promise((r) => b.server.close(r))));
  });

  afterEach(() => {
    for (const i of ingresses.list()) ingresses.remove(i.metadata.name!, i.metadata.namespace);
    sync();
  });

  it('routes by host and path, with a default backend, and 404 when nothing matches', async () => {
    await addBackend('web');
    await addBackend('api');
    await addBackend('fallback');
    ingresses.upsert(
      ingress('site', [
        { host: 'app.example.com', path: '/', service: 'web', port: 'http' },
        { host: 'app.example.com', path: '/api', service: 'api', port: 80 },
        { host: '*.example.com', path: '/', service: 'api', port: 80 },
      ]),
    );
    // The debounced rebuild, not a forced one, picks the Ingress up.
    await eventually(() => proxy.table.match('app.example.com', '/') !== undefined, 'the new table');
    assert.equal((await request(ports.httpPort, { path: '/x' })).json().name, 'web');
    assert.equal((await request(ports.httpPort, { path: '/api/v1?q=1' })).json().name, 'api');
    assert.equal((await request(ports.httpPort, { path: '/api/v1?q=1' })).json().url, '/api/v1?q=1');
    assert.equal((await request(ports.httpPort, { host: 'other.example.com' })).json().name, 'api');

    const miss = await request(ports.httpPort, { host: 'nothing.org' });
    assert.equal(miss.status, 404);
    assert.equal(miss.body, '404 Not Found: no Ingress rule matches this host and path\n');

    ingresses.upsert(ingress('default', [], { defaultBackend: backend('fallback', 80) }));
    sync();
    assert.equal((await request(ports.httpPort, { host: 'nothing.org' })).json().name, 'fallback');
  });

  it('answers 503 saying why when the Service has no endpoints or does not exist', async () => {
    services.upsert(service('empty'));
    ingresses.upsert(
      ingress('x', [
        { host: 'e.example.com', service: 'empty', port: 80 },
        { host: 'm.example.com', service: 'missing', port: 80 },
      ]),
    );
    sync();
    const empty = await request(ports.httpPort, { host: 'e.example.com' });
    assert.equal(empty.status, 503);
    assert.equal(empty.body, '503 Service Unavailable: service default/empty has no ready endpoints\n');
    const missing = await request(ports.httpPort, { host: 'm.example.com' });
    assert.equal(missing.body, '503 Service Unavailable: service default/missing not found\n');
  });

  it('sets X-Forwarded-* and keeps the Host, and streams request bodies', async () => {
    await addBackend('echo');
    ingresses.upsert(ingress('echo', [{ host: 'echo.example.com', service: 'echo', port: 80 }]));
    sync();
    const plain = (await request(ports.httpPort, { host: 'echo.example.com:8080' })).json().headers;
    assert.equal(plain.host, 'echo.example.com:8080');
    assert.equal(plain['x-forwarded-for'], '127.0.0.1');
    assert.equal(plain['x-forwarded-proto'], 'http');
    assert.equal(plain['x-forwarded-host'], 'echo.example.com:8080');
    assert.equal(plain['x-forwarded-port'], String(ports.httpPort));

    const chained = await request(ports.httpPort, {
      host: 'echo.example.com',
      headers: {
        'x-forwarded-for': '203.0.113.7',
        'x-forwarded-proto': 'https',
        connection: 'x-secret',
        'x-secret': '1',
      },
    });
    const h = chained.json().headers;
    assert.equal(h['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-secret'], undefined, 'headers the Connection header names are hop-by-hop');

    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    const posted = await request(ports.httpPort, { host: 'echo.example.com', method: 'POST', body: big });
    assert.equal(posted.json().bytes, big.length);
  });

  it('pipes WebSocket upgrades to the backend', async () => {
    const b = await addBackend('ws');
    const wss = new WebSocketServer({ server: b.server });
    wss.on('connection', (socket, req) => {
      socket.on('message', (data) => socket.send(`${req.headers['x-forwarded-for']} says ${String(data)}`));
    });
    ingresses.upsert(ingress('ws', [{ host: 'ws.example.com', service: 'ws', port: 80 }]));
    sync();
    const ws = new WebSocket(`ws://127.0.0.1:${ports.httpPort}/chat`, {
      headers: { host: 'ws.example.com' },
    });
    await once(ws, 'open');
    // A table change while the WebSocket is open does not touch it.
    setEndpoints('ws', []);
    sync();
    ws.send('hello');
    const [reply] = await once(ws, 'message');
    assert.equal(String(reply), '127.0.0.1 says hello');
    ws.close();
    await once(ws, 'close');
    wss.close();

    const refused = new WebSocket(`ws://127.0.0.1:${ports.httpPort}/chat`, {
      headers: { host: 'ws.example.com' },
    });
    const [, res] = (await once(refused, 'unexpected-response')) as [unknown, http.IncomingMessage];
    assert.equal(res.statusCode, 503);
    refused.on('error', () => undefined);
    refused.terminate();
  });

  it('serves HTTPS with the certificate SNI names, and a fake one for other names', async () => {
    await addBackend('secure');
    const ca = await createCertificateAuthority();
    const cert = await issueServingCertificate(ca, {
      commonName: 'secure.example.com',
      sans: { dnsNames: ['secure.example.com'], ips: [] },
    });
    const wild = await issueServingCertificate(ca, {
      commonName: 'wildcard',
      sans: { dnsNames: ['*.wild.example.com'], ips: [] },
    });
    secrets.upsert(tlsSecret('secure-tls', cert.certPem, cert.keyPem));
    secrets.upsert(tlsSecret('wild-tls', wild.certPem, wild.keyPem));
    secrets.upsert({ ...tlsSecret('broken-tls', 'not a cert', 'not a key') });
    ingresses.upsert(
      ingress('secure', [{ host: 'secure.example.com', service: 'secure', port: 80 }], {
        tls: [
          { hosts: ['secure.example.com'], secretName: 'secure-tls' },
          { hosts: ['*.wild.example.com'], secretName: 'wild-tls' },
          { hosts: ['broken.example.com'], secretName: 'broken-tls' },
        ],
      }),
    );
    sync();

    const subjectFor = async (servername: string): Promise<string> => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port: ports.httpsPort,
        servername,
        rejectUnauthorized: false,
      });
      await once(socket, 'secureConnect');
      const cn = String(socket.getPeerCertificate().subject.CN);
      socket.destroy();
      return cn;
    };
    assert.equal(await subjectFor('secure.example.com'), 'secure.example.com');
    assert.equal(await subjectFor('a.wild.example.com'), 'wildcard');
    assert.equal(await subjectFor('unknown.example.com'), 'Shoal Ingress Controller Fake Certificate');
    assert.equal(await subjectFor('broken.example.com'), 'Shoal Ingress Controller Fake Certificate');
    assert.match(logs.join('\n'), /secret default\/broken-tls cannot serve TLS/);

    // The certificate is trusted for its name, and the backend learns the request came over HTTPS.
    const body = await new Promise<string>((resolve, reject) => {
      const req = tls.connect(
        { host: '127.0.0.1', port: ports.httpsPort, servername: 'secure.example.com', ca: ca.certPem },
        () => req.write('GET / HTTP/1.1\r\nHost: secure.example.com\r\nConnection: close\r\n\r\n'),
      );
      let data = '';
      req.on('data', (d) => {
        data += d;
      });
      req.on('end', () => resolve(data));
      req.on('error', reject);
    });
    assert.match(body, /^HTTP\/1\.1 200 /);
    assert.match(body, /"x-forwarded-proto":"https"/);

    // A renewed certificate (new resourceVersion) is served to new connections.
    const renewed = await issueServingCertificate(ca, {
      commonName: 'renewed',
      sans: { dnsNames: ['secure.example.com'], ips: [] },
    });
    const next = tlsSecret('secure-tls', renewed.certPem, renewed.keyPem);
    next.metadata.resourceVersion = '2';
    secrets.upsert(next);
    assert.equal(await subjectFor('secure.example.com'), 'renewed');
  });

  it('sends a canary its weight of requests (20% ± 3% of 5,000)', async () => {
    const main = await addBackend('main');
    const canary = await addBackend('canary');
    ingresses.upsert(ingress('main', [{ host: 'shop.example.com', service: 'main', port: 80 }]));
    ingresses.upsert(
      ingress('canary', [{ host: 'shop.example.com', service: 'canary', port: 80 }], {
        annotations: { [CANARY_WEIGHT_ANNOTATION]: '20' },
      }),
    );
    sync();
    main.requests = 0;
    canary.requests = 0;
    const total = 5000;
    let sent = 0;
    const worker = async () => {
      while (sent < total) {
        sent++;
        const r = await request(ports.httpPort, { host: 'shop.example.com' });
        assert.equal(r.status, 200);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    assert.equal(main.requests + canary.requests, total);
    const share = canary.requests / total;
    assert.ok(share >= 0.17 && share <= 0.23, `canary share ${share}`);
  });

  it('logs an invalid canary weight once and ignores that Ingress', async () => {
    await addBackend('stable');
    ingresses.upsert(ingress('stable', [{ host: 'st.example.com', service: 'stable', port: 80 }]));
    ingresses.upsert(
      ingress('bad-canary', [{ host: 'st.example.com', service: 'nothing', port: 80 }], {
        annotations: { [CANARY_WEIGHT_ANNOTATION]: 'half' },
      }),
    );
    sync();
    sync();
    assert.equal(logs.filter((l) => l.includes('bad-canary')).length, 1);
    for (let i = 0; i < 20; i++) {
      assert.equal((await request(ports.httpPort, { host: 'st.example.com' })).json().name, 'stable');
    }
  });

  it('retries a refused endpoint on another: no request fails', async () => {
    const live = await addBackend('flaky');
    const dead = await refusedPort();
    setEndpoints('flaky', [dead, live.port]);
    ingresses.upsert(ingress('flaky', [{ host: 'flaky.example.com', service: 'flaky', port: 80 }]));
    sync();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        request(ports.httpPort, {
          host: 'flaky.example.com',
          method: i % 2 ? 'POST' : 'GET',
          ...(i % 2 ? { body: Buffer.from('payload') } : {}),
        }),
      ),
    );
    assert.deepEqual(
      results.filter((r) => r.status !== 200),
      [],
    );
    assert.ok(results.filter((_, i) => i % 2).every((r) => r.json().bytes === 7));

    setEndpoints('flaky', [dead]);
    sync();
    const failed = await request(ports.httpPort, { host: 'flaky.example.com' });
    assert.equal(failed.status, 502);
    assert.match(
      failed.body,
      /^502 Bad Gateway: no endpoint of default\/flaky:80 answered \(last: 127\.0\.0\.1:\d+: connect ECONNREFUSED 127\.0\.0\.1:\d+\)\n$/,
    );
  });

  it('retries a request whose pooled connection the backend had closed', async () => {
    // The backend resets every connection when a second request arrives on it, as when its idle
    // timeout fires just as the proxy reuses the pooled socket; POST, so only that case retries.
    const used = new WeakSet<object>();
    const b = await addBackend('closer', (req, res) => {
      if (used.has(req.socket)) {
        req.socket.destroy();
        return;
      }
      used.add(req.socket);
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    ingresses.upsert(ingress('closer', [{ host: 'closer.example.com', service: 'closer', port: 80 }]));
    sync();
    for (let i = 0; i < 20; i++) {
      const r = await request(ports.httpPort, {
        host: 'closer.example.com',
        method: 'POST',
        body: Buffer.from('x'),
      });
      assert.equal(r.status, 200, `request ${i}: ${r.body}`);
    }
    assert.ok(b.requests > 25, `the proxy reused pooled connections (${b.requests} requests arrived)`);
  });

  it('recompiles for endpoint changes of routed Services only', async () => {
    await addBackend('routed');
    ingresses.upsert(ingress('routed', [{ host: 'routed.example.com', service: 'routed', port: 80 }]));
    sync();
    const before = proxy.table;
    services.upsert(service('unrouted'));
    slices.upsert(slice('unrouted-1', 'unrouted', ['127.0.0.1']));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(proxy.table, before, 'a change to a Service no route names keeps the table');
    setEndpoints('routed', [await refusedPort()]);
    await eventually(() => proxy.table !== before, 'the table recompiled for the routed Service');
  });

  it('lets a slow request finish on its endpoint when the table drops that endpoint', async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((r) => {
      release = r;
    });
    await addBackend('slow', (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first half, ');
      void released.then(() => res.end('second half'));
    });
    ingresses.upsert(ingress('slow', [{ host: 'slow.example.com', service: 'slow', port: 80 }]));
    sync();
    const pending = request(ports.httpPort, { host: 'slow.example.com' });
    await eventually(() => backends.some((b) => b.name === 'slow' && b.requests === 1), 'the slow request');
    setEndpoints('slow', []);
    ingresses.remove('slow', 'default');
    sync();
    assert.equal((await request(ports.httpPort, { host: 'slow.example.com' })).status, 404);
    release();
    const done = await pending;
    assert.equal(done.status, 200);
    assert.equal(done.body, 'first half, second half');
  });
});

describe('IngressProxy.close', () => {
  it('lets a request in flight finish, then stops listening', async () => {
    let release: () => void = () => undefined;
    const b = await startBackend('drain', (_req, res) => {
      release = () => res.end('done');
    });
    const proxy = new IngressProxy({
      ingresses: new MapCache([ingress('drain', [{ service: 'drain', port: 80 }])]),
      ingressClasses: new MapCache<KubeObject>([shoalClass()]),
      services: new MapCache([service('drain', [{ port: 80 }])]),
      endpointSlices: new MapCache([slice('drain-1', 'drain', ['127.0.0.1'], [{ port: b.port }])]),
      secrets: new MapCache(),
    });
    const ports = await proxy.listen({ httpPort: 0, httpsPort: 0, host: '127.0.0.1' });
    const pending = request(ports.httpPort);
    await eventually(() => b.requests === 1, 'the request to arrive');
    const closing = proxy.close();
    release();
    assert.equal((await pending).body, 'done');
    const started = Date.now();
    await closing;
    assert.ok(Date.now() - started < 1000, 'close waits for the request, not for the drain limit');
    await assert.rejects(request(ports.httpPort, { fresh: true }), /ECONNREFUSED/);
    await new Promise((r) => b.server.close(r));
  });
});
