/**
 * Pod interfaces made by the agent, as a CNI bridge plugin makes them: the node's podCIDR split
 * between the agent's own addresses and the container engine's last quarter (addresses.ts), the
 * veth that joins a sandbox's namespace to the node's bridge (veth.ts), and the bookkeeping of
 * which sandbox holds which address (interfaces.ts). docs/network.md tells why and how.
 */
export { PodAddressPool, type PodAddressRanges, podAddressRanges } from './addresses.js';
export { PodInterfaces } from './interfaces.js';
export { attachPodInterface, hostInterfaceName, type PodInterface } from './veth.js';
