import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { lookupResource } from '../api/resources.js';
import { type RunningApiServer, startApiServer } from '../apiserver/serve.js';
import {
  certificateSans,
  certificateSubject,
  createCertificateAuthority,
  formatJoinToken,
  isIssuedBy,
  issueServingCertificate,
  matchesKey,
  parseJoinToken,
} from '../pki/index.js';
import { CA_PATH } from '../pki/join-protocol.js';
import { JoinError, joinCluster, nodeClient } from './join.js';

describe('joinCluster', () => {
  let root: string;
  let api: RunningApiServer;
  let tokenFile: string;
  let n = 0;
  const fresh = () => join(root, `agent-${n++}`);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'shoal-join-'));
    api = await startApiServer({
      dataDir: join(root, 'server'),
      host: '127.0.0.1',
      port: 0,
      store: { kind: 'sqlite', dataDir: join(root, 'server') },
    });
    tokenFile = api.identity.nodeTokenPath;
  });

  after(async () => {
    await api.close();
    await rm(root, { recursive: true, force: true });
  });

  const opts = (dataDir: string, extra: Partial<Parameters<typeof joinCluster>[0]> = {}) => ({
    server: api.url,
    tokenFile,
    nodeName: 'worker-1',
    dataDir,
    servingAddresses: ['127.0.0.1', 'worker-1.local'],
    ...extra,
  });

  it('trades the token for node credentials kept under the data dir', async () => {
    const dataDir = fresh();
    const lines: string[] = [];
    const creds = await joinCluster(opts(dataDir, { log: (l) => lines.push(l) }));
    assert.match(lines.join('\n'), /joining .* as node worker-1 \(no credentials yet\)/);

    assert.equal(creds.caPem, api.identity.caPem);
    assert.deepEqual(certificateSubject(creds.certPem), {
      commonName: 'system:node:worker-1',
      organizations: ['system:nodes'],
    });
    assert.ok(isIssuedBy(creds.certPem, api.identity.ca) && matchesKey(creds.certPem, creds.keyPem));
    assert.ok(matchesKey(creds.servingCertPem, creds.servingKeyPem));
    assert.deepEqual(certificateSans(creds.servingCertPem), {
      ips: ['127.0.0.1'],
      dnsNames: ['worker-1.local'],
    });
    assert.notEqual(creds.keyPem, api.identity.servingKeyPem);

    const modes: Record<string, number> = {
      'pki/ca.crt': 0o644,
      'pki/node.crt': 0o644,
      'pki/node.key': 0o600,
      'pki/serving.crt': 0o644,
      'pki/serving.key': 0o600,
      'node.kubeconfig': 0o600,
    };
    for (const [f, mode] of Object.entries(modes)) {
      assert.equal((await stat(join(dataDir, f))).mode & 0o777, mode, f);
    }
    assert.equal((await stat(join(dataDir, 'pki'))).mode & 0o777, 0o700);

    const kc = parse(await readFile(creds.kubeconfigPath, 'utf8'));
    assert.equal(kc.clusters[0].cluster.server, api.url);
    assert.equal(kc.users[0].name, 'system:node:worker-1');
    assert.equal(Buffer.from(kc.users[0].user['client-key-data'], 'base64').toString(), creds.keyPem);

    // The credential works against the server.
    const client = nodeClient(creds);
    try {
      const list = await client.list(lookupResource('', 'v1', 'namespaces')!, undefined);
      assert.ok(list.items.length > 0);
    } finally {
      client.close();
    }
  });

  it('reuses valid credentials without calling the server', async () => {
    const dataDir = fresh();
    const first = await joinCluster(opts(dataDir));
    const lines: string[] = [];
    // Nothing listens on port 1: any network call would fail.
    const second = await joinCluster(
      opts(dataDir, { server: 'https://127.0.0.1:1', log: (l) => lines.push(l) }),
    );
    assert.equal(second.certPem, first.certPem);
    assert.equal(second.keyPem, first.keyPem);
    assert.equal(second.servingCertPem, first.servingCertPem);
    assert.match(lines.join('\n'), /reusing/);
    // Only the kubeconfig follows the new server address.
    assert.match(await readFile(second.kubeconfigPath, 'utf8'), /server: https:\/\/127\.0\.0\.1:1\n/);
  });

  it('joins again for another node name, a new address, or near expiry', async () => {
    const dataDir = fresh();
    const first = await joinCluster(opts(dataDir));
    const renamed = await joinCluster(opts(dataDir, { nodeName: 'worker-2' }));
    assert.equal(certificateSubject(renamed.certPem).commonName, 'system:node:worker-2');
    assert.notEqual(renamed.keyPem, first.keyPem);

    const lines: string[] = [];
    const moved = await joinCluster(
      opts(dataDir, { nodeName: 'worker-2', servingAddresses: ['10.1.2.3'], log: (l) => lines.push(l) }),
    );
    assert.deepEqual(certificateSans(moved.servingCertPem).ips, ['10.1.2.3']);
    assert.match(lines[0]!, /does not cover every serving address/);

    const later = new Date(Date.now() + 300 * 86_400_000);
    lines.length = 0;
    await joinCluster(
      opts(dataDir, {
        nodeName: 'worker-2',
        servingAddresses: ['10.1.2.3'],
        now: () => later,
        log: (l) => lines.push(l),
      }),
    );
    assert.match(lines[0]!, /expire soon/);
  });

  it('is refused with a wrong secret, and keeps nothing', async () => {
    const dataDir = fresh();
    const token = parseJoinToken(await readFile(tokenFile, 'utf8'));
    const wrong = join(root, 'wrong-token');
    const secret = token.secret.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    await writeFile(wrong, formatJoinToken({ ...token, secret }));
    await assert.rejects(
      joinCluster(opts(dataDir, { tokenFile: wrong })),
      (err: Error) =>
        err instanceof JoinError &&
        /refused the join token in .*wrong-token \(401 Unauthorized/.test(err.message),
    );
    await assert.rejects(stat(join(dataDir, 'pki/node.key')), /ENOENT/);
  });

  it('names the token file when it is missing or malformed', async () => {
    await assert.rejects(
      joinCluster(opts(fresh(), { tokenFile: join(root, 'absent') })),
      /cannot read the join token file .*absent/,
    );
    const bad = join(root, 'bad-token');
    await writeFile(bad, 'not a token\n');
    await assert.rejects(
      joinCluster(opts(fresh(), { tokenFile: bad })),
      /join token file .*bad-token holds a malformed join token/,
    );
  });

  it('checks its own inputs before anything else', async () => {
    await assert.rejects(
      joinCluster(opts(fresh(), { nodeName: 'Bad_Name' })),
      /invalid node name "Bad_Name"/,
    );
    await assert.rejects(
      joinCluster(opts(fresh(), { servingAddresses: ['no such thing'] })),
      /invalid serving address/,
    );
    await assert.rejects(joinCluster(opts(fresh(), { server: 'http://127.0.0.1:1' })), /needs https/);
  });

  describe('against a server whose CA is not the pinned one', () => {
    let impostor: https.Server;
    let url: string;
    const seen: { method: string; path: string; authorization?: string }[] = [];

    before(async () => {
      const ca = await createCertificateAuthority();
      const serving = await issueServingCertificate(ca, { sans: { ips: ['127.0.0.1'], dnsNames: [] } });
      impostor = https.createServer({ key: serving.keyPem, cert: serving.certPem }, (req, res) => {
        seen.push({
          method: req.method ?? '',
          path: req.url ?? '',
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        });
        if (req.url === CA_PATH) res.end(ca.certPem);
        else res.end('{}');
      });
      await new Promise<void>((r) => impostor.listen(0, '127.0.0.1', r));
      url = `https://127.0.0.1:${(impostor.address() as AddressInfo).port}`;
    });
    after(async () => {
      impostor.closeAllConnections();
      await new Promise((r) => impostor.close(r));
    });

    it('refuses before sending the token', async () => {
      await assert.rejects(
        joinCluster(opts(fresh(), { server: url })),
        (err: Error) =>
          err instanceof JoinError && /the server's CA does not match the join token in/.test(err.message),
      );
      assert.deepEqual(seen, [{ method: 'GET', path: CA_PATH }]);
    });
  });
});
