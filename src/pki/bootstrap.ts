/**
 * The server's identity on disk: everything `shoal server` needs to speak HTTPS and to let its
 * admin and its nodes in, created on first start and loaded afterwards.
 *
 *     DIR/                        (created 0700 if missing; an existing one is left as it is)
 *       admin.kubeconfig    0600  cluster `shoal`, user `shoal-admin`, context `shoal`
 *       node-token          0600  SHOAL1::<ca-hash>::<id>.<secret>, for agents to join
 *       pki/                0700
 *         ca.crt  ca.key          cluster CA, 10 years        (key 0600, certificates 0644)
 *         server.crt server.key   serving certificate, 1 year
 *         admin.crt admin.key     CN=shoal-admin, O=system:masters, 1 year
 *         node-token.hash   0600  what the server checks join tokens against
 *         tokens.csv              optional static bearer tokens (Kubernetes' token file format)
 *
 * Idempotent: a second call with the same arguments writes nothing. What changes is repaired
 * narrowly: new SANs (or an expiring serving certificate) re-issue the serving certificate with
 * its existing key; an expiring or foreign admin certificate is re-issued and the kubeconfig
 * rewritten; a changed listen address rewrites only the kubeconfig. A CA is never replaced
 * silently: a CA certificate without its key (or the reverse) is an error to resolve by hand.
 */

import { chmod, mkdir, stat } from 'node:fs/promises';
import type { ServerOptions } from 'node:https';
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { buildHttpsServerOptions } from '../apiserver/authn/tls-options.js';
import {
  certificateSans,
  certificateSubject,
  expiresWithin,
  isDnsSan,
  isIssuedBy,
  matchesKey,
  parseSans,
  RENEW_BEFORE_MS,
  type SubjectAltNames,
  sansCover,
} from './cert-info.js';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  type IssuedCertificate,
  issueClientCertificate,
  issueServingCertificate,
  loadCertificateAuthority,
} from './certs.js';
import {
  ensureDir,
  PUBLIC_FILE_MODE,
  readIfExists,
  SECRET_DIR_MODE,
  SECRET_FILE_MODE,
  writeIfChanged,
} from './files.js';
import { ADMIN_GROUP, ADMIN_USER } from './identities.js';
import {
  formatJoinToken,
  formatStoredJoinToken,
  generateJoinToken,
  hashJoinToken,
  parseStoredJoinToken,
  type StoredJoinToken,
} from './join-token.js';
import { buildKubeconfig, serverUrl, specificListenHost } from './kubeconfig.js';

export interface ServerIdentityOptions {
  dataDir: string;
  /** The address the server listens on; a specific one is added to the SANs and the kubeconfig. */
  listenHost: string;
  listenPort: number;
  /** Extra SANs (`--tls-san`): IP addresses or DNS names. */
  tlsSans?: string[];
  /** For tests: the host name to certify (default os.hostname()) and the current time. */
  hostname?: string;
  now?: Date;
}

export interface ServerIdentity {
  dataDir: string;
  pkiDir: string;
  ca: CertificateAuthority;
  caPem: string;
  /** SHA-256 of the CA certificate's DER, hex: what join tokens pin. */
  caHash: string;
  /** Options for `https.createServer`: serving cert, CA for client certs, TLS ≥ 1.2. */
  tlsOptions: ServerOptions;
  servingCertPem: string;
  servingKeyPem: string;
  /** The SANs the serving certificate carries. */
  servingSans: SubjectAltNames;
  /** The URL written into the admin kubeconfig. */
  serverUrl: string;
  adminKubeconfigPath: string;
  /** DIR/node-token; it may have been deleted after distribution, the server does not need it. */
  nodeTokenPath: string;
  /** The join token the server accepts (hash only). */
  joinToken: StoredJoinToken;
  /** Where static bearer tokens are read from, if the file exists (StaticTokenAuthenticator.fromFile). */
  tokenFilePath: string;
  /** Files this call wrote, relative to dataDir; empty when everything was in place. */
  written: string[];
}

/** The SANs a server listening on `listenHost` should carry. */
function requiredSans(opts: { listenHost: string; tlsSans?: string[]; hostname?: string }): SubjectAltNames {
  const names = ['127.0.0.1', '::1', 'localhost'];
  const host = (opts.hostname ?? osHostname()).toLowerCase();
  if (isDnsSan(host)) names.push(host);
  const listen = specificListenHost(opts.listenHost);
  if (listen !== undefined && (isIP(listen) || isDnsSan(listen))) names.push(listen);
  return parseSans([...names, ...(opts.tlsSans ?? [])]);
}

async function tightenMode(path: string, mode: number): Promise<void> {
  const st = await stat(path);
  if ((st.mode & 0o777 & ~mode) !== 0) await chmod(path, mode);
}

