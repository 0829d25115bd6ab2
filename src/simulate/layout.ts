/**
 * The shape of a simulated fleet, as pure functions of the command's flags: each hollow node's
 * name, made-up address, labels and heartbeat phase, and the lease timing that keeps thousands of
 * nodes' heartbeats within a few hundred writes a second.
 */
import { createHash } from 'node:crypto';

export const ZONE_LABEL = 'topology.kubernetes.io/zone';
/** Marks hollow nodes, so they can be told from real ones (`kubectl get nodes -l shoal.dev/simulated`). */
export const SIMULATED_LABEL = 'shoal.dev/simulated';

/** Kubernetes' lease: renewed every 10 s, valid 40 s (the node lifecycle controller's grace). */
const MIN_RENEW_MS = 10_000;
const LEASE_SECONDS = 40;
/** Renewals never wait longer than half the lease, so one lost renewal does not expire it. */
const MAX_RENEW_MS = (LEASE_SECONDS * 1000) / 2;
/** The lease writes a second the whole fleet aims to stay under. */
export const LEASE_WRITES_PER_SECOND = 250;

export interface LeaseTiming {
  renewMs: number;
  durationSeconds: number;
}

/**
 * Kubernetes' 10 s renewals until the fleet would exceed LEASE_WRITES_PER_SECOND, then longer ones
 * (up to 20 s, half the 40 s lease): 5,000 nodes renew every 20 s, 250 writes a second.
 */
export function leaseTiming(nodes: number): LeaseTiming {
  const spread = Math.ceil((nodes / LEASE_WRITES_PER_SECOND) * 1000);
  return {
    renewMs: Math.min(MAX_RENEW_MS, Math.max(MIN_RENEW_MS, spread)),
    durationSeconds: LEASE_SECONDS,
  };
}

export interface HollowNodeSpec {
  name: string;
  /** Made up (10.254.0.0/16 and up): reported as InternalIP and the pods' hostIP, never reached. */
  ip: string;
  zone: string;
  labels: Record<string, string>;
  /** Where in the renewal interval this node's heartbeats fall, evenly spread over the fleet. */
  phaseMs: number;
  /** Stable per node name, as /etc/machine-id is per machine. */
  machineId: string;
}

export interface FleetOptions {
  nodes: number;
  namePrefix: string;
  zones: number;
  renewMs: number;
}

/** Node i is `<prefix><i>`, zero-padded so names sort in order (sim-0000 … sim-4999). */
export function nodeName(prefix: string, index: number, nodes: number): string {
  const width = String(Math.max(0, nodes - 1)).length;
  return `${prefix}${String(index).padStart(width, '0')}`;
}

/** Zones are `zone-0` … `zone-<zones-1>`, assigned round-robin so each holds an equal share. */
export function zoneName(index: number, zones: number): string {
  return `zone-${index % zones}`;
}

export function fleet(options: FleetOptions): HollowNodeSpec[] {
  const { nodes, namePrefix, zones, renewMs } = options;
  const out: HollowNodeSpec[] = [];
  for (let i = 0; i < nodes; i++) {
    const name = nodeName(namePrefix, i, nodes);
    const zone = zoneName(i, zones);
    out.push({
      name,
      ip: nodeIp(i),
      zone,
      labels: { [ZONE_LABEL]: zone, [SIMULATED_LABEL]: 'true' },
      phaseMs: Math.floor((i * renewMs) / nodes),
      machineId: createHash('sha256').update(name).digest('hex').slice(0, 32),
    });
  }
  return out;
}

/** 10.254.0.1 for node 0, counting up through 10.255.255.254 (131,070 nodes). */
export function nodeIp(index: number): string {
  const n = (254 << 16) + index + 1;
  if (index < 0 || n >= (256 << 16) - 1) throw new RangeError(`no made-up address for node ${index}`);
  return `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`;
}
