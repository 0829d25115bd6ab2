import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../api/errors.js';
import { decodeWatchStream, GoneError, WatchStreamError } from './watch.js';

async function* chunks(...parts: (string | Buffer | Error)[]): AsyncGenerator<Buffer | string> {
  for (const p of parts) {
    if (p instanceof Error) throw p;
    yield p;
  }
}

async function collect(source: AsyncIterable<Buffer | string>, signal?: AbortSignal) {
  const out: string[] = [];
  for await (const e of decodeWatchStream(source, signal ? { signal } : {}))
    out.push(
      `${e.type} ${(e.object as { metadata: { name?: string; resourceVersion?: string } }).metadata.name ?? e.object.metadata.resourceVersion}`,
    );
  return out;
}

describe('watch stream decoding', () => {
  it('splits events across and within chunks, including split UTF-8 characters', async () => {
    const line = (type: string, name: string) =>
      `{"type":"${type}","object":{"metadata":{"name":"${name}"}}}\n`;
    const snowman = Buffer.from(line('ADDED', 'é☃'));
    const split = snowman.indexOf(0xe2) + 1; // inside the 3-byte snowman
    const events = await collect(
      chunks(
        line('ADDED', 'a') + line('MODIFIED', 'a').slice(0, 10),
        line('MODIFIED', 'a').slice(10),
        snowman.subarray(0, split),
        snowman.subarray(split),
        '\n',
        '{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"42"}}}',
      ),
    );
    assert.deepEqual(events, ['ADDED a', 'MODIFIED a', 'ADDED é☃', 'BOOKMARK 42']);
  });

  it('throws GoneError for a 410 ERROR event and ApiError for others', async () => {
    const gone =
      '{"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old resource version: 5 (9)"}}\n';
    await assert.rejects(collect(chunks(gone)), (err: unknown) => {
      assert.ok(err instanceof GoneError);
      assert.equal(err.reason, 'Expired');
      assert.equal(err.message, 'too old resource version: 5 (9)');
      return true;
    });
    const other = '{"type":"ERROR","object":{"kind":"Status","code":500,"message":"boom"}}\n';
    await assert.rejects(
      collect(chunks(other)),
      (err: unknown) => err instanceof ApiError && !(err instanceof GoneError),
    );
  });

  it('reports broken streams and malformed lines, but ends quietly when aborted', async () => {
    await assert.rejects(collect(chunks('{"type":"ADDED"', new Error('socket hang up'))), WatchStreamError);
    await assert.rejects(collect(chunks('not json\n')), /malformed watch event/);
    const ac = new AbortController();
    ac.abort();
    assert.deepEqual(
      await collect(
        chunks('{"type":"ADDED","object":{"metadata":{"name":"x"}}}\n', new Error('aborted')),
        ac.signal,
      ),
      ['ADDED x'],
    );
  });
});
