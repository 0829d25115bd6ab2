/**
 * Joining a cluster: the agent turns the cluster's join token into its own credential and never
 * holds the admin one (kubeadm's TLS bootstrap, Docker Swarm's join).
 *
 * 1. Read the token `SHOAL1::<ca-hash>::<id>.<secret>`.
 * 2. Fetch the cluster CA from `GET /shoal/v1/ca.crt` without trusting the connection, and accept
 *    it only if its SHA-256 is the token's pin. Nothing secret has been sent yet.
 * 3. Make two P-256 key pairs here (client, serving) and `POST /shoal/v1/join` the public halves
 *    with the token as bearer, over TLS verified by that CA. The answer is a client certificate for
 *    `system:node:<name>` (O=`system:nodes`) and a serving certificate for `servingAddresses`.
 * 4. Keep everything under `dataDir`:
 *
 *        dataDir/node.kubeconfig   0600  cluster `shoal`, user `system:node:<name>`
 *        dataDir/pki/              0700
 *          ca.crt                  0644  the pinned cluster CA
 *          node.crt  node.key            client certificate and key (key 0600)
 *          serving.crt serving.key       the agent's HTTPS certificate and key (key 0600)
 *
 * On a later start the files are reused without any network call when they are still valid:
 * the CA matches the token's pin, both certificates are issued by it, match their keys, are not
 * within RENEW_BEFORE_MS of expiry, the client one names this node and the serving one covers
 * the addresses asked for. Otherwise the agent joins again with fresh keys.
 */
import { createPublicKey, X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError, hasCode } from '../api/errors.js';
import { isDNS1123Subdomain } from '../api/validation/names.js';
import { Client } from '../client/rest.js';
// Not pki/index.js: the agent must not load the certificate-issuing library (memory).
import {
  certificateHash,
  certificateSans,
  certificateSubject,
  expiresWithin,
  generateKeyPem,
  isIssuedBy,
  matchesKey,
  parseSans,
  RENEW_BEFORE_MS,
  sansCover,
} from '../pki/cert-info.js';
import {
  ensureDir,
  PUBLIC_FILE_MODE,
  readIfExists,
  SECRET_DIR_MODE,
  SECRET_FILE_MODE,
  writeIfChanged,
} from '../pki/files.js';
import { NODE_USER_PREFIX, NODES_GROUP } from '../pki/identities.js';
import { CA_PATH, JOIN_PATH, type JoinRequest, type JoinResponse } from '../pki/join-protocol.js';
import { formatJoinToken, type JoinToken, matchesCaPin, parseJoinToken } from '../pki/join-token.js';
import { buildKubeconfig } from '../pki/kubeconfig.js';

export interface JoinOptions {
  /** The API server, `https://host:port`. */
  server: string;
  /** The file holding the join token (the server's DIR/node-token). */
  tokenFile: string;
  nodeName: string;
  dataDir: string;
  /** IP addresses and DNS names the agent's own HTTPS endpoint is reached at. */
  servingAddresses: string[];
  log?: (msg: string) => void;
  /** For tests: the current time. */
  now?: () => Date;
}

export interface NodeCredentials {
  server: string;
  caPem: string;
  /** Client certificate and key: CN=system:node:<name>, O=system:nodes. */
  certPem: string;
  keyPem: string;
  /** The agent's HTTPS serving certificate and key. */
  servingCertPem: string;
  servingKeyPem: string;
  kubeconfigPath: string;
}

/** Joining failed for a reason the user must fix (token, server, pin); the message says which. */
export class JoinError extends Error {
  override name = 'JoinError';
}

const JOIN_TIMEOUT_MS = 30_000;

const FILES = {
  ca: 'pki/ca.crt',
  cert: 'pki/node.crt',
  key: 'pki/node.key',
  servingCert: 'pki/serving.crt',
  servingKey: 'pki/serving.key',
  kubeconfig: 'node.kubeconfig',
} as const;

