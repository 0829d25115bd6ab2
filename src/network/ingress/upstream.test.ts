import assert from 'node:assert/strict';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type ResponseHead, UpstreamConnection, UpstreamPool } from './upstream.js';

/**
 * A raw TCP backend: for each connection, once a request head arrives, it writes the case's
 * answer in the given pieces (a few ms apart, so the parser sees them split), then maybe closes.
 */
let answer: { pieces: string[]; close?: boolean } = { pieces: [] };
let server: net.Server;
let port = 0;

before(async () => {
  server = net.createServer((socket) => {
    let seen = '';
    socket.on('data', async (d) => {
      seen += d.toString('latin1');
      while (seen.includes('\r\n\r\n')) {
        seen = seen.slice(seen.indexOf('\r\n\r\n') + 4);
        const { pieces, close } = answer;
        for (const p of pieces) {
          socket.write(p, 'latin1');
          await new Promise((r) => setTimeout(r, 3));
        }
        if (close) socket.end();
      }
    });
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
after(() => server.close());

interface Outcome {
  head?: ResponseHead;
  body: string;
  error?: string;
  pooled: boolean;
}

async function exchange(pieces: string[], opts: { close?: boolean; method?: string } = {}): Promise<Outcome> {
  answer = { pieces, close: opts.close };
  const pool = new UpstreamPool();
  const conn = UpstreamConnection.connect(pool, '127.0.0.1', port, 'k', 1000);
  const out: Outcome = { body: '', pooled: false };
  await new Promise<void>((resolve) => {
    conn.begin(
      {
        onHead: (head) => {
          out.head = head;
        },
        onBody: (chunk, last) => {
          out.body += chunk.toString('latin1');
          if (last) {
            conn.release();
            resolve();
          }
        },
        onError: (err) => {
          out.error = err.message;
          resolve();
        },
      },
      `${opts.method ?? 'GET'} / HTTP/1.1\r\nHost: x\r\n\r\n`,
      opts.method === 'HEAD',
    );
  });
  out.pooled = pool.take('k') === conn;
  pool.destroy();
  conn.socket.destroy();
  return out;
}

const cases: {
  name: string;
  pieces: string[];
  close?: boolean;
  method?: string;
  status?: number;
  body?: string;
  pooled?: boolean;
  error?: RegExp;
}[] = [
  {
    name: 'Content-Length in one piece',
    pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n'],
    status: 200,
    body: 'ok\n',
    pooled: true,
  },
  {
    name: 'head and body split anywhere',
    pieces: ['HTTP/1.1 201 Cre', 'ated\r\nContent-Length: 5\r\n\r', '\nab', 'cde'],
    status: 201,
    body: 'abcde',
    pooled: true,
  },
  {
    name: 'chunked, split across chunk boundaries, with trailers dropped',
    pieces: [
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab',
      'c\r\nA;x=1\r',
      '\n0123456789\r\n0\r\nT: 1\r\n\r\n',
    ],
    status: 200,
    body: 'abc0123456789',
    pooled: true,
  },
  {
    name: '1xx heads are skipped',
    pieces: [
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx',
    ],
    status: 200,
    body: 'x',
    pooled: true,
  },
  {
    name: 'no body for HEAD, whatever Content-Length says',
    pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n'],
    method: 'HEAD',
    status: 200,
    body: '',
    pooled: true,
  },
  {
    name: 'no body for 204',
    pieces: ['HTTP/1.1 204 No Content\r\n\r\n'],
    status: 204,
    body: '',
    pooled: true,
  },
  {
    name: 'a body running to the close is not pooled',
    pieces: ['HTTP/1.1 200 OK\r\n\r\nall ', 'of it'],
    close: true,
    status: 200,
    body: 'all of it',
    pooled: false,
  },
  {
    name: 'Connection: close is not pooled',
    pieces: ['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok'],
    status: 200,
    body: 'ok',
    pooled: false,
  },
  {
    name: 'HTTP/1.0 is not pooled',
    pieces: ['HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok'],
    status: 200,
    body: 'ok',
    pooled: false,
  },
  { name: 'a bad status line', pieces: ['HTTP/2 200 OK\r\n\r\n'], error: /bad status line/ },
  {
    name: 'a bad Content-Length',
    pieces: ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'],
    error: /bad Content-Length "-1"/,
  },
  {
    name: 'conflicting Content-Lengths',
    pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx'],
    error: /conflicting Content-Length/,
  },
  {
    name: 'bytes after the response',
    pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxy'],
    error: /bytes after the end of the response/,
  },
  {
    name: 'a close before the body is complete',
    pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort'],
    close: true,
    error: /closed by the backend before the response was complete/,
  },
];

describe('UpstreamConnection', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const out = await exchange(c.pieces, { close: c.close, method: c.method });
      if (c.error) {
        assert.match(out.error ?? '(no error)', c.error);
        return;
      }
      assert.equal(out.error, undefined);
      assert.equal(out.head?.status, c.status);
      assert.equal(out.body, c.body);
      assert.equal(out.pooled, c.pooled);
    });
  }

  it('reports a refused connection as not connected', async () => {
    const s = net.createServer().listen(0, '127.0.0.1');
    await once(s, 'listening');
    const dead = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    const conn = UpstreamConnection.connect(new UpstreamPool(), '127.0.0.1', dead, 'k', 1000);
    const err = await new Promise<Error>((resolve) => {
      conn.begin(
        { onHead: () => undefined, onBody: () => undefined, onError: resolve },
        'GET / HTTP/1.1\r\n\r\n',
        false,
      );
    });
    assert.match(err.message, /ECONNREFUSED/);
    assert.equal(conn.connected, false);
  });
});
