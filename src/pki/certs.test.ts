import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  certificateHash,
  certificateSans,
  certificateSubject,
  expiresWithin,
  generateKeyPem,
  isIssuedBy,
  matchesKey,
  parseSans,
  sansCover,
} from './cert-info.js';
import { createCertificateAuthority, issueClientCertificate, issueServingCertificate } from './certs.js';

const DAY = 86_400_000;

describe('certificate authority', () => {
  it('is a self-signed P-256 CA valid for ten years', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const ca = await createCertificateAuthority({ now });
    const cert = new X509Certificate(ca.certPem);
    assert.equal(cert.ca, true);
    assert.ok(cert.checkIssued(cert) && cert.verify(cert.publicKey));
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.match(cert.subject, /^CN=shoal-ca@\d+$/);
    const years = (Date.parse(cert.validTo) - now.getTime()) / (365 * DAY);
    assert.ok(years > 9.99 && years < 10.01, `valid for ${years} years`);
    assert.equal(ca.hash, certificateHash(ca.certPem));
    assert.match(ca.hash, /^[0-9a-f]{64}$/);
    // Positive serial number without a leading zero byte.
    assert.match(cert.serialNumber, /^[4-7][0-9A-F]{31}$/);
  });
});

describe('serving certificate', () => {
  it('carries the SANs, chains to the CA and is for server authentication', async () => {
    const ca = await createCertificateAuthority();
    const sans = parseSans(['127.0.0.1', '::1', 'localhost', 'Example.COM', '10.1.2.3']);
    const { certPem, keyPem } = await issueServingCertificate(ca, { sans });
    assert.ok(isIssuedBy(certPem, ca));
    assert.ok(matchesKey(certPem, keyPem));
    const cert = new X509Certificate(certPem);
    assert.equal(cert.ca, false);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.ok(cert.checkHost('example.com'));
    assert.ok(cert.checkIP('::1') && cert.checkIP('127.0.0.1') && cert.checkIP('10.1.2.3'));
    assert.deepEqual(certificateSans(certPem), {
      ips: ['127.0.0.1', '::1', '10.1.2.3'],
      dnsNames: ['localhost', 'example.com'],
    });
    assert.equal(expiresWithin(certPem, 300 * DAY), false);
    assert.equal(expiresWithin(certPem, 400 * DAY), true);
  });

  it('reuses a given key', async () => {
    const ca = await createCertificateAuthority();
    const keyPem = generateKeyPem();
    const issued = await issueServingCertificate(ca, { sans: parseSans(['localhost']), keyPem });
    assert.equal(issued.keyPem, keyPem);
    assert.ok(matchesKey(issued.certPem, keyPem));
  });

  it('is not issued by another CA', async () => {
    const [a, b] = await Promise.all([createCertificateAuthority(), createCertificateAuthority()]);
    const { certPem } = await issueServingCertificate(a, { sans: parseSans(['localhost']) });
    assert.equal(isIssuedBy(certPem, b), false);
  });
});

describe('client certificate', () => {
  it('names the user in CN and the groups in O', async () => {
    const ca = await createCertificateAuthority();
    const { certPem, keyPem } = await issueClientCertificate(ca, {
      commonName: 'system:node:worker-1',
      organizations: ['system:nodes', 'extra'],
      days: 30,
    });
    assert.ok(isIssuedBy(certPem, ca) && matchesKey(certPem, keyPem));
    assert.deepEqual(certificateSubject(certPem), {
      commonName: 'system:node:worker-1',
      organizations: ['system:nodes', 'extra'],
    });
    const cert = new X509Certificate(certPem);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    assert.equal(expiresWithin(certPem, 29 * DAY), false);
    assert.equal(expiresWithin(certPem, 31 * DAY), true);
  });

  it('certifies a public key the requester keeps the private half of', async () => {
    const ca = await createCertificateAuthority();
    const agentKey = generateKeyPem();
    const { createPublicKey } = await import('node:crypto');
    const publicKeyPem = createPublicKey(agentKey).export({ type: 'spki', format: 'pem' }) as string;
    const issued = await issueClientCertificate(ca, { commonName: 'system:node:n1', publicKeyPem });
    assert.equal(issued.keyPem, '');
    assert.ok(matchesKey(issued.certPem, agentKey));
  });

  it('needs a common name', async () => {
    const ca = await createCertificateAuthority();
    await assert.rejects(issueClientCertificate(ca, { commonName: '' }), /common name/);
  });
});

describe('subject alternative names', () => {
  it('sorts IPs from DNS names, normalizes and de-duplicates', () => {
    assert.deepEqual(
      parseSans(['0:0:0:0:0:0:0:1', '::1', '[fe80::1]', 'Host.Example', 'host.example', '*.apps.test']),
      {
        ips: ['::1', 'fe80::1'],
        dnsNames: ['host.example', '*.apps.test'],
      },
    );
  });

  it('rejects what is neither', () => {
    assert.throws(() => parseSans(['not a name']), /invalid TLS subject alternative name "not a name"/);
    assert.throws(() => parseSans(['-bad.example']), /invalid/);
  });

  it('covers when every wanted name is there, whatever the spelling', () => {
    const have = { ips: ['127.0.0.1', '0:0:0:0:0:0:0:1'], dnsNames: ['LOCALHOST'] };
    assert.ok(sansCover(have, { ips: ['::1'], dnsNames: ['localhost'] }));
    assert.ok(!sansCover(have, { ips: ['::1', '10.0.0.1'], dnsNames: [] }));
    assert.ok(!sansCover(have, { ips: [], dnsNames: ['example.com'] }));
  });
});