export async function joinCluster(opts: JoinOptions): Promise<NodeCredentials> {
  const log = opts.log ?? (() => undefined);
  const now = opts.now?.() ?? new Date();
  const server = checkServer(opts.server);
  checkNodeName(opts.nodeName);
  const wanted = checkAddresses(opts.servingAddresses);
  const token = await readToken(opts.tokenFile);
  const path = (f: keyof typeof FILES) => join(opts.dataDir, FILES[f]);

  // An existing data dir keeps its mode (as the server's does); the pki dir is always 0700.
  await mkdir(opts.dataDir, { recursive: true, mode: SECRET_DIR_MODE });
  await ensureDir(join(opts.dataDir, 'pki'), SECRET_DIR_MODE);

  const stored = await loadStored(path);
  const why = stored ? whyNotReusable(stored, token, opts.nodeName, wanted, now) : 'no credentials yet';
  let creds: Omit<NodeCredentials, 'server' | 'kubeconfigPath'>;
  if (why === undefined) {
    log(`reusing the node credentials in ${join(opts.dataDir, 'pki')}`);
    creds = stored!;
  } else {
    log(`joining ${server} as node ${opts.nodeName} (${why})`);
    creds = await requestCredentials(server, token, opts, wanted);
    await writeIfChanged(path('key'), creds.keyPem, SECRET_FILE_MODE);
    await writeIfChanged(path('servingKey'), creds.servingKeyPem, SECRET_FILE_MODE);
    await writeIfChanged(path('ca'), creds.caPem, PUBLIC_FILE_MODE);
    await writeIfChanged(path('cert'), creds.certPem, PUBLIC_FILE_MODE);
    await writeIfChanged(path('servingCert'), creds.servingCertPem, PUBLIC_FILE_MODE);
    log(`joined as ${NODE_USER_PREFIX}${opts.nodeName}`);
  }
  // Rewritten only when it would change (a new server address, new certificates).
  await writeIfChanged(
    path('kubeconfig'),
    buildKubeconfig({
      server,
      caPem: creds.caPem,
      clientCertPem: creds.certPem,
      clientKeyPem: creds.keyPem,
      userName: `${NODE_USER_PREFIX}${opts.nodeName}`,
    }),
    SECRET_FILE_MODE,
  );
  return { server, ...creds, kubeconfigPath: path('kubeconfig') };
}

/** A client that speaks to the API server as the node (`maxSockets`: its connection pool's size). */
export function nodeClient(creds: NodeCredentials, userAgent = 'shoal-agent', maxSockets?: number): Client {
  return new Client({
    server: creds.server,
    ca: creds.caPem,
    cert: creds.certPem,
    key: creds.keyPem,
    userAgent,
    maxSockets,
  });
}

// ---- checking the inputs ---------------------------------------------------------------------

function checkServer(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new JoinError(`invalid server URL ${JSON.stringify(server)}: expected https://host:port`);
  }
  if (url.protocol !== 'https:') {
    throw new JoinError(`invalid server URL ${JSON.stringify(server)}: joining needs https://`);
  }
  return server.replace(/\/+$/, '');
}

function checkNodeName(name: string): void {
  const msgs = isDNS1123Subdomain(name);
  if (msgs.length > 0) throw new JoinError(`invalid node name ${JSON.stringify(name)}: ${msgs.join('; ')}`);
}

function checkAddresses(addresses: string[]) {
  if (addresses.length === 0) throw new JoinError('at least one serving address (IP or DNS name) is needed');
  try {
    return parseSans(addresses);
  } catch (err) {
    throw new JoinError(`invalid serving address: ${(err as Error).message}`);
  }
}

async function readToken(file: string): Promise<JoinToken> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new JoinError(`cannot read the join token file ${file}: ${(err as Error).message}`);
  }
  try {
    return parseJoinToken(text);
  } catch (err) {
    throw new JoinError(`the join token file ${file} holds a ${(err as Error).message}`);
  }
}

// ---- reusing what is on disk -----------------------------------------------------------------

type StoredCredentials = Omit<NodeCredentials, 'server' | 'kubeconfigPath'>;

async function loadStored(path: (f: keyof typeof FILES) => string): Promise<StoredCredentials | undefined> {
  const [caPem, certPem, keyPem, servingCertPem, servingKeyPem] = await Promise.all(
    (['ca', 'cert', 'key', 'servingCert', 'servingKey'] as const).map((f) => readIfExists(path(f))),
  );
  if (!caPem || !certPem || !keyPem || !servingCertPem || !servingKeyPem) return undefined;
  return { caPem, certPem, keyPem, servingCertPem, servingKeyPem };
}

/** Why the stored credentials cannot be used, or undefined when they can. */
function whyNotReusable(
  s: StoredCredentials,
  token: JoinToken,
  nodeName: string,
  wanted: ReturnType<typeof parseSans>,
  now: Date,
): string | undefined {
  try {
    if (!matchesCaPin(token, s.caPem)) return 'the stored CA is not the one the token pins';
    const ca = { certPem: s.caPem };
    if (!isIssuedBy(s.certPem, ca) || !isIssuedBy(s.servingCertPem, ca))
      return 'the stored certificates are not issued by the pinned CA';
    if (!matchesKey(s.certPem, s.keyPem) || !matchesKey(s.servingCertPem, s.servingKeyPem))
      return 'a stored certificate does not match its key';
    if (!isNodeSubject(s.certPem, nodeName)) return 'the stored certificate is for another node name';
    if (
      expiresWithin(s.certPem, RENEW_BEFORE_MS, now) ||
      expiresWithin(s.servingCertPem, RENEW_BEFORE_MS, now)
    )
      return 'the stored certificates expire soon';
    if (!sansCover(certificateSans(s.servingCertPem), wanted))
      return 'the serving certificate does not cover every serving address';
    return undefined;
  } catch (err) {
    return `the stored credentials are unreadable: ${(err as Error).message}`;
  }
}

