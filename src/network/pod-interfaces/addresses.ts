/**
 * The node's own pod addresses: which IPs of its podCIDR the agent hands to sandboxes it plumbs
 * itself (veth.ts). The node's range is split in two: the last quarter is left
 * to the container engine's own address management (pods that publish hostPorts go through the
 * engine's network, see docs/network.md), the rest is this pool's. The network address, the
 * gateway (first address) and the broadcast address are never handed out.
 *
 * Addresses are handed out round-robin (util/rotating-slots.ts), not lowest-free, so an address
 * just released (a pod just deleted, whose IP other nodes' conntrack and caches may still hold) is
 * the last to come back.
 * The pool lives in memory; an agent that restarts claims the addresses of the sandboxes still
 * running before it allocates.
 */
import { type Cidr, formatCidr, formatIPv4, parseCidr, parseIPv4 } from '../../util/ipv4.js';
import { RotatingSlots } from '../../util/rotating-slots.js';

/** The smallest node range the split works for: 16 addresses, 4 of them the engine's. */
const MIN_PREFIX_BITS_FREE = 4;

export interface PodAddressRanges {
  /** The node's whole range. */
  node: Cidr;
  /** The engine's quarter, as `--ip-range` takes it. */
  engine: Cidr;
  /** The gateway (the bridge's address): the range's first address. */
  gateway: string;
  /** First and last address (as numbers) of this pool's part. */
  first: number;
  last: number;
}

/** The split of a node's podCIDR; throws when it is too small to split. */
export function podAddressRanges(podCidr: string): PodAddressRanges {
  const node = parseCidr(podCidr, 'pod CIDR');
  if (32 - node.bits < MIN_PREFIX_BITS_FREE) {
    throw new Error(`pod CIDR ${podCidr} is too small: the node's pod range must be /28 or larger`);
  }
  const quarter = node.size / 4;
  const engine: Cidr = { base: node.base + node.size - quarter, bits: node.bits + 2, size: quarter };
  return {
    node,
    engine,
    gateway: formatIPv4(node.base + 1),
    first: node.base + 2,
    last: engine.base - 1,
  };
}

export class PodAddressPool {
  /** Slot i is the address `first + i`. */
  private readonly slots: RotatingSlots;

  constructor(readonly ranges: PodAddressRanges) {
    this.slots = new RotatingSlots(ranges.last - ranges.first + 1);
  }

  get cidr(): string {
    return formatCidr(this.ranges.node);
  }

  /** How many addresses are handed out now. */
  get inUse(): number {
    return this.slots.size - this.slots.free;
  }

  /** The next free address; throws when every address of the pool is in use. */
  allocate(): string {
    const slot = this.slots.allocate();
    if (slot === undefined)
      throw new Error(`no free pod address left in ${this.cidr} (${this.slots.size} in use)`);
    return formatIPv4(this.ranges.first + slot);
  }

  /**
   * Marks an address found in use (a running sandbox adopted after a restart); false when it is not
   * one of this pool's.
   */
  claim(ip: string): boolean {
    const slot = this.slotOf(ip);
    if (slot === undefined) return false;
    this.slots.take(slot);
    return true;
  }

  /** Gives an address back; releasing one not in use does nothing. */
  release(ip: string): void {
    const slot = this.slotOf(ip);
    if (slot !== undefined) this.slots.release(slot);
  }

  private slotOf(ip: string): number | undefined {
    const n = parseIPv4(ip);
    return n === undefined || n < this.ranges.first || n > this.ranges.last
      ? undefined
      : n - this.ranges.first;
  }
}
