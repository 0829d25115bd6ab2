/**
 * The node's pod network, as the agent brings it up: wait until the node IPAM controller gave
 * the Node a `spec.podCIDR`, then have the runtime build (or adopt) its network on that range.
 * Pods start only after this, so every sandbox gets an address from the node's own range.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import type { PodNetwork, RuntimeDriver } from '../runtime/driver.js';
import type { Clock } from '../util/clock.js';

export interface PodNetworkDeps {
  /** Reads this agent's Node (undefined while it is not registered yet). */
  readNode(): Promise<Node | undefined>;
  driver: Pick<RuntimeDriver, 'ensurePodNetwork'>;
  clock: Clock;
  log(line: string): void;
  signal: AbortSignal;
  /** How often to look again while there is no podCIDR (default 250 ms). */
  pollMs?: number;
  /** How often to say that the agent is still waiting (default 10 s). */
  reportEveryMs?: number;
}

/**
 * Resolves with the node's pod network once there is one, or undefined when the driver has no
 * networking of its own (simulated). Read errors are retried; aborting `signal` rejects.
 */
export async function bringUpPodNetwork(deps: PodNetworkDeps): Promise<PodNetwork | undefined> {
  const ensure = deps.driver.ensurePodNetwork?.bind(deps.driver);
  if (!ensure) return undefined;
  const cidr = await waitForPodCidr(deps);
  for (;;) {
    try {
      const network = await ensure(cidr);
      deps.log(
        `pod network ${network.name}: ${cidr} on bridge ${network.bridge}, gateway ${network.gateway}`,
      );
      return network;
    } catch (err) {
      deps.log(`warning: cannot set up the pod network for ${cidr}: ${(err as Error).message}; retrying`);
      await deps.clock.sleep(2_000, deps.signal);
      deps.signal.throwIfAborted();
    }
  }
}

async function waitForPodCidr(deps: PodNetworkDeps): Promise<string> {
  const pollMs = deps.pollMs ?? 250;
  const reportEveryMs = deps.reportEveryMs ?? 10_000;
  const started = deps.clock.now();
  let reported = started;
  for (;;) {
    deps.signal.throwIfAborted();
    try {
      const cidr = (await deps.readNode())?.spec?.podCIDR;
      if (cidr) return cidr;
    } catch (err) {
      deps.log(`warning: reading the Node for its podCIDR: ${(err as Error).message}`);
    }
    const now = deps.clock.now();
    if (now - reported >= reportEveryMs) {
      reported = now;
      deps.log(
        `waiting for a podCIDR on the Node (${Math.round((now - started) / 1000)} s): is the node IPAM controller running?`,
      );
    }
    await deps.clock.sleep(pollMs, deps.signal);
  }
}
