/**
 * Small helpers on DNS names and IP addresses that the records index and the server share.
 * Names are handled without the trailing dot (as dns-packet reads and writes them) and compared
 * lower-cased, because DNS names are case-insensitive.
 */
import { isIPv4 } from 'node:net';

/** The name lower-cased and without a trailing dot: the form the index keys by. */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Whether `name` is `zone` itself or a name below it (both normalized). */
export function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** The IPv4 address as a 32-bit unsigned number, or undefined when it is not one. */
export function ipv4ToNumber(ip: string): number | undefined {
  if (!isIPv4(ip)) return undefined;
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/** `10.0.0.5` → `5.0.0.10.in-addr.arpa`, the owner name of the address's PTR record. */
export function reverseName(ipv4: string): string {
  return `${ipv4.split('.').reverse().join('.')}.in-addr.arpa`;
}

/** `5.0.0.10.in-addr.arpa` → `10.0.0.5`; undefined for anything but a full IPv4 reverse name. */
export function addressOfReverseName(name: string): string | undefined {
  const suffix = '.in-addr.arpa';
  if (!name.endsWith(suffix)) return undefined;
  const ip = name.slice(0, -suffix.length).split('.').reverse().join('.');
  return isIPv4(ip) ? ip : undefined;
}

/** An IPv4 CIDR parsed for membership tests. */
export interface Cidr {
  text: string;
  base: number;
  mask: number;
}

/** Parses `10.43.0.0/16`; throws saying which value is wrong. */
export function parseCidr(text: string): Cidr {
  const [ip = '', bitsText = ''] = text.split('/');
  const base = ipv4ToNumber(ip);
  const bits = Number(bitsText);
  if (base === undefined || !/^\d+$/.test(bitsText) || bits > 32) {
    throw new Error(`invalid IPv4 CIDR ${JSON.stringify(text)}: want a.b.c.d/n with n from 0 to 32`);
  }
  // Shifting by 32 is a no-op in JavaScript, so /0 gets its mask spelled out.
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { text, base: (base & mask) >>> 0, mask };
}

export function cidrContains(cidr: Cidr, ipv4: string): boolean {
  const n = ipv4ToNumber(ipv4);
  return n !== undefined && (n & cidr.mask) >>> 0 === cidr.base;
}

/** `10.42.0.7` ↔ `10-42-0-7`, the label Kubernetes DNS uses for an address (pod records, endpoints without a hostname). */
export function dashedAddress(ip: string): string {
  return ip.replaceAll(/[.:]/g, '-');
}

export function addressOfDashedLabel(label: string): string | undefined {
  const ip = label.replaceAll('-', '.');
  return isIPv4(ip) ? ip : undefined;
}
