/**
 * Client-certificate authentication, as Kubernetes' x509 authenticator does it: the certificate
 * must chain to the cluster CA (OpenSSL checked that during the handshake: `socket.authorized`),
 * be meant for client authentication, and name a user: CN is the user name, each O a group.
 */
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from '../http-types.js';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

function values(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** The user a verified client certificate names, or undefined (no, unverified or unusable cert). */
export function userFromClientCertificate(socket: TLSSocket): UserInfo | undefined {
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert?.subject) return undefined;
  // A certificate without extKeyUsage may be used for anything (Go's rule); one with it must allow
  // client authentication, so a serving certificate cannot pass as a user.
  const eku = cert.ext_key_usage;
  if (eku && !eku.includes(CLIENT_AUTH) && !eku.includes(ANY_EXTENDED_KEY_USAGE)) return undefined;
  const subject = cert.subject as unknown as Record<string, string | string[] | undefined>;
  // Go keeps the last CN when there are several; so do we.
  const username = values(subject.CN).at(-1);
  if (!username) return undefined;
  return { username, groups: values(subject.O) };
}
