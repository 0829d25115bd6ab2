/**
 * Join tokens: how an agent that has nothing but a token learns to trust the server and proves it
 * may join, as kubeadm's `--discovery-token-ca-cert-hash` and Docker Swarm's `SWMTKN-1-...` do.
 *
 * Format (one line):
 *
 *     SHOAL1::<ca-hash>::<id>.<secret>
 *
 * - `SHOAL1`: the format and its version.
 * - `<ca-hash>`: SHA-256 of the cluster CA certificate's DER, 64 lowercase hex digits. The agent
 *   fetches the CA from the server without trusting it, and accepts it only if its hash matches
 *   (`matchesCaPin`); from then on it verifies the server's certificate with that CA.
 * - `<id>`: 6 characters `[a-z0-9]`, public, names the token (as a kubeadm bootstrap token's id).
 * - `<secret>`: 32 characters `[a-z0-9]`, about 165 random bits: the part that proves the right to
 *   join. The server keeps only its SHA-256 (`DIR/pki/node-token.hash`), so the full token file
 *   `DIR/node-token` can be deleted once distributed; SHA-256 suffices (no slow KDF) because the
 *   secret is random and long, not a password.
 *
 * The stored form (one line): `SHOAL1-HASH::<ca-hash>::<id>::sha256:<hex of sha256(secret)>`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { certificateHash } from './cert-info.js';

const PREFIX = 'SHOAL1';
const STORED_PREFIX = 'SHOAL1-HASH';
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const JOIN_TOKEN_ID_LENGTH = 6;
const JOIN_TOKEN_SECRET_LENGTH = 32;

const HEX64 = /^[0-9a-f]{64}$/;
const ID = new RegExp(`^[a-z0-9]{${JOIN_TOKEN_ID_LENGTH}}$`);
const SECRET = new RegExp(`^[a-z0-9]{${JOIN_TOKEN_SECRET_LENGTH}}$`);

export interface JoinToken {
  /** SHA-256 of the CA certificate's DER, lowercase hex. */
  caHash: string;
  id: string;
  secret: string;
}

/** What the server keeps: the token without its secret, and the secret's hash. */
export interface StoredJoinToken {
  caHash: string;
  id: string;
  /** SHA-256 of the secret, lowercase hex. */
  secretHash: string;
}

export class JoinTokenError extends Error {
  override name = 'JoinTokenError';
}

/** `n` characters from [a-z0-9], uniformly (rejection sampling keeps the bias out). */
function randomString(n: number): string {
  let out = '';
  while (out.length < n) {
    for (const b of randomBytes(n * 2)) {
      if (b < 252 && out.length < n) out += ALPHABET[b % 36];
    }
  }
  return out;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A new token pinning the CA whose certificate hash is `caHash` (see `certificateHash`). */
export function generateJoinToken(caHash: string): JoinToken {
  if (!HEX64.test(caHash)) throw new JoinTokenError('the CA hash must be 64 lowercase hex digits');
  return { caHash, id: randomString(JOIN_TOKEN_ID_LENGTH), secret: randomString(JOIN_TOKEN_SECRET_LENGTH) };
}

export function formatJoinToken(t: JoinToken): string {
  return `${PREFIX}::${t.caHash}::${t.id}.${t.secret}`;
}

/** Parse a token as a user pastes it (surrounding white space ignored); throws JoinTokenError. */
export function parseJoinToken(text: string): JoinToken {
  const parts = text.trim().split('::');
  if (parts.length !== 3 || parts[0] !== PREFIX) {
    throw new JoinTokenError(`malformed join token: expected ${PREFIX}::<ca-hash>::<id>.<secret>`);
  }
  const caHash = parts[1]!.toLowerCase();
  if (!HEX64.test(caHash))
    throw new JoinTokenError('malformed join token: the CA hash must be 64 hex digits');
  const [id, secret, ...rest] = parts[2]!.split('.');
  if (rest.length > 0 || !id || !secret || !ID.test(id) || !SECRET.test(secret)) {
    throw new JoinTokenError(
      `malformed join token: the credential must be <id>.<secret> with ${JOIN_TOKEN_ID_LENGTH} and ${JOIN_TOKEN_SECRET_LENGTH} characters [a-z0-9]`,
    );
  }
  return { caHash, id, secret };
}

/** The server-side form of a token. */
export function hashJoinToken(t: JoinToken): StoredJoinToken {
  return { caHash: t.caHash, id: t.id, secretHash: sha256Hex(t.secret) };
}

export function formatStoredJoinToken(s: StoredJoinToken): string {
  return `${STORED_PREFIX}::${s.caHash}::${s.id}::sha256:${s.secretHash}`;
}

export function parseStoredJoinToken(text: string): StoredJoinToken {
  const parts = text.trim().split('::');
  const [prefix, caHash, id, hash] = parts;
  if (
    parts.length !== 4 ||
    prefix !== STORED_PREFIX ||
    !caHash ||
    !HEX64.test(caHash) ||
    !id ||
    !ID.test(id) ||
    !hash?.startsWith('sha256:') ||
    !HEX64.test(hash.slice(7))
  ) {
    throw new JoinTokenError(
      `malformed stored join token: expected ${STORED_PREFIX}::<ca-hash>::<id>::sha256:<hex>`,
    );
  }
  return { caHash, id, secretHash: hash.slice(7) };
}

/** Why a token does not match, or 'ok'. */
export type JoinTokenCheck = 'ok' | 'ca-mismatch' | 'unknown-id' | 'bad-secret';

/**
 * Compare a presented token with the stored one. The secret is compared through its hash in
 * constant time; the CA hash and the id are public.
 */
export function checkJoinToken(token: JoinToken, stored: StoredJoinToken): JoinTokenCheck {
  if (token.caHash.toLowerCase() !== stored.caHash) return 'ca-mismatch';
  if (token.id !== stored.id) return 'unknown-id';
  const presented = Buffer.from(sha256Hex(token.secret), 'hex');
  const expected = Buffer.from(stored.secretHash, 'hex');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return 'bad-secret';
  return 'ok';
}

/** Whether `token` (text or parsed) is the stored one. Malformed text is simply not. */
export function verifyJoinToken(token: JoinToken | string, stored: StoredJoinToken): boolean {
  let t: JoinToken;
  try {
    t = typeof token === 'string' ? parseJoinToken(token) : token;
  } catch {
    return false;
  }
  return checkJoinToken(t, stored) === 'ok';
}

/** Agent side: whether the CA certificate a server presented is the one the token pins. */
export function matchesCaPin(token: JoinToken, caCertPem: string): boolean {
  const actual = Buffer.from(certificateHash(caCertPem), 'hex');
  const pinned = Buffer.from(token.caHash, 'hex');
  return actual.length === pinned.length && timingSafeEqual(actual, pinned);
}
