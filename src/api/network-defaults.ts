/**
 * The cluster's address plan when no flag says otherwise, k3s's: pods in 10.42.0.0/16 (a /24
 * per node), Services in 10.43.0.0/16, NodePorts 30000-32767, names under cluster.local. One
 * home, read by the server's and the agent's flags, the allocator, node IPAM and cluster DNS.
 */
export const DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';
export const DEFAULT_NODE_CIDR_MASK_SIZE = 24;
export const DEFAULT_SERVICE_CIDR = '10.43.0.0/16';
export const DEFAULT_NODE_PORT_RANGE: readonly [number, number] = [30000, 32767];
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
