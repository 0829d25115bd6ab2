import assert from 'node:assert/strict';
import http2, { type IncomingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import protobuf from 'protobufjs/minimal.js';
import { decodeHealthCheckResponse, encodeHealthCheckRequest, grpcProbe } from './grpc.js';

function framed(message: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]);
}

describe('health check messages', () => {
  it('encodes the request: empty service writes nothing, a service is field 1', () => {
    assert.deepEqual([...encodeHealthCheckRequest(protobuf, '')], [0, 0, 0, 0, 0]);
    assert.deepEqual([...encodeHealthCheckRequest(protobuf, 'db')], [0, 0, 0, 0, 4, 0x0a, 2, 0x64, 0x62]);
  });

  it('decodes the response status, skipping fields it does not know', () => {
    assert.equal(decodeHealthCheckResponse(protobuf, framed(new Uint8Array())), 0);
    assert.equal(
      decodeHealthCheckResponse(protobuf, framed(protobuf.Writer.create().uint32(8).int32(2).finish())),
      2,
    );
    const withExtra = protobuf.Writer.create()
      .uint32((7 << 3) | 2)
      .string('later')
      .uint32(8)
      .int32(1)
      .finish();
    assert.equal(decodeHealthCheckResponse(protobuf, framed(withExtra)), 1);
  });

  it('rejects a broken frame, saying how', () => {
    assert.throws(
      () => decodeHealthCheckResponse(protobuf, Buffer.from([0, 0])),
      /shorter than a gRPC frame header/,
    );
    assert.throws(() => decodeHealthCheckResponse(protobuf, Buffer.from([1, 0, 0, 0, 0])), /compressed/);
    assert.throws(
      () => decodeHealthCheckResponse(protobuf, Buffer.from([0, 0, 0, 0, 9, 8])),
      /truncated \(1 of 9 bytes\)/,
    );
  });
});

describe('grpcProbe against an h2c health server', () => {
  /** Serving status per service; a missing service answers NOT_FOUND; "slow" never answers. */
  const statuses: Record<string, number> = { '': 1, db: 2 };
  let implemented = true;
  const requests: Array<{ service: string; headers: IncomingHttpHeaders }> = [];
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {}); // the prober hangs up on timeouts
    if (!implemented || headers[':path'] !== '/grpc.health.v1.Health/Check') {
      // Trailers-only: the status travels in the headers.
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': '12',
          'grpc-message': encodeURIComponent('unknown service grpc.health.v1.Health'),
        },
        { endStream: true },
      );
      return;
    }
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      const reader = protobuf.Reader.create(body.subarray(5));
      let service = '';
      while (reader.pos < reader.len) {
        const tag = reader.uint32();
        if (tag === 0x0a) service = reader.string();
        else reader.skipType(tag & 7);
      }
      requests.push({ service, headers });
      if (service === 'slow') return;
      const status = statuses[service];
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () =>
        stream.sendTrailers(
          status === undefined
            ? { 'grpc-status': '5', 'grpc-message': 'unknown service' }
            : { 'grpc-status': '0' },
        ),
      );
      stream.end(
        status === undefined ? undefined : framed(protobuf.Writer.create().uint32(8).int32(status).finish()),
      );
    });
  });
  let port = 0;
  const probe = (service: string, timeoutMs = 1000) =>
    grpcProbe({ type: 'grpc', host: '127.0.0.1', port, service }, timeoutMs);

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it('SERVING is success; the request names the service and carries the probe user agent', async () => {
    requests.length = 0;
    assert.deepEqual(await probe(''), { result: 'success', output: 'service healthy' });
    assert.equal(requests[0]!.service, '');
    assert.equal(requests[0]!.headers['content-type'], 'application/grpc');
    assert.equal(requests[0]!.headers['user-agent'], 'kube-probe/1.32');
  });

  it('NOT_SERVING fails, naming the status', async () => {
    requests.length = 0;
    assert.deepEqual(await probe('db'), {
      result: 'failure',
      output: 'service unhealthy (responded with "NOT_SERVING")',
    });
    assert.equal(requests[0]!.service, 'db');
  });

  it('an error status fails with the rpc error', async () => {
    assert.deepEqual(await probe('cache'), {
      result: 'failure',
      output: 'error: health rpc probe failed: rpc error: code = NotFound desc = unknown service',
    });
  });

  it('a server without the health service fails as unimplemented', async () => {
    implemented = false;
    try {
      assert.deepEqual(await probe(''), {
        result: 'failure',
        output:
          'error: this server does not implement the grpc health protocol (grpc.health.v1.Health): unknown service grpc.health.v1.Health',
      });
    } finally {
      implemented = true;
    }
  });

  it('times out when no answer comes', async () => {
    assert.deepEqual(await probe('slow', 200), {
      result: 'failure',
      output: 'timeout: health rpc did not complete within 200ms',
    });
  });

  it('fails with the dial error when nothing listens', async () => {
    const spare = http2.createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    const closed = (spare.address() as AddressInfo).port;
    await new Promise((resolve) => spare.close(resolve));
    assert.deepEqual(await grpcProbe({ type: 'grpc', host: '127.0.0.1', port: closed, service: '' }, 1000), {
      result: 'failure',
      output: `error: failed to connect service at "127.0.0.1:${closed}": dial tcp 127.0.0.1:${closed}: connect: connection refused`,
    });
  });
});
