/**
 * How an agent turns a join token into its own credential (kubeadm's TLS bootstrap, Docker
 * Swarm's join), in two requests:
 *
 * - `GET /shoal/v1/ca.crt` answers the cluster CA certificate to anyone, as kube-public's
 *   cluster-info does. It is not a secret; the agent trusts it only after checking it against the
 *   CA pin in its token.
 * - `POST /shoal/v1/join`, for the group `system:bootstrappers` (a valid join token) only, takes
 *   `{ nodeName, clientPublicKeyPem, servingPublicKeyPem, servingAddresses }` and answers
 *   `{ caPem, clientCertPem, servingCertPem }`: a client certificate for `system:node:<nodeName>`
 *   in `system:nodes` and a serving certificate for the agent's own HTTPS endpoint. The agent made
 *   both key pairs; only public keys travel, so the server never holds a node's secret.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { errors, type FieldError, field } from '../api/errors.js';
import { isPlainObject } from '../api/object.js';
import { isDNS1123Subdomain } from '../api/validation/names.js';
import { parseSans } from '../pki/cert-info.js';
import { type CertificateAuthority, issueClientCertificate, issueServingCertificate } from '../pki/certs.js';
import { BOOTSTRAPPERS_GROUP, NODE_USER_PREFIX, NODES_GROUP } from '../pki/identities.js';
import { CA_PATH, JOIN_PATH, type JoinRequest, type JoinResponse } from '../pki/join-protocol.js';
import type { ApiRequest, ApiResponse } from './http-types.js';
import type { PathHandler, PublicPathHandler } from './server.js';

/** A node needs a handful of addresses at most; the cap keeps the certificate small. */
const MAX_SERVING_ADDRESSES = 32;
/** Public keys the server certifies: what Go's and OpenSSL's TLS stacks both accept. */
const EC_CURVES = new Set(['prime256v1', 'secp384r1']);
const MIN_RSA_BITS = 2048;

export interface NodeJoinOptions {
  ca: CertificateAuthority;
  now?: () => Date;
  log?: (line: string) => void;
}

/** The public CA endpoint. */
export function caCertificateHandler(caPem: string): PublicPathHandler {
  return (req) => {
    if (req.path !== CA_PATH) return undefined;
    if (req.method !== 'GET' && req.method !== 'HEAD') throw errors.methodNotAllowed(req.method, CA_PATH);
    return { status: 200, headers: { 'content-type': 'application/x-pem-file' }, body: caPem };
  };
}

/** The join endpoint. */
export function nodeJoinHandler(opts: NodeJoinOptions): PathHandler {
  return async (req) => {
    if (req.path !== JOIN_PATH) return undefined;
    if (req.method !== 'POST') throw errors.methodNotAllowed(req.method, JOIN_PATH);
    if (!req.user.groups.includes(BOOTSTRAPPERS_GROUP)) {
      throw errors.forbidden(
        { resource: 'nodes' },
        `User "${req.user.username}" cannot join the cluster: only a join token (group ${BOOTSTRAPPERS_GROUP}) may`,
      );
    }
    const join = parseJoinRequest(await readJson(req));
    const now = opts.now?.() ?? new Date();
    const client = await issueClientCertificate(opts.ca, {
      commonName: `${NODE_USER_PREFIX}${join.nodeName}`,
      organizations: [NODES_GROUP],
      publicKeyPem: join.clientPublicKeyPem,
      now,
    });
    const serving = await issueServingCertificate(opts.ca, {
      sans: parseSans(join.servingAddresses),
      commonName: `${NODE_USER_PREFIX}${join.nodeName}`,
      publicKeyPem: join.servingPublicKeyPem,
      now,
    });
    opts.log?.(`issued node credentials for ${join.nodeName} to ${req.user.username}`);
    const body: JoinResponse = {
      caPem: opts.ca.certPem,
      clientCertPem: client.certPem,
      servingCertPem: serving.certPem,
    };
    return { status: 200, body } satisfies ApiResponse;
  };
}

async function readJson(req: ApiRequest): Promise<unknown> {
  if (!req.readBody) throw errors.badRequest('the join request has no body');
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw errors.unsupportedMediaType(type);
  const text = (await req.readBody()).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw errors.badRequest(`the join request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Check a join request's fields; throws a 400 (not an object) or 422 naming each bad field. */
function parseJoinRequest(body: unknown): JoinRequest {
  if (!isPlainObject(body)) {
    throw errors.badRequest(
      'the join request body must be a JSON object {nodeName, clientPublicKeyPem, servingPublicKeyPem, servingAddresses}',
    );
  }
  const b = body;
  const errs: FieldError[] = [];

  if (typeof b.nodeName !== 'string' || b.nodeName === '') errs.push(field.required('nodeName'));
  else {
    const msgs = isDNS1123Subdomain(b.nodeName);
    if (msgs.length > 0) errs.push(field.invalid('nodeName', b.nodeName, msgs.join('; ')));
  }
  for (const name of ['clientPublicKeyPem', 'servingPublicKeyPem'] as const) {
    const problem = publicKeyProblem(b[name]);
    if (problem === 'missing') errs.push(field.required(name, 'a PEM public key'));
    else if (problem) errs.push(field.invalid(name, '<PEM>', problem));
  }
  const addresses = b.servingAddresses;
  if (!Array.isArray(addresses) || addresses.length === 0) {
    errs.push(field.required('servingAddresses', 'at least one IP address or DNS name'));
  } else if (addresses.length > MAX_SERVING_ADDRESSES) {
    errs.push(field.tooMany('servingAddresses', addresses.length, MAX_SERVING_ADDRESSES));
  } else {
    addresses.forEach((a, i) => {
      const at = `servingAddresses[${i}]`;
      if (typeof a !== 'string') errs.push(field.invalid(at, a, 'must be a string'));
      else if (a.startsWith('*')) errs.push(field.invalid(at, a, 'a node address may not be a wildcard'));
      else {
        try {
          parseSans([a]);
        } catch {
          errs.push(field.invalid(at, a, 'must be an IP address or a DNS name'));
        }
      }
    });
  }
  if (errs.length > 0) {
    const name = typeof b.nodeName === 'string' ? b.nodeName : '';
    throw errors.invalid({ kind: 'NodeJoinRequest', resource: 'nodes', name }, errs);
  }
  return {
    nodeName: b.nodeName as string,
    clientPublicKeyPem: b.clientPublicKeyPem as string,
    servingPublicKeyPem: b.servingPublicKeyPem as string,
    servingAddresses: addresses as string[],
  };
}

/** Why `value` is not an acceptable public key, 'missing', or undefined when it is fine. */
function publicKeyProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return 'missing';
  // A private key would parse too (its public half derived), but it must never travel.
  if (/PRIVATE KEY/.test(value)) return 'must be a public key: the private key stays with the agent';
  let key: KeyObject;
  try {
    key = createPublicKey({ key: value, format: 'pem' });
  } catch (err) {
    return `is not a PEM public key: ${(err as Error).message}`;
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec' && EC_CURVES.has(details.namedCurve ?? '')) return undefined;
  if (key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= MIN_RSA_BITS) return undefined;
  return `unsupported key type ${key.asymmetricKeyType}${details.namedCurve ? ` (${details.namedCurve})` : ''}${
    details.modulusLength ? ` (${details.modulusLength} bits)` : ''
  }: use ECDSA P-256 or P-384, or RSA of at least ${MIN_RSA_BITS} bits`;
}
