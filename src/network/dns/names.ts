/**
 * Small helpers on DNS names that the records index and the server share (address arithmetic is
 * util/ipv4.ts's).
 * Names are handled without the trailing dot (as dns-packet reads and writes them) and compared
 * lower-cased, because DNS names are case-insensitive.
 */
import { parseIPv4 } from '../../util/ipv4.js';

/** The name lower-cased and without a trailing dot: the form the index keys by. */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Whether `name` is `zone` itself or a name below it (both normalized). */
export function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
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
  return parseIPv4(ip) !== undefined ? ip : undefined;
}

/** `10.42.0.7` ↔ `10-42-0-7`, the label Kubernetes DNS uses for an address (pod records, endpoints without a hostname). */
export function dashedAddress(ip: string): string {
  return ip.replaceAll(/[.:]/g, '-');
}

export function addressOfDashedLabel(label: string): string | undefined {
  const ip = label.replaceAll('-', '.');
  return parseIPv4(ip) !== undefined ? ip : undefined;
}
