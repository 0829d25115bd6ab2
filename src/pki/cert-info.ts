/**
 * Reading certificates and keys with Node's own crypto: what the agent needs to check its
 * credentials and the cluster CA's pin, without loading the certificate-issuing library
 * (`certs.ts`, server side only). Everything here is synchronous and side-effect free.
 */
import { createHash, createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

/** Leaves start a little in the past so a peer whose clock is behind still accepts them. */
export const BACKDATE_MS = 5 * 60_000;
/** Certificates are renewed when they expire within this (90 days). */
export const RENEW_BEFORE_MS = 90 * 86_400_000;

/** A new P-256 private key, PKCS#8 PEM. */
export function generateKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string;
}

/** SHA-256 of a PEM certificate's DER, lowercase hex. */
export function certificateHash(certPem: string): string {
  return createHash('sha256').update(new X509Certificate(certPem).raw).digest('hex');
}

/** Whether `certPem` was signed by `ca` (and names it as issuer); only the CA's certificate is needed. */
export function isIssuedBy(certPem: string, ca: { certPem: string }): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const issuer = new X509Certificate(ca.certPem);
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** Whether `certPem` matches the private key `keyPem`. */
export function matchesKey(certPem: string, keyPem: string): boolean {
  try {
    return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

/** Whether the certificate is expired or expires within `ms` of `now`. */
export function expiresWithin(certPem: string, ms: number, now = new Date()): boolean {
  const cert = new X509Certificate(certPem);
  const notAfter = Date.parse(cert.validTo);
  const notBefore = Date.parse(cert.validFrom);
  return notAfter - now.getTime() < ms || notBefore > now.getTime() + BACKDATE_MS;
}

/** The user a client certificate names: CN and the O values. */
export function certificateSubject(certPem: string): { commonName: string; organizations: string[] } {
  const fields = distinguishedName(new X509Certificate(certPem).subject);
  return {
    commonName: fields.find(([k]) => k === 'CN')?.[1] ?? '',
    organizations: fields.filter(([k]) => k === 'O').map(([, v]) => v),
  };
}

/** The subject alternative names a certificate carries, normalized. */
export function certificateSans(certPem: string): SubjectAltNames {
  const out: SubjectAltNames = { ips: [], dnsNames: [] };
  // Node prints them as "DNS:a, IP Address:1.2.3.4" (values with special characters JSON-quoted).
  for (const entry of splitSans(new X509Certificate(certPem).subjectAltName ?? '')) {
    const i = entry.indexOf(':');
    const type = entry.slice(0, i);
    let value = entry.slice(i + 1);
    if (value.startsWith('"')) value = JSON.parse(value) as string;
    if (type === 'IP Address') out.ips.push(canonicalIp(value));
    else if (type === 'DNS') out.dnsNames.push(value.toLowerCase());
  }
  return out;
}

// ---- subject alternative names ---------------------------------------------------------------

/** Subject alternative names, normalized: IPs canonical, DNS names lower case. */
export interface SubjectAltNames {
  ips: string[];
  dnsNames: string[];
}

const DNS_NAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** An IP address in one spelling: IPv4 as is, IPv6 compressed and lower case. */
function canonicalIp(ip: string): string {
  if (isIP(ip) === 6) return new URL(`http://[${ip}]`).hostname.slice(1, -1);
  return ip;
}

/** Whether `name` may stand in a DNS subject alternative name (a wildcard first label allowed). */
export function isDnsSan(name: string): boolean {
  return name.length > 0 && name.length <= 253 && DNS_NAME.test(name.toLowerCase());
}

/**
 * Sort `values` (IPs or DNS names, as --tls-san takes them) into normalized, de-duplicated SANs.
 * Throws on a value that is neither.
 */
export function parseSans(values: Iterable<string>): SubjectAltNames {
  const ips = new Set<string>();
  const dnsNames = new Set<string>();
  for (const raw of values) {
    const v = raw.trim().replace(/^\[(.*)\]$/, '$1');
    if (isIP(v)) ips.add(canonicalIp(v));
    else if (isDnsSan(v)) dnsNames.add(v.toLowerCase());
    else
      throw new Error(
        `invalid TLS subject alternative name ${JSON.stringify(raw)}: not an IP address or DNS name`,
      );
  }
  return { ips: [...ips], dnsNames: [...dnsNames] };
}

/** Whether `have` includes every name in `want`. */
export function sansCover(have: SubjectAltNames, want: SubjectAltNames): boolean {
  const ips = new Set(have.ips.map(canonicalIp));
  const dns = new Set(have.dnsNames.map((d) => d.toLowerCase()));
  return (
    want.ips.every((ip) => ips.has(canonicalIp(ip))) && want.dnsNames.every((d) => dns.has(d.toLowerCase()))
  );
}

/** "CN=a\nO=b\nO=c" (Node's one-RDN-per-line form) → [["CN","a"],["O","b"],["O","c"]]. */
function distinguishedName(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out.push([line.slice(0, i), unescapeDn(line.slice(i + 1))]);
  }
  return out;
}

function unescapeDn(value: string): string {
  if (value.startsWith('"')) return JSON.parse(value) as string;
  return value.replace(/\\(.)/g, '$1');
}

/** Splits Node's subjectAltName text at ", " outside JSON-quoted values. */
function splitSans(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"' && text[i - 1] !== '\\') quoted = !quoted;
    if (!quoted && ch === ',' && text[i + 1] === ' ') {
      out.push(current);
      current = '';
      i++;
      continue;
    }
    current += ch;
  }
  if (current) out.push(current);
  return out;
}