function isNodeSubject(certPem: string, nodeName: string): boolean {
  const s = certificateSubject(certPem);
  return s.commonName === `${NODE_USER_PREFIX}${nodeName}` && s.organizations.includes(NODES_GROUP);
}

// ---- joining ---------------------------------------------------------------------------------

async function requestCredentials(
  server: string,
  token: JoinToken,
  opts: JoinOptions,
  wanted: ReturnType<typeof parseSans>,
): Promise<StoredCredentials> {
  const caPem = await fetchPinnedCa(server, token, opts.tokenFile);
  const keyPem = generateKeyPem();
  const servingKeyPem = generateKeyPem();
  const request: JoinRequest = {
    nodeName: opts.nodeName,
    clientPublicKeyPem: publicPem(keyPem),
    servingPublicKeyPem: publicPem(servingKeyPem),
    servingAddresses: opts.servingAddresses,
  };
  // From here on the server must prove it holds the pinned CA's certificate: the token travels.
  const client = new Client({
    server,
    ca: caPem,
    token: formatJoinToken(token),
    userAgent: 'shoal-agent-join',
    timeoutMs: JOIN_TIMEOUT_MS,
  });
  let answer: JoinResponse;
  try {
    answer = await client.json<JoinResponse>('POST', JOIN_PATH, {
      body: JSON.stringify(request),
      headers: { 'content-type': 'application/json' },
    });
  } catch (err) {
    throw joinRefused(err, server, opts.tokenFile);
  } finally {
    client.close();
  }
  const creds: StoredCredentials = {
    caPem,
    certPem: answer.clientCertPem,
    keyPem,
    servingCertPem: answer.servingCertPem,
    servingKeyPem,
  };
  // The server is trusted by now, but a wrong answer is better caught here than at first use.
  const problem = whyNotReusable(creds, token, opts.nodeName, wanted, new Date());
  if (problem)
    throw new JoinError(`the server at ${server} answered the join with unusable credentials: ${problem}`);
  return creds;
}

/** The server's CA, fetched without trusting the connection, accepted only if it is the pinned one. */
async function fetchPinnedCa(server: string, token: JoinToken, tokenFile: string): Promise<string> {
  // No credential of any kind goes with this request.
  const anonymous = new Client({ server, insecureSkipTlsVerify: true, timeoutMs: JOIN_TIMEOUT_MS });
  let res: Awaited<ReturnType<Client['request']>>;
  try {
    res = await anonymous.request('GET', CA_PATH);
  } catch (err) {
    throw new JoinError(`cannot fetch the cluster CA: ${(err as Error).message}`);
  } finally {
    anonymous.close();
  }
  if (res.statusCode !== 200) {
    throw new JoinError(
      `the server at ${server} did not serve its CA certificate (GET ${CA_PATH} answered ${res.statusCode}): is it a Shoal server?`,
    );
  }
  const caPem = res.body.toString('utf8');
  let actual: string;
  try {
    if (!new X509Certificate(caPem).ca) throw new Error('not a CA certificate');
    actual = certificateHash(caPem);
  } catch (err) {
    throw new JoinError(`the server at ${server} sent an unusable CA certificate: ${(err as Error).message}`);
  }
  if (!matchesCaPin(token, caPem)) {
    throw new JoinError(
      `the server's CA does not match the join token in ${tokenFile}: the token pins CA sha256:${token.caHash}, ` +
        `the server at ${server} presents sha256:${actual}. The token is for another cluster, or something ` +
        'is intercepting the connection; the token was not sent.',
    );
  }
  return caPem;
}

function joinRefused(err: unknown, server: string, tokenFile: string): Error {
  if (hasCode(err, 401, 403)) {
    return new JoinError(
      `the server at ${server} refused the join token in ${tokenFile} (${err.code} ${err.reason}: ${err.message}): ` +
        "the token is wrong or was replaced; copy the current one from the server's DIR/node-token",
    );
  }
  if (err instanceof ApiError) {
    return new JoinError(
      `the server at ${server} refused the join (${err.code} ${err.reason}): ${err.message}`,
    );
  }
  return new JoinError(`joining ${server} failed: ${(err as Error).message}`);
}

function publicPem(keyPem: string): string {
  return createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }) as string;
}
