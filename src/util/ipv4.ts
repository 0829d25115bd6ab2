/**
 * IPv4 addresses and CIDR ranges as 32-bit numbers: parse, print, contain, pick the n-th address.
 * Pod and service networks are IPv4 in Shoal (as k3s's defaults); these are the only helpers the
 * network parts need, so no library.
 */

export interface Cidr {
  /** The first address of the range (host bits cleared). */
  base: number;
  /** Prefix length. */
  bits: number;
  /** Number of addresses in the range. */
  size: number;
}

/** `a.b.c.d` → its 32-bit value; undefined when it is not a dotted-quad IPv4 address. */
export function parseIPv4(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** `10.42.0.0/16` → its range; throws an error naming `what` when it is not an IPv4 CIDR. */
export function parseCidr(cidr: string, what = 'CIDR'): Cidr {
  const slash = cidr.indexOf('/');
  const ip = parseIPv4(cidr.slice(0, slash));
  const bitsText = cidr.slice(slash + 1);
  const bits = Number(bitsText);
  if (slash < 0 || ip === undefined || !/^\d{1,2}$/.test(bitsText) || bits > 32) {
    throw new Error(`${what} must be an IPv4 CIDR like 10.42.0.0/16, got "${cidr}"`);
  }
  const size = 2 ** (32 - bits);
  return { base: ip - (ip % size), bits, size };
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.base)}/${c.bits}`;
}

export function cidrContains(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip < c.base + c.size;
}

/** The n-th address of the range (0 is the network address itself). */
export function nthAddress(c: Cidr, n: number): string {
  if (n < 0 || n >= c.size) throw new Error(`${formatCidr(c)} has no address number ${n}`);
  return formatIPv4(c.base + n);
}