export async function ensureServerIdentity(opts: ServerIdentityOptions): Promise<ServerIdentity> {
  const dataDir = opts.dataDir;
  const pkiDir = join(dataDir, 'pki');
  const now = opts.now ?? new Date();
  const written: string[] = [];
  const path = (name: string) => join(pkiDir, name);
  const write = async (rel: string, content: string, mode: number) => {
    if (await writeIfChanged(join(dataDir, rel), content, mode)) written.push(rel);
  };

  await mkdir(dataDir, { recursive: true, mode: SECRET_DIR_MODE });
  await ensureDir(pkiDir, SECRET_DIR_MODE);

  // 1. The cluster CA: loaded, or created when neither half exists.
  const [caCert, caKey] = await Promise.all([readIfExists(path('ca.crt')), readIfExists(path('ca.key'))]);
  let ca: CertificateAuthority;
  let newCa = false;
  if (caCert !== undefined && caKey !== undefined) {
    ca = await loadCertificateAuthority(caCert, caKey);
    await tightenMode(path('ca.key'), SECRET_FILE_MODE);
  } else if (caCert === undefined && caKey === undefined) {
    ca = await createCertificateAuthority({ now });
    newCa = true;
    await write('pki/ca.key', ca.keyPem, SECRET_FILE_MODE);
    await write('pki/ca.crt', ca.certPem, PUBLIC_FILE_MODE);
  } else {
    const missing = caCert === undefined ? 'ca.crt' : 'ca.key';
    throw new Error(
      `${pkiDir}/${missing} is missing but its other half exists: restore it, or remove both ca.crt and ca.key ` +
        'to create a new cluster CA (every node credential and kubeconfig will then have to be replaced)',
    );
  }

  /**
   * pki/NAME.crt and NAME.key, kept while they belong together, chain to this CA, are not about
   * to expire and pass `fits`; otherwise re-issued by `issue` and written. `issue` is given the
   * old key (unless the CA is new) for a certificate that may keep it.
   */
  const leaf = async (
    name: string,
    fits: (certPem: string) => boolean,
    issue: (oldKeyPem: string | undefined) => Promise<IssuedCertificate>,
  ): Promise<IssuedCertificate> => {
    const keyPem = await readIfExists(path(`${name}.key`));
    const certPem = await readIfExists(path(`${name}.crt`));
    if (
      !newCa &&
      keyPem !== undefined &&
      certPem !== undefined &&
      matchesKey(certPem, keyPem) &&
      isIssuedBy(certPem, ca) &&
      !expiresWithin(certPem, RENEW_BEFORE_MS, now) &&
      fits(certPem)
    ) {
      await tightenMode(path(`${name}.key`), SECRET_FILE_MODE);
      return { certPem, keyPem };
    }
    const issued = await issue(newCa ? undefined : keyPem);
    await write(`pki/${name}.key`, issued.keyPem, SECRET_FILE_MODE);
    await write(`pki/${name}.crt`, issued.certPem, PUBLIC_FILE_MODE);
    return issued;
  };

  // 2. The serving certificate: re-issued (keeping its key) when it no longer fits.
  const sans = requiredSans(opts);
  const serving = await leaf(
    'server',
    (cert) => sansCover(certificateSans(cert), sans),
    (keyPem) => issueServingCertificate(ca, { sans, now, ...(keyPem ? { keyPem } : {}) }),
  );

  // 3. The admin's client certificate.
  const admin = await leaf('admin', isAdminSubject, () =>
    issueClientCertificate(ca, { commonName: ADMIN_USER, organizations: [ADMIN_GROUP], now }),
  );

  // 4. The admin kubeconfig, rewritten only when its content would change.
  const url = serverUrl(opts.listenHost, opts.listenPort);
  await write(
    'admin.kubeconfig',
    buildKubeconfig({
      server: url,
      caPem: ca.certPem,
      clientCertPem: admin.certPem,
      clientKeyPem: admin.keyPem,
    }),
    SECRET_FILE_MODE,
  );

  // 5. The join token: kept while it pins this CA; the server keeps only its hash.
  const storedText = await readIfExists(path('node-token.hash'));
  let joinToken = storedText === undefined ? undefined : parseStoredOrUndefined(storedText);
  if (!joinToken || joinToken.caHash !== ca.hash) {
    const token = generateJoinToken(ca.hash);
    joinToken = hashJoinToken(token);
    await write('node-token', `${formatJoinToken(token)}\n`, SECRET_FILE_MODE);
    await write('pki/node-token.hash', `${formatStoredJoinToken(joinToken)}\n`, SECRET_FILE_MODE);
  } else {
    await tightenMode(path('node-token.hash'), SECRET_FILE_MODE);
  }

  return {
    dataDir,
    pkiDir,
    ca,
    caPem: ca.certPem,
    caHash: ca.hash,
    tlsOptions: buildHttpsServerOptions({
      keyPem: serving.keyPem,
      certPem: serving.certPem,
      caPem: ca.certPem,
    }),
    servingCertPem: serving.certPem,
    servingKeyPem: serving.keyPem,
    servingSans: certificateSans(serving.certPem),
    serverUrl: url,
    adminKubeconfigPath: join(dataDir, 'admin.kubeconfig'),
    nodeTokenPath: join(dataDir, 'node-token'),
    joinToken,
    tokenFilePath: path('tokens.csv'),
    written,
  };
}

function isAdminSubject(certPem: string): boolean {
  const s = certificateSubject(certPem);
  return s.commonName === ADMIN_USER && s.organizations.length === 1 && s.organizations[0] === ADMIN_GROUP;
}

function parseStoredOrUndefined(text: string): StoredJoinToken | undefined {
  try {
    return parseStoredJoinToken(text);
  } catch {
    return undefined;
  }
}
