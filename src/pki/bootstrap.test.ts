import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { ensureServerIdentity, type ServerIdentityOptions } from './bootstrap.js';
import { certificateSans, certificateSubject, isIssuedBy } from './cert-info.js';
import { parseJoinToken, verifyJoinToken } from './join-token.js';

const FILES: Record<string, number> = {
  'admin.kubeconfig': 0o600,
  'node-token': 0o600,
  'pki/ca.crt': 0o644,
  'pki/ca.key': 0o600,
  'pki/server.crt': 0o644,
  'pki/server.key': 0o600,
  'pki/admin.crt': 0o644,
  'pki/admin.key': 0o600,
  'pki/node-token.hash': 0o600,
};

interface Snapshot {
  [file: string]: { content: string; mtimeMs: number; ino: number };
}

async function snapshot(dir: string): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const f of Object.keys(FILES)) {
    const st = await stat(join(dir, f));
    out[f] = { content: await readFile(join(dir, f), 'utf8'), mtimeMs: st.mtimeMs, ino: st.ino };
  }
  return out;
}

function changedFiles(a: Snapshot, b: Snapshot): string[] {
  return Object.keys(FILES).filter(
    (f) => a[f]!.content !== b[f]!.content || a[f]!.mtimeMs !== b[f]!.mtimeMs || a[f]!.ino !== b[f]!.ino,
  );
}

