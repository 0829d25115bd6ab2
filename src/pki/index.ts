/**
 * The cluster's public-key infrastructure: a CA, the API server's serving certificate, client
 * certificates for the admin and (later) nodes, the admin kubeconfig and the node join token.
 * `ensureServerIdentity` creates them all under the data dir on first start and loads them after;
 * the rest is shared with the agent, which imports the light modules directly (cert-info.ts,
 * join-token.ts, join-protocol.ts, identities.ts: no certificate-issuing library).
 */

export {
  ensureServerIdentity,
  type ServerIdentity,
  type ServerIdentityOptions,
} from './bootstrap.js';
export {
  certificateHash,
  certificateSans,
  certificateSubject,
  expiresWithin,
  generateKeyPem,
  isIssuedBy,
  matchesKey,
  parseSans,
  RENEW_BEFORE_MS,
  type SubjectAltNames,
  sansCover,
} from './cert-info.js';
export {
  type CertificateAuthority,
  type ClientCertificateRequest,
  createCertificateAuthority,
  type IssuedCertificate,
  issueClientCertificate,
  issueServingCertificate,
  loadCertificateAuthority,
} from './certs.js';
export * from './identities.js';
export {
  checkJoinToken,
  formatJoinToken,
  formatStoredJoinToken,
  generateJoinToken,
  hashJoinToken,
  type JoinToken,
  type JoinTokenCheck,
  JoinTokenError,
  matchesCaPin,
  parseJoinToken,
  parseStoredJoinToken,
  type StoredJoinToken,
  verifyJoinToken,
} from './join-token.js';
export { buildKubeconfig, type KubeconfigParams, serverUrl } from './kubeconfig.js';
