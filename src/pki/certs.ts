/**
 * Certificates of the cluster: a self-signed CA, serving certificates for the API server and
 * client certificates for users and nodes, shaped as Kubernetes (client-go's certutil, kubeadm)
 * makes them so that Go's TLS stack in kubectl accepts them:
 *
 * - ECDSA P-256 keys made by Node's crypto, stored as PKCS#8 PEM; ECDSA-SHA256 signatures.
 * - Positive random 127-bit serial numbers (Go rejects negative ones).
 * - CA: basicConstraints CA:TRUE (critical), keyUsage keyCertSign+cRLSign+digitalSignature.
 * - Leaves: keyUsage digitalSignature, extKeyUsage serverAuth or clientAuth, subject and authority
 *   key identifiers, validity backdated a few minutes against clock skew.
 * - Client identity as Kubernetes reads it: CN = user name, each O = a group.
 */
import {
  createPrivateKey,
  createPublicKey,
  X509Certificate as NodeX509Certificate,
  randomBytes,
  webcrypto,
} from 'node:crypto';
import { BACKDATE_MS, certificateHash, generateKeyPem, type SubjectAltNames } from './cert-info.js';
import { x509 } from './x509.js';

type CryptoKey = webcrypto.CryptoKey;

const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

const CA_DAYS = 3650;
const LEAF_DAYS = 365;

export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
  /** SHA-256 of the certificate's DER, lowercase hex: what join tokens pin. */
  hash: string;
  cert: x509.X509Certificate;
  signingKey: CryptoKey;
}

/** A certificate and, when this module made the key pair, its private key. */
export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

/** What a user's or node's client certificate says about it. */
export interface ClientCertificateRequest {
  /** The user name Kubernetes reads from the certificate, e.g. `system:node:worker-1`. */
  commonName: string;
  /** The groups, e.g. `['system:nodes']`. */
  organizations?: string[];
  days?: number;
  /**
   * The subject's public key (PEM, SPKI or a private key to derive it from). When given, the
   * private key stays with the requester and the result has `keyPem: ''`; when absent a P-256
   * key pair is made here.
   */
  publicKeyPem?: string;
  now?: Date;
}

function spkiDer(keyPem: string): Buffer {
  return createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
}

async function importSigningKey(keyPem: string): Promise<CryptoKey> {
  const der = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, EC_KEY, false, ['sign']);
}

async function importPublicKey(keyPem: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('spki', spkiDer(keyPem), EC_KEY, true, ['verify']);
}

function randomSerial(): string {
  const bytes = randomBytes(16);
  // Clear the sign bit and set the next one: positive, and no leading zero byte to strip.
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString('hex');
}

function validity(days: number, now: Date): { notBefore: Date; notAfter: Date } {
  return {
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + days * DAY_MS),
  };
}

/** A new self-signed cluster CA (CN `shoal-ca@<unix seconds>`, as k3s names its CAs). */
export async function createCertificateAuthority(
  opts: { days?: number; now?: Date } = {},
): Promise<CertificateAuthority> {
  const now = opts.now ?? new Date();
  const keyPem = generateKeyPem();
  const keys = { privateKey: await importSigningKey(keyPem), publicKey: await importPublicKey(keyPem) };
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [`shoal-ca@${Math.floor(now.getTime() / 1000)}`] }],
    ...validity(opts.days ?? CA_DAYS, now),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(spkiDer(keyPem)),
    ],
  });
  return loadCertificateAuthority(cert.toString('pem'), keyPem);
}

/** A CA from its PEM files; throws when the key does not belong to the certificate. */
export async function loadCertificateAuthority(
  certPem: string,
  keyPem: string,
): Promise<CertificateAuthority> {
  const cert = new x509.X509Certificate(certPem);
  const nodeCert = new NodeX509Certificate(certPem);
  if (!nodeCert.checkPrivateKey(createPrivateKey(keyPem))) {
    throw new Error('the CA private key does not match the CA certificate');
  }
  if (!nodeCert.ca) throw new Error('the CA certificate is not a CA (basicConstraints CA:FALSE)');
  return {
    certPem,
    keyPem,
    hash: certificateHash(certPem),
    cert,
    signingKey: await importSigningKey(keyPem),
  };
}

async function issue(
  ca: CertificateAuthority,
  p: { subject: x509.JsonName; publicKeyPem: string; days: number; now: Date; extensions: x509.Extension[] },
): Promise<string> {
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: p.subject,
    issuer: ca.cert.subjectName,
    ...validity(p.days, p.now),
    signingAlgorithm: SIGNING_ALGORITHM,
    publicKey: new Uint8Array(spkiDer(p.publicKeyPem)),
    signingKey: ca.signingKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      ...p.extensions,
      await x509.SubjectKeyIdentifierExtension.create(spkiDer(p.publicKeyPem)),
      await x509.AuthorityKeyIdentifierExtension.create(spkiDer(ca.keyPem)),
    ],
  });
  return cert.toString('pem');
}

/**
 * A serving certificate for `sans`, signed by `ca`. `keyPem` reuses an existing private key (so a
 * re-issue for new names changes only the certificate); `publicKeyPem` certifies a key whose
 * private half stays with the requester (a joining agent), and the result has `keyPem: ''`;
 * with neither a new key is made.
 */
export async function issueServingCertificate(
  ca: CertificateAuthority,
  opts: {
    sans: SubjectAltNames;
    commonName?: string;
    keyPem?: string;
    publicKeyPem?: string;
    days?: number;
    now?: Date;
  },
): Promise<IssuedCertificate> {
  const keyPem = opts.publicKeyPem ? '' : (opts.keyPem ?? generateKeyPem());
  const names: x509.JsonGeneralName[] = [
    ...opts.sans.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...opts.sans.ips.map((value) => ({ type: 'ip' as const, value })),
  ];
  const certPem = await issue(ca, {
    subject: [{ CN: [opts.commonName ?? 'shoal-apiserver'] }],
    publicKeyPem: opts.publicKeyPem ?? keyPem,
    days: opts.days ?? LEAF_DAYS,
    now: opts.now ?? new Date(),
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
    ],
  });
  return { certPem, keyPem };
}

/**
 * A client certificate for a user or node: Kubernetes reads CN as the user name and each O as a
 * group (the admin is CN=shoal-admin, O=system:masters; a node CN=system:node:NAME,
 * O=system:nodes).
 */
export async function issueClientCertificate(
  ca: CertificateAuthority,
  req: ClientCertificateRequest,
): Promise<IssuedCertificate> {
  if (!req.commonName) throw new Error('a client certificate needs a common name (the user name)');
  const keyPem = req.publicKeyPem ? '' : generateKeyPem();
  // Go's pkix.Name puts O before CN; kubectl and openssl print it the same way.
  const subject: x509.JsonName = [
    ...(req.organizations ?? []).map((o) => ({ O: [o] })),
    { CN: [req.commonName] },
  ];
  const certPem = await issue(ca, {
    subject,
    publicKeyPem: req.publicKeyPem ?? keyPem,
    days: req.days ?? LEAF_DAYS,
    now: req.now ?? new Date(),
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ],
  });
  return { certPem, keyPem };
}
