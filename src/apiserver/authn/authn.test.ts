import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { errors } from '../../api/errors.js';
import { ensureServerIdentity, type ServerIdentity } from '../../pki/bootstrap.js';
import { parseSans } from '../../pki/cert-info.js';
import {
  createCertificateAuthority,
  issueClientCertificate,
  issueServingCertificate,
} from '../../pki/certs.js';
import { createRequestAuthenticator } from './request.js';
import { joinTokenAuthenticator, StaticTokenAuthenticator } from './token.js';

const KUBECTL = '/usr/bin/kubectl';
const run = promisify(execFile);

interface Reply {
  status: number;
  body: string;
}

interface ClientCreds {
  key?: string;
  cert?: string;
  token?: string;
}

describe('authentication over real HTTPS', () => {
  let root: string;
  let dataDir: string;
  let id: ServerIdentity;
  let server: Server;
  let port: number;
  let admin: { cert: string; key: string };
  let nodeToken: string;
  const seen: { username: string; groups: string[] }[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'shoal-authn-'));
    dataDir = join(root, 'data');
    id = await ensureServerIdentity({ dataDir, listenHost: '127.0.0.1', listenPort: 6443 });
    await writeFile(id.tokenFilePath, 'good-token-123,alice,uid-1,"devs,ops"\n');
    const authn = createRequestAuthenticator({
      tokenAuthenticators: [
        await StaticTokenAuthenticator.fromFile(id.tokenFilePath),
        joinTokenAuthenticator(() => id.joinToken),
      ],
    });
    // A trivial handler: 200 with the user name, or Kubernetes' 401 Status.
    server = createServer(id.tlsOptions, (req: IncomingMessage, res) => {
      authn
        .authenticate(req, req.socket as TLSSocket)
        .then((user) => {
          if (!user) {
            const status = errors.unauthorized().status;
            res.writeHead(status.code, { 'content-type': 'application/json' });
            res.end(JSON.stringify(status));
            return;
          }
          seen.push(user);
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(user.username);
        })
        .catch((err) => {
          res.writeHead(500);
          res.end(String(err));
        });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    // The kubeconfig follows the real port; nothing else changes.
    const again = await ensureServerIdentity({ dataDir, listenHost: '127.0.0.1', listenPort: port });
    assert.deepEqual(again.written, ['admin.kubeconfig']);
    const kc = parse(await readFile(id.adminKubeconfigPath, 'utf8'));
    const user = kc.users[0].user;
    admin = {
      cert: Buffer.from(user['client-certificate-data'], 'base64').toString(),
      key: Buffer.from(user['client-key-data'], 'base64').toString(),
    };
    nodeToken = (await readFile(id.nodeTokenPath, 'utf8')).trim();
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(root, { recursive: true, force: true });
  });

  function get(creds: ClientCreds, opts: { servername?: string } = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/api',
          ca: id.caPem,
          agent: false,
          ...(opts.servername ? { servername: opts.servername } : {}),
          ...(creds.key ? { key: creds.key, cert: creds.cert } : {}),
          headers: creds.token ? { authorization: `Bearer ${creds.token}` } : {},
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  it('accepts the admin client certificate from the kubeconfig', async () => {
    const r = await get(admin);
    assert.deepEqual(r, { status: 200, body: 'shoal-admin' });
    assert.deepEqual(seen.at(-1)?.groups, ['system:masters', 'system:authenticated']);
  });

  it('answers 401 with a Kubernetes Status when there is no credential', async () => {
    const r = await get({});
    assert.equal(r.status, 401);
    assert.deepEqual(JSON.parse(r.body), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
  });

  it('rejects a client certificate from a different CA', async () => {
    const other = await createCertificateAuthority();
    const forged = await issueClientCertificate(other, {
      commonName: 'shoal-admin',
      organizations: ['system:masters'],
    });
    const r = await get({ cert: forged.certPem, key: forged.keyPem });
    assert.equal(r.status, 401);
  });

  it('rejects a certificate of the right CA that is not for client authentication', async () => {
    const serving = await issueServingCertificate(id.ca, {
      sans: parseSans(['localhost']),
      commonName: 'shoal-admin',
    });
    const r = await get({ cert: serving.certPem, key: serving.keyPem });
    assert.equal(r.status, 401);
  });

  it('accepts a node credential issued later by the same CA', async () => {
    const node = await issueClientCertificate(id.ca, {
      commonName: 'system:node:worker-1',
      organizations: ['system:nodes'],
    });
    const r = await get({ cert: node.certPem, key: node.keyPem });
    assert.deepEqual(r, { status: 200, body: 'system:node:worker-1' });
  });

  it('accepts a valid bearer token and rejects a wrong one', async () => {
    assert.deepEqual(await get({ token: 'good-token-123' }), { status: 200, body: 'alice' });
    assert.deepEqual(seen.at(-1), {
      username: 'alice',
      uid: 'uid-1',
      groups: ['devs', 'ops', 'system:authenticated'],
    });
    assert.equal((await get({ token: 'good-token-124' })).status, 401);
    assert.equal((await get({ token: '' })).status, 401);
  });

  it('authenticates the node join token as a bootstrapper', async () => {
    const r = await get({ token: nodeToken });
    assert.equal(r.status, 200);
    assert.match(r.body, /^system:bootstrap:[a-z0-9]{6}$/);
    assert.deepEqual(seen.at(-1)?.groups, ['system:bootstrappers', 'system:authenticated']);
    const bare = nodeToken.split('::')[2]!;
    assert.equal((await get({ token: bare })).status, 200);
    assert.equal((await get({ token: `${bare.slice(0, -1)}${bare.endsWith('a') ? 'b' : 'a'}` })).status, 401);
  });

  it('serves a certificate valid for localhost and ::1 names', async () => {
    assert.equal((await get(admin, { servername: 'localhost' })).status, 200);
  });

  describe('with the real kubectl', { skip: !existsSync(KUBECTL) && `${KUBECTL} not installed` }, () => {
    const kubectl = (args: string[]) => {
      const child = run(KUBECTL, args, {
        env: { PATH: process.env.PATH ?? '', HOME: root },
        timeout: 30_000,
      });
      child.child.stdin?.end(); // never let kubectl wait for input
      return child;
    };

    it('uses admin.kubeconfig with default flags', async () => {
      const { stdout } = await kubectl(['--kubeconfig', id.adminKubeconfigPath, 'get', '--raw', '/anything']);
      assert.equal(stdout.trim(), 'shoal-admin');
    });

    it('uses a bearer token', async () => {
      const caFile = join(root, 'ca.crt');
      await writeFile(caFile, id.caPem);
      const { stdout } = await kubectl([
        '--kubeconfig',
        '/dev/null',
        '--server',
        `https://127.0.0.1:${port}`,
        '--certificate-authority',
        caFile,
        '--token',
        'good-token-123',
        'get',
        '--raw',
        '/anything',
      ]);
      assert.equal(stdout.trim(), 'alice');
    });

    it('reports Unauthorized for a wrong token', async () => {
      // (With no credential at all kubectl would prompt for a user name instead.)
      const caFile = join(root, 'ca.crt');
      await writeFile(caFile, id.caPem);
      await assert.rejects(
        kubectl([
          '--kubeconfig',
          '/dev/null',
          '--server',
          `https://127.0.0.1:${port}`,
          '--certificate-authority',
          caFile,
          '--token',
          'wrong-token',
          'get',
          '--raw',
          '/anything',
        ]),
        (err: { stderr: string }) => /You must be logged in to the server \(Unauthorized\)/.test(err.stderr),
      );
    });
  });
});
