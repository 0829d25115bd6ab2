/**
 * The cluster CIDR cut into equal per-node ranges (Kubernetes' CidrSet): which ranges are taken,
 * and the next free one. IPv4 only. Allocation rotates (util/rotating-slots.ts), as Kubernetes'
 * does, so a range freed by a deleted Node is not the very next one given out while stale routes
 * to it may still exist elsewhere; it is reused once the others are taken.
 */

import { type Cidr, formatCidr, formatIPv4, splitCidr } from '../../util/ipv4.js';
import { RotatingSlots } from '../../util/rotating-slots.js';

/** The cluster CIDR (`bits` is its prefix length) and the prefix length of each node's range. */
export interface ClusterCIDR extends Cidr {
  nodeMaskSize: number;
}

/** Per-node ranges at most 2^16 (Kubernetes' limit: larger sets are more likely a typo). */
const MAX_RANGE_BITS = 16;
/** A /31 or /32 leaves no address for a pod beside the bridge's own. */
const MAX_NODE_MASK = 30;

/**
 * Parse "a.b.c.d/n" (surrounding blanks ignored) that is a network, without host bits set; an
 * error message (naming `what`) when it is not.
 */
function parseNetwork(text: string, what: string): Cidr | string {
  const split = splitCidr(text.trim());
  if (!split) return `${what}: expected an IPv4 CIDR such as 10.42.0.0/16, got ${JSON.stringify(text)}`;
  const { address, range } = split;
  if (address !== range.base) {
    return `${what}: ${text} has bits set beyond its /${range.bits} prefix; did you mean ${formatCidr(range)}?`;
  }
  return range;
}

/** The cluster CIDR and node mask size, checked together; an error message when they do not fit. */
export function clusterCIDR(cidr: string, nodeMaskSize: number): ClusterCIDR | string {
  const parsed = parseNetwork(cidr, '--cluster-cidr');
  if (typeof parsed === 'string') return parsed;
  if (!Number.isInteger(nodeMaskSize) || nodeMaskSize < parsed.bits || nodeMaskSize > MAX_NODE_MASK) {
    return `--node-cidr-mask-size: expected a whole number from ${parsed.bits} (the /${parsed.bits} of --cluster-cidr ${cidr}) to ${MAX_NODE_MASK}, got ${nodeMaskSize}`;
  }
  if (nodeMaskSize - parsed.bits > MAX_RANGE_BITS) {
    return `--node-cidr-mask-size: /${nodeMaskSize} cuts --cluster-cidr ${cidr} into ${2 ** (nodeMaskSize - parsed.bits)} ranges; at most ${2 ** MAX_RANGE_BITS} (a mask size of at most ${parsed.bits + MAX_RANGE_BITS})`;
  }
  return { ...parsed, nodeMaskSize };
}

export class CidrSet {
  private readonly slots: RotatingSlots;
  private readonly rangeSize: number;

  constructor(readonly cluster: ClusterCIDR) {
    this.slots = new RotatingSlots(2 ** (cluster.nodeMaskSize - cluster.bits));
    this.rangeSize = 2 ** (32 - cluster.nodeMaskSize);
  }

  get size(): number {
    return this.slots.size;
  }

  get freeCount(): number {
    return this.slots.free;
  }

  /** The next free range, marked taken; undefined when all are taken. */
  allocateNext(): string | undefined {
    const slot = this.slots.allocate();
    return slot === undefined ? undefined : this.format(slot);
  }

  /**
   * Mark `cidr` taken (a Node already has it). False when it is not one of this set's ranges (a
   * range from another cluster CIDR, or of another size): it is then not ours to track.
   */
  occupy(cidr: string): boolean {
    const i = this.indexOf(cidr);
    if (i === undefined) return false;
    this.slots.take(i);
    return true;
  }

  release(cidr: string): void {
    const i = this.indexOf(cidr);
    if (i !== undefined) this.slots.release(i);
  }

  isTaken(cidr: string): boolean {
    const i = this.indexOf(cidr);
    return i !== undefined && this.slots.isTaken(i);
  }

  private indexOf(cidr: string): number | undefined {
    const parsed = parseNetwork(cidr, 'podCIDR');
    if (typeof parsed === 'string' || parsed.bits !== this.cluster.nodeMaskSize) return undefined;
    const offset = parsed.base - this.cluster.base;
    if (offset < 0 || offset >= this.slots.size * this.rangeSize) return undefined;
    return offset / this.rangeSize;
  }

  private format(i: number): string {
    return `${formatIPv4(this.cluster.base + i * this.rangeSize)}/${this.cluster.nodeMaskSize}`;
  }
}
