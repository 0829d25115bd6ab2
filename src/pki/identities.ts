/**
 * The users and groups the cluster's certificates and tokens carry, as Kubernetes names them:
 * the admin (in system:masters, which may do anything, the node agents' API included), nodes
 * (system:node:NAME in system:nodes) and join-token holders (system:bootstrappers). One place,
 * so the code that issues an identity and the code that checks it spell it the same way.
 */
export const ADMIN_USER = 'shoal-admin';
export const ADMIN_GROUP = 'system:masters';
export const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';
export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';
