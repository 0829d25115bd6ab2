import { networkInterfaces } from 'node:os';

/** The host's first non-internal IPv4 address, else 127.0.0.1. */
export function defaultNodeIP(): string {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (name.startsWith('docker') || name.startsWith('veth') || name.startsWith('br-')) continue;
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
