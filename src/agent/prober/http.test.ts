import assert from 'node:assert/strict';
import {
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type RequestListener,
  type Server,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createCertificateAuthority, issueServingCertificate } from '../../pki/certs.js';
import { httpProbe, MAX_BODY_BYTES } from './http.js';
import type { HttpGetAction } from './spec.js';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

describe('httpProbe', () => {
  const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  let port = 0;
  const handler: RequestListener = (req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.on('error', () => {}); // the prober hangs up on purpose (body cap, timeouts)
    switch (req.url) {
      case '/ok':
        return res.writeHead(200).end('healthy');
      case '/fail':
        return res.writeHead(500).end('broken');
      case '/redirect':
        return res.writeHead(302, { location: '/ok' }).end();
      case '/elsewhere':
        // Same server, but another host name: kubelet does not follow.
        return res.writeHead(301, { location: `http://localhost:${port}/ok` }).end('moved');
      case '/loop':
        return res.writeHead(307, { location: '/loop' }).end();
      case '/slow':
        return; // never answers
      case '/slow-body':
        res.writeHead(200);
        return res.write('partial');
      case '/big':
        res.writeHead(200);
        return res.end('x'.repeat(1024 * 1024));
      default:
        return res.writeHead(404).end();
    }
  };
  const server = createHttpServer(handler);
  const probe = (path: string, extra: Partial<HttpGetAction> = {}, timeoutMs = 1000) =>
    httpProbe(
      { type: 'httpGet', scheme: 'http', host: '127.0.0.1', port, path, headers: [], ...extra },
      timeoutMs,
    );

  before(async () => {
    port = await listen(server);
  });
  after(() => close(server));

  it('2xx is success, with the body as output; sends kubelet headers and the probe headers', async () => {
    seen.length = 0;
    const outcome = await probe('/ok', {
      headers: [
        { name: 'X-Custom', value: 'a' },
        { name: 'x-custom', value: 'b' },
        { name: 'Host', value: 'web.example' },
      ],
    });
    assert.deepEqual(outcome, { result: 'success', output: 'healthy' });
    const { headers } = seen[0]!;
    assert.equal(headers['user-agent'], 'kube-probe/1.32');
    assert.equal(headers.accept, '*/*');
    assert.equal(headers['x-custom'], 'a, b');
    assert.equal(headers.host, 'web.example');
    assert.equal(headers.connection, 'close');
  });

  it('the probe may replace User-Agent and Accept', async () => {
    seen.length = 0;
    await probe('/ok', {
      headers: [
        { name: 'user-agent', value: 'mine' },
        { name: 'Accept', value: 'application/json' },
      ],
    });
    assert.equal(seen[0]!.headers['user-agent'], 'mine');
    assert.equal(seen[0]!.headers.accept, 'application/json');
  });

  it('a status of 400 or more fails with the status code', async () => {
    assert.deepEqual(await probe('/fail'), {
      result: 'failure',
      output: 'HTTP probe failed with statuscode: 500',
    });
    assert.deepEqual(await probe('/nope'), {
      result: 'failure',
      output: 'HTTP probe failed with statuscode: 404',
    });
  });

  it('follows a redirect on the same host', async () => {
    seen.length = 0;
    assert.deepEqual(await probe('/redirect'), { result: 'success', output: 'healthy' });
    assert.deepEqual(
      seen.map((s) => s.url),
      ['/redirect', '/ok'],
    );
  });

  it('does not follow a redirect to another host: success with a warning', async () => {
    seen.length = 0;
    assert.deepEqual(await probe('/elsewhere'), {
      result: 'warning',
      output: 'Probe terminated redirects, Response body: moved',
    });
    assert.deepEqual(
      seen.map((s) => s.url),
      ['/elsewhere'],
    );
  });

  it('gives up after 10 requests of a redirect loop', async () => {
    seen.length = 0;
    assert.deepEqual(await probe('/loop'), {
      result: 'failure',
      output: `Get "http://127.0.0.1:${port}/loop": stopped after 10 redirects`,
    });
    assert.equal(seen.length, 10);
  });

  it('times out waiting for the headers', async () => {
    const started = Date.now();
    assert.deepEqual(await probe('/slow', {}, 200), {
      result: 'failure',
      output: `Get "http://127.0.0.1:${port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    });
    assert.ok(Date.now() - started < 2000);
  });

  it('times out reading a body that stops coming', async () => {
    assert.deepEqual(await probe('/slow-body', {}, 200), {
      result: 'failure',
      output: `Get "http://127.0.0.1:${port}/slow-body": context deadline exceeded (Client.Timeout or context cancellation while reading body)`,
    });
  });

  it('reads at most 10 KiB of the body', async () => {
    const outcome = await probe('/big');
    assert.equal(outcome.result, 'success');
    assert.equal(outcome.output.length, MAX_BODY_BYTES);
  });

  it('a refused connection fails with the dial error', async () => {
    const spare = createHttpServer();
    const closed = await listen(spare);
    await close(spare);
    assert.deepEqual(
      await httpProbe(
        { type: 'httpGet', scheme: 'http', host: '127.0.0.1', port: closed, path: '/', headers: [] },
        1000,
      ),
      {
        result: 'failure',
        output: `Get "http://127.0.0.1:${closed}/": dial tcp 127.0.0.1:${closed}: connect: connection refused`,
      },
    );
  });

  it('HTTPS with a certificate nobody trusts still probes (no verification)', async () => {
    const ca = await createCertificateAuthority();
    const cert = await issueServingCertificate(ca, { sans: { ips: ['127.0.0.1'], dnsNames: [] } });
    const tls = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, handler);
    const tlsPort = await listen(tls);
    try {
      const action: HttpGetAction = {
        type: 'httpGet',
        scheme: 'https',
        host: '127.0.0.1',
        port: tlsPort,
        path: '/ok',
        headers: [],
      };
      assert.deepEqual(await httpProbe(action, 2000), { result: 'success', output: 'healthy' });
      assert.deepEqual(await httpProbe({ ...action, path: '/fail' }, 2000), {
        result: 'failure',
        output: 'HTTP probe failed with statuscode: 500',
      });
    } finally {
      await close(tls);
    }
  });
});
