import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { PIECE_BYTES, sendBody } from './large-body.js';

async function serve(body: string, done?: (err?: unknown) => void) {
  const server = http.createServer((_req, res) => {
    sendBody(res, 200, { 'content-type': 'application/json' }, body).then(
      () => done?.(),
      (err) => done?.(err),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/` };
}

describe('sendBody', () => {
  it('sends a large body whole, in pieces, multi-byte characters across their edges intact', async () => {
    // 'é' is two bytes in UTF-8: with an odd prefix, piece edges fall inside characters.
    const body = `x${'é'.repeat(PIECE_BYTES * 2)}`;
    const { server, url } = await serve(body);
    try {
      const res = await fetch(url);
      assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(body)));
      assert.equal(await res.text(), body);
    } finally {
      server.close();
    }
  });

  it('sends a small body at once', async () => {
    const { server, url } = await serve('{"kind":"List"}');
    try {
      const res = await fetch(url);
      assert.equal(await res.text(), '{"kind":"List"}');
    } finally {
      server.close();
    }
  });

  it('stops when the client goes away mid-body', async () => {
    let finished!: (err?: unknown) => void;
    const ended = new Promise<unknown>((resolve) => {
      finished = resolve;
    });
    const { server, url } = await serve('y'.repeat(PIECE_BYTES * 64), finished);
    try {
      await new Promise<void>((resolve) => {
        const req = http.get(url, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', () => undefined);
      });
      assert.equal(await ended, undefined);
    } finally {
      server.close();
    }
  });
});
