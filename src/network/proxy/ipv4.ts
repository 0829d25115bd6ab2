/**
 * The little IPv4 arithmetic the proxy needs: is this endpoint inside the node's pod CIDR (a
 * local endpoint keeps its client's address), is this option a well-formed address or CIDR.
 */

/** The address as a 32-bit unsigned number, or undefined when it is not dotted-quad IPv4. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export interface Cidr {
  /** The network address, host bits cleared. */
  base: number;
  bits: number;
  /** The CIDR as written, normalised to the network address (`10.42.1.7/24` → `10.42.1.0/24`). */
  text: string;
}

/** Parses `a.b.c.d/n`; undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, len, extra] = text.split('/');
  if (addr === undefined || len === undefined || extra !== undefined) return undefined;
  const ip = parseIPv4(addr);
  if (ip === undefined || !/^[0-9]{1,2}$/.test(len)) return undefined;
  const bits = Number(len);
  if (bits > 32) return undefined;
  const base = (ip & mask(bits)) >>> 0;
  return { base, bits, text: `${formatIPv4(base)}/${bits}` };
}

export function cidrContains(cidr: Cidr, ip: string): boolean {
  const value = parseIPv4(ip);
  return value !== undefined && (value & mask(cidr.bits)) >>> 0 === cidr.base;
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');
}
