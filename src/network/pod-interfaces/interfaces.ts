/**
 * The pod interfaces of one node, as a runtime driver uses them: an address for each sandbox it is
 * about to create, the veth once the sandbox runs, the address back when the sandbox is removed.
 * It remembers which sandbox holds which address; a restarted agent tells it what it found running
 * (`adopt`), from the address each sandbox carries as a label.
 */
import { existsSync } from 'node:fs';
import type { CommandRunner } from '../host-command.js';
import { PodAddressPool, type PodAddressRanges } from './addresses.js';
import { attachPodInterface, hostInterfaceName } from './veth.js';

export class PodInterfaces {
  private readonly pool: PodAddressPool;
  /** Sandbox id → the address it holds. */
  private readonly held = new Map<string, string>();

  constructor(
    readonly ranges: PodAddressRanges,
    private readonly bridge: string,
    private readonly run: CommandRunner,
    /** Whether the host has an interface of that name. */
    private readonly hostEndExists: (name: string) => boolean = (name) =>
      existsSync(`/sys/class/net/${name}`),
  ) {
    this.pool = new PodAddressPool(ranges);
  }

  /**
   * Creates a sandbox (`create` gets the address it is to have, and answers with what it made);
   * the address goes back to the pool when the creation fails.
   */
  async assign<T extends { id: string }>(create: (address: string) => Promise<T>): Promise<T> {
    const address = this.pool.allocate();
    try {
      const made = await create(address);
      this.held.set(made.id, address);
      return made;
    } catch (err) {
      this.pool.release(address);
      throw err;
    }
  }

  /** A running sandbox found with `address`; ignored when the address is not one of this pool's. */
  adopt(id: string, address: string): void {
    if (this.pool.claim(address)) this.held.set(id, address);
  }

  /** Gives the sandbox (whose process is `pid`) its interface; nothing for one without an address here. */
  async attach(id: string, pid: number): Promise<void> {
    const address = this.held.get(id);
    if (!address) return;
    await attachPodInterface(this.run, {
      pid,
      address,
      prefixBits: this.ranges.node.bits,
      gateway: this.ranges.gateway,
      bridge: this.bridge,
      hostInterface: hostInterfaceName(id),
    });
  }

  /**
   * Whether sandbox `id` holds an address here but its interface is gone: an agent killed between
   * starting a sandbox and plumbing it leaves one so (the veth pair is made in one step, so no
   * host end means no eth0 either).
   */
  unplumbed(id: string): boolean {
    return this.held.has(id) && !this.hostEndExists(hostInterfaceName(id));
  }

  /** The sandbox is gone (its namespace, and the interface in it, with it): its address is free. */
  release(id: string): void {
    const address = this.held.get(id);
    if (address === undefined) return;
    this.held.delete(id);
    this.pool.release(address);
  }
}
