/**
 * The join protocol's paths and messages (the identities it hands out are in identities.ts), shared by the API server (node-join.ts) and the
 * agent (agent/join.ts). Kept apart so the agent does not load the server's certificate issuing.
 */
export const CA_PATH = '/shoal/v1/ca.crt';
export const JOIN_PATH = '/shoal/v1/join';

export interface JoinRequest {
  nodeName: string;
  clientPublicKeyPem: string;
  servingPublicKeyPem: string;
  servingAddresses: string[];
}

export interface JoinResponse {
  caPem: string;
  clientCertPem: string;
  servingCertPem: string;
}
