/**
 * The cluster's address plan when no flag says otherwise, k3s's: pods in 10.42.0.0/16 (a /24
 * per node), Services in 10.43.0.0/16, NodePorts 30000-32767, names under cluster.local. One
 * home, read by the server's and the agent's flags, the allocator, node IPAM and cluster DNS;
 * and the IngressClass the server creates and the agent's ingress controller answers for.
 */
export const DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';
export const DEFAULT_NODE_CIDR_MASK_SIZE = 24;
export const DEFAULT_SERVICE_CIDR = '10.43.0.0/16';
export const DEFAULT_NODE_PORT_RANGE: readonly [number, number] = [30000, 32767];
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/** The IngressClass Shoal's ingress answers for, its `spec.controller`, and the default-class mark. */
export const INGRESS_CLASS = 'shoal';
export const INGRESS_CONTROLLER = 'shoal.dev/ingress';
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
