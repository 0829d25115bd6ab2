import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fakeMachinery } from '../../test/support/api-test-server.js';
import {
  certificateSans,
  certificateSubject,
  generateKeyPem,
  isIssuedBy,
  matchesKey,
} from '../pki/cert-info.js';
import { type CertificateAuthority, createCertificateAuthority } from '../pki/certs.js';
import { CA_PATH, JOIN_PATH } from '../pki/join-protocol.js';
import { openSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { caCertificateHandler, nodeJoinHandler } from './node-join.js';
import { ApiServer } from './server.js';

/** The join answer, or a Status. */
interface JoinReply {
  caPem: string;
  clientCertPem: string;
  servingCertPem: string;
  reason: string;
  message: string;
  details: { causes: { field: string; message: string }[] };
}

const publicPem = (keyPem: string) =>
  createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }) as string;

describe('node join endpoints', () => {
  let dir: string;
  let store: Store;
  let server: http.Server;
  let base: string;
  let ca: CertificateAuthority;
  const logged: string[] = [];
  const clientKey = generateKeyPem();
  const servingKey = generateKeyPem();
  const goodBody = () => ({
    nodeName: 'worker-1',
    clientPublicKeyPem: publicPem(clientKey),
    servingPublicKeyPem: publicPem(servingKey),
    servingAddresses: ['10.0.0.5', 'worker-1.example', '::1'],
  });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-join-'));
    store = await openSqliteStore({ dataDir: dir });
    ca = await createCertificateAuthority();
    const api = new ApiServer({
      store,
      machinery: fakeMachinery,
      printTable: () => ({}),
      // Two callers: a join token (a bootstrapper) and an ordinary user.
      authenticate: (req) => {
        if (req.headers.authorization === 'Bearer join')
          return { username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers'] };
        if (req.headers.authorization === 'Bearer user') return { username: 'alice', groups: ['devs'] };
        return undefined;
      },
      pathHandlers: [nodeJoinHandler({ ca, log: (l) => logged.push(l) })],
      publicPathHandlers: [caCertificateHandler(ca.certPem)],
    });
    server = http.createServer(api.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function join(body: unknown, token = 'join', contentType = 'application/json') {
    const res = await fetch(base + JOIN_PATH, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text) as JoinReply };
  }

  it('serves the CA certificate without credentials', async () => {
    const res = await fetch(base + CA_PATH);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-pem-file');
    assert.equal(await res.text(), ca.certPem);
    // Everything else still needs a credential.
    assert.equal((await fetch(`${base}/api`)).status, 401);
  });

  it('issues a node client certificate and a serving certificate for the given public keys', async () => {
    const { status, body } = await join(goodBody());
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.caPem, ca.certPem);

    assert.deepEqual(certificateSubject(body.clientCertPem), {
      commonName: 'system:node:worker-1',
      organizations: ['system:nodes'],
    });
    assert.ok(isIssuedBy(body.clientCertPem, ca));
    assert.ok(matchesKey(body.clientCertPem, clientKey), 'the client certificate is for the agent key');
    assert.ok(new X509Certificate(body.clientCertPem).keyUsage?.includes('1.3.6.1.5.5.7.3.2'));

    assert.ok(isIssuedBy(body.servingCertPem, ca));
    assert.ok(matchesKey(body.servingCertPem, servingKey));
    assert.deepEqual(certificateSans(body.servingCertPem), {
      ips: ['10.0.0.5', '::1'],
      dnsNames: ['worker-1.example'],
    });
    assert.ok(new X509Certificate(body.servingCertPem).keyUsage?.includes('1.3.6.1.5.5.7.3.1'));
    assert.match(logged.at(-1) ?? '', /worker-1 to system:bootstrap:abcdef/);
  });

  it('refuses callers that are not bootstrappers', async () => {
    const { status, body } = await join(goodBody(), 'user');
    assert.equal(status, 403);
    assert.equal(body.reason, 'Forbidden');
    assert.match(body.message, /User "alice" cannot join the cluster/);
    assert.equal((await join(goodBody(), 'nobody')).status, 401);
  });

  it('answers 405 to other methods', async () => {
    const res = await fetch(base + JOIN_PATH, { headers: { authorization: 'Bearer join' } });
    assert.equal(res.status, 405);
    assert.equal((await fetch(base + CA_PATH, { method: 'POST' })).status, 405);
  });

  it('says which field of a bad request is wrong', async () => {
    const rsaSmall = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
      type: 'spki',
      format: 'pem',
    }) as string;
    const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ['bad node name', { nodeName: 'Worker_1' }, 'nodeName', /lowercase RFC 1123 subdomain/],
      ['no node name', { nodeName: undefined }, 'nodeName', /Required value/],
      ['a private key', { clientPublicKeyPem: clientKey }, 'clientPublicKeyPem', /must be a public key/],
      ['not a key', { servingPublicKeyPem: 'hello' }, 'servingPublicKeyPem', /not a PEM public key/],
      ['weak RSA', { clientPublicKeyPem: rsaSmall }, 'clientPublicKeyPem', /1024 bits/],
      ['ed25519', { servingPublicKeyPem: ed }, 'servingPublicKeyPem', /unsupported key type ed25519/],
      ['bad address', { servingAddresses: ['10.0.0.1', 'not an address'] }, 'servingAddresses[1]', /IP/],
      ['wildcard', { servingAddresses: ['*.example.com'] }, 'servingAddresses[0]', /wildcard/],
      ['no addresses', { servingAddresses: [] }, 'servingAddresses', /at least one/],
    ];
    for (const [name, patch, fieldPath, message] of cases) {
      const { status, body } = await join({ ...goodBody(), ...patch });
      assert.equal(status, 422, name);
      assert.equal(body.reason, 'Invalid', name);
      const cause = body.details.causes.find((c) => c.field === fieldPath);
      assert.ok(cause, `${name}: ${JSON.stringify(body.details.causes)}`);
      assert.match(cause.message, message, name);
    }
  });

  it('rejects a body that is not a JSON object', async () => {
    assert.match((await join('[1]')).body.message, /must be a JSON object/);
    assert.match((await join('{"nodeName":')).body.message, /not valid JSON/);
    assert.equal((await join('{"nodeName":')).status, 400);
    assert.equal((await join(goodBody(), 'join', 'application/yaml')).status, 415);
  });
});
