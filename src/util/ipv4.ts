/**
 * IPv4 addresses and CIDR ranges as 32-bit numbers: parse, print, contain, pick the n-th address.
 * Pod and service networks are IPv4 in Shoal (as k3s's defaults); these are the only helpers the
 * network parts need, so no library. Every part that handles addresses uses these, so that all
 * of them agree on what an address is.
 */

export interface Cidr {
  /** The first address of the range (host bits cleared). */
  base: number;
  /** Prefix length. */
  bits: number;
  /** Number of addresses in the range. */
  size: number;
}

/**
 * `a.b.c.d` → its 32-bit value; undefined when it is not a dotted-quad IPv4 address. Octets with
 * a leading zero are refused (as Go's net.ParseIP and Node's net.isIPv4 do): `010` reads as
 * octal to some tools and decimal to others, and two spellings of one address could be taken
 * as two different addresses.
 */
export function parseIPv4(ip: string): number | undefined {
  const m = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/.exec(ip);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

/**
 * Sort order for addresses: IPv4 ones by value (10.0.0.9 before 10.0.0.10), so lists come out
 * as people read them; when either is not IPv4 (an IPv6 address), by text.
 */
export function compareAddresses(a: string, b: string): number {
  const x = parseIPv4(a);
  const y = parseIPv4(b);
  return x !== undefined && y !== undefined ? x - y : a.localeCompare(b);
}

export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/**
 * `10.42.7.9/24` as written: the address with its host bits kept (Go's net.ParseCIDR gives the
 * same pair) and the range it lies in; undefined when it is not an IPv4 CIDR. For callers that
 * refuse host bits, comparing `address` with `range.base` tells them apart.
 */
export function splitCidr(text: string): { address: number; range: Cidr } | undefined {
  const m = /^([^/]*)\/(\d{1,2})$/.exec(text);
  const address = m ? parseIPv4(m[1]!) : undefined;
  const bits = Number(m?.[2]);
  if (address === undefined || bits > 32) return undefined;
  const size = 2 ** (32 - bits);
  return { address, range: { base: address - (address % size), bits, size } };
}

/** `10.42.0.0/16` → its range (host bits cleared); undefined when it is not an IPv4 CIDR. */
export function tryParseCidr(text: string): Cidr | undefined {
  return splitCidr(text)?.range;
}

/** `10.42.0.0/16` → its range (host bits cleared); throws an error naming `what` when it is not an IPv4 CIDR. */
export function parseCidr(cidr: string, what = 'CIDR'): Cidr {
  const range = tryParseCidr(cidr);
  if (!range) throw new Error(`${what} must be an IPv4 CIDR like 10.42.0.0/16, got "${cidr}"`);
  return range;
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.base)}/${c.bits}`;
}

export function cidrContains(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip < c.base + c.size;
}

/** Whether the dotted-quad `ip` lies in the range; false when it is not an IPv4 address. */
export function containsAddress(c: Cidr, ip: string): boolean {
  const n = parseIPv4(ip);
  return n !== undefined && cidrContains(c, n);
}

/** Whether `address` is a loopback address: in 127.0.0.0/8, or IPv6's ::1 (resolv.conf may name either). */
export function isLoopbackAddress(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}

/** The n-th address of the range (0 is the network address itself). */
export function nthAddress(c: Cidr, n: number): string {
  if (n < 0 || n >= c.size) throw new Error(`${formatCidr(c)} has no address number ${n}`);
  return formatIPv4(c.base + n);
}