describe('ensureServerIdentity', () => {
  let root: string;
  let n = 0;
  const fresh = async () => join(root, `data-${n++}`);
  const opts = (dataDir: string, extra: Partial<ServerIdentityOptions> = {}): ServerIdentityOptions => ({
    dataDir,
    listenHost: '127.0.0.1',
    listenPort: 6443,
    hostname: 'shoal-test-host',
    ...extra,
  });

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'shoal-pki-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates everything on first start, with the right modes', async () => {
    const dir = await fresh();
    const id = await ensureServerIdentity(opts(dir, { tlsSans: ['shoal.example.com', '192.0.2.7'] }));
    assert.deepEqual([...id.written].sort(), Object.keys(FILES).sort());
    for (const [f, mode] of Object.entries(FILES)) {
      assert.equal((await stat(join(dir, f))).mode & 0o777, mode, f);
    }
    assert.equal((await stat(join(dir, 'pki'))).mode & 0o777, 0o700);
    assert.deepEqual(
      (await readdir(join(dir, 'pki'))).sort(),
      Object.keys(FILES)
        .filter((f) => f.startsWith('pki/'))
        .map((f) => f.slice(4))
        .sort(),
    );

    assert.deepEqual(certificateSans(id.servingCertPem), {
      ips: ['127.0.0.1', '::1', '192.0.2.7'],
      dnsNames: ['localhost', 'shoal-test-host', 'shoal.example.com'],
    });
    assert.ok(isIssuedBy(id.servingCertPem, id.ca));
    assert.equal(id.serverUrl, 'https://127.0.0.1:6443');
    assert.equal(id.tlsOptions.requestCert, true);
    assert.equal(id.tlsOptions.rejectUnauthorized, false);
    assert.equal(id.tlsOptions.minVersion, 'TLSv1.2');

    // The kubeconfig: cluster shoal, user shoal-admin (CN=shoal-admin, O=system:masters), context shoal.
    const kc = parse(await readFile(id.adminKubeconfigPath, 'utf8'));
    assert.equal(kc['current-context'], 'shoal');
    assert.deepEqual(kc.contexts, [
      { name: 'shoal', context: { cluster: 'shoal', user: 'shoal-admin', namespace: 'default' } },
    ]);
    assert.equal(kc.clusters[0].name, 'shoal');
    assert.equal(kc.clusters[0].cluster.server, 'https://127.0.0.1:6443');
    assert.equal(
      Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString(),
      id.caPem,
    );
    assert.equal(kc.users[0].name, 'shoal-admin');
    const adminCert = Buffer.from(kc.users[0].user['client-certificate-data'], 'base64').toString();
    assert.deepEqual(certificateSubject(adminCert), {
      commonName: 'shoal-admin',
      organizations: ['system:masters'],
    });
    assert.ok(isIssuedBy(adminCert, id.ca));

    // The node token pins this CA and matches the stored hash; the hash file holds no secret.
    const token = parseJoinToken(await readFile(id.nodeTokenPath, 'utf8'));
    assert.equal(token.caHash, id.caHash);
    assert.ok(verifyJoinToken(token, id.joinToken));
    assert.ok(!(await readFile(join(dir, 'pki/node-token.hash'), 'utf8')).includes(token.secret));
  });

  it('loads the same identity on a second start and writes nothing', async () => {
    const dir = await fresh();
    const first = await ensureServerIdentity(opts(dir));
    const before = await snapshot(dir);
    const second = await ensureServerIdentity(opts(dir));
    assert.deepEqual(second.written, []);
    assert.deepEqual(changedFiles(before, await snapshot(dir)), []);
    assert.equal(second.caHash, first.caHash);
    assert.equal(second.servingCertPem, first.servingCertPem);
    assert.deepEqual(second.joinToken, first.joinToken);
  });

  it('re-issues only the serving certificate, with its key, for a new SAN', async () => {
    const dir = await fresh();
    const first = await ensureServerIdentity(opts(dir));
    const before = await snapshot(dir);
    const second = await ensureServerIdentity(opts(dir, { tlsSans: ['api.shoal.test', '2001:db8::5'] }));
    assert.deepEqual(second.written, ['pki/server.crt']);
    assert.deepEqual(changedFiles(before, await snapshot(dir)), ['pki/server.crt']);
    assert.equal(second.servingKeyPem, first.servingKeyPem);
    assert.equal(second.caHash, first.caHash);
    const sans = certificateSans(second.servingCertPem);
    assert.ok(sans.dnsNames.includes('api.shoal.test') && sans.ips.includes('2001:db8::5'));
    // Asking again for a subset changes nothing.
    const third = await ensureServerIdentity(opts(dir, { tlsSans: ['API.shoal.test'] }));
    assert.deepEqual(third.written, []);
  });

  it('rewrites only the kubeconfig when the listen address changes', async () => {
    const dir = await fresh();
    await ensureServerIdentity(opts(dir));
    const id = await ensureServerIdentity(opts(dir, { listenHost: '0.0.0.0', listenPort: 7443 }));
    assert.deepEqual(id.written, ['admin.kubeconfig']);
    assert.equal(id.serverUrl, 'https://127.0.0.1:7443');
    assert.match(await readFile(id.adminKubeconfigPath, 'utf8'), /server: https:\/\/127\.0\.0\.1:7443/);
  });

  it('re-issues leaves that are near expiry', async () => {
    const dir = await fresh();
    const first = await ensureServerIdentity(opts(dir));
    const later = new Date(Date.now() + 300 * 86_400_000);
    const id = await ensureServerIdentity(opts(dir, { now: later }));
    assert.deepEqual([...id.written].sort(), [
      'admin.kubeconfig',
      'pki/admin.crt',
      'pki/admin.key',
      'pki/server.crt',
    ]);
    assert.equal(id.caHash, first.caHash);
  });

  it('keeps the join token when node-token is deleted after distribution', async () => {
    const dir = await fresh();
    const first = await ensureServerIdentity(opts(dir));
    await rm(first.nodeTokenPath);
    const second = await ensureServerIdentity(opts(dir));
    assert.deepEqual(second.written, []);
    assert.deepEqual(second.joinToken, first.joinToken);
  });

  it('refuses to replace a CA whose key is missing', async () => {
    const dir = await fresh();
    await ensureServerIdentity(opts(dir));
    await rm(join(dir, 'pki/ca.key'));
    await assert.rejects(ensureServerIdentity(opts(dir)), /ca\.key is missing/);
  });

  it('tightens a key file left readable by others', async () => {
    const dir = await fresh();
    await ensureServerIdentity(opts(dir));
    const { chmod } = await import('node:fs/promises');
    await chmod(join(dir, 'pki/ca.key'), 0o644);
    await ensureServerIdentity(opts(dir));
    assert.equal((await stat(join(dir, 'pki/ca.key'))).mode & 0o777, 0o600);
  });

  it('rejects an invalid --tls-san', async () => {
    await assert.rejects(
      ensureServerIdentity(opts(await fresh(), { tlsSans: ['bad name'] })),
      /invalid TLS subject/,
    );
  });

  it('re-issues everything signed by a replaced CA', async () => {
    const dir = await fresh();
    const first = await ensureServerIdentity(opts(dir));
    await rm(join(dir, 'pki/ca.key'));
    await rm(join(dir, 'pki/ca.crt'));
    await writeFile(join(dir, 'unrelated'), 'x');
    const id = await ensureServerIdentity(opts(dir));
    assert.notEqual(id.caHash, first.caHash);
    assert.ok(isIssuedBy(id.servingCertPem, id.ca));
    assert.equal(parseJoinToken(await readFile(id.nodeTokenPath, 'utf8')).caHash, id.caHash);
    assert.ok(id.written.includes('pki/server.key') && id.written.includes('pki/node-token.hash'));
  });
});
