import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Engine } from './engine.js';

/** A fake Engine API on a unix socket: records each request and answers from `reply`. */
interface Seen {
  method: string;
  url: string;
  body: string;
  headers: http.IncomingHttpHeaders;
}

describe('Engine (Docker Engine API calls)', () => {
  let dir: string;
  let server: http.Server;
  let engine: Engine;
  const seen: Seen[] = [];
  let reply: (req: Seen) => { status: number; body: unknown } = () => ({ status: 200, body: {} });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-engine-'));
    const socketPath = join(dir, 'docker.sock');
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const s = { method: req.method ?? '', url: req.url ?? '', body, headers: req.headers };
        seen.push(s);
        const r = reply(s);
        res.writeHead(r.status, { 'content-type': 'application/json' });
        res.end(typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    engine = new Engine({ socketPath });
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a container with its name in the query and its configuration as the body', async () => {
    reply = () => ({ status: 201, body: { Id: 'abc123' } });
    const container = await engine.createContainer({ name: 'k8s_app_web', Image: 'busybox', Cmd: ['true'] });
    assert.equal(container.id, 'abc123');
    const req = seen.at(-1)!;
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/containers/create?name=k8s_app_web');
    assert.deepEqual(JSON.parse(req.body), { Image: 'busybox', Cmd: ['true'] });
  });

  it("turns the engine's error answer into an error with its status code and message", async () => {
    reply = () => ({ status: 409, body: { message: 'Conflict. The container name is already in use' } });
    await assert.rejects(engine.createContainer({ name: 'dup', Image: 'busybox' }), (err: Error) => {
      assert.equal((err as Error & { statusCode?: number }).statusCode, 409);
      assert.match(err.message, /already in use/);
      return true;
    });
  });

  it('lists containers with filters, and images', async () => {
    reply = (req) => ({
      status: 200,
      body: req.url.startsWith('/images') ? [{ Id: 'sha256:1' }] : [{ Id: 'c1' }],
    });
    const filters = JSON.stringify({ label: ['shoal.dev/node=n1'] });
    assert.deepEqual(await engine.listContainers({ all: true, filters }), [{ Id: 'c1' }]);
    const url = new URL(seen.at(-1)!.url, 'http://x');
    assert.equal(url.pathname, '/containers/json');
    assert.equal(url.searchParams.get('all'), 'true');
    assert.equal(url.searchParams.get('filters'), filters);
    assert.deepEqual(await engine.listImages(), [{ Id: 'sha256:1' }]);
    assert.equal(seen.at(-1)!.url, '/images/json');
  });

  it('pulls with the credentials in X-Registry-Auth, and streams the progress', async () => {
    reply = () => ({ status: 200, body: '{"status":"Pulling"}\n{"status":"Done"}\n' });
    const stream = await engine.pull(
      { username: 'u', password: 'p', serveraddress: 'r.example' },
      {
        fromImage: 'r.example/app',
        tag: '1',
      },
    );
    let text = '';
    for await (const chunk of stream) text += chunk.toString();
    assert.match(text, /Done/);
    const req = seen.at(-1)!;
    assert.equal(req.url, '/images/create?fromImage=r.example%2Fapp&tag=1');
    const auth = JSON.parse(Buffer.from(String(req.headers['x-registry-auth']), 'base64').toString());
    assert.equal(auth.username, 'u');
  });

  it('imports a root filesystem tar as the request body', async () => {
    reply = () => ({ status: 200, body: '{"status":"sha256:abc"}\n' });
    const stream = await engine.importImage(Readable.from([Buffer.from('TAR')]), {
      repo: 'shoal/pause',
      tag: '1',
    });
    stream.resume();
    await new Promise((resolve) => stream.on('end', resolve));
    const req = seen.at(-1)!;
    const url = new URL(req.url, 'http://x');
    assert.equal(url.searchParams.get('fromSrc'), '-');
    assert.equal(url.searchParams.get('repo'), 'shoal/pause');
    assert.equal(req.body, 'TAR');
    assert.equal(req.headers['content-type'], 'application/tar');
  });

  it("gives dockerode's Container and Image objects over the same transport", async () => {
    reply = () => ({ status: 200, body: { Id: 'abc123', State: { Running: true } } });
    const info = await engine.getContainer('abc123').inspect();
    assert.equal(info.State.Running, true);
    assert.equal(seen.at(-1)!.url, '/containers/abc123/json');
    reply = () => ({ status: 404, body: { message: 'No such image: nope' } });
    await assert.rejects(engine.getImage('nope').inspect(), /No such image/);
  });
});
