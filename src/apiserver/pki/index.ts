/**
 * The cluster's public-key infrastructure: a CA, the API server's serving certificate, client
 * certificates for the admin and (later) nodes, the admin kubeconfig and the node join token.
 * `ensureServerIdentity` creates them all under the data dir on first start and loads them after;
 * the rest is exported for the agent (join-token parsing, CA pin) and node credential issuing.
 */
export {
  ADMIN_GROUP,
  ADMIN_USER,
  ensureServerIdentity,
  requiredSans,
  type ServerIdentity,
  type ServerIdentityOptions,
} from './bootstrap.js';
export {
  canonicalIp,
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
  CA_DAYS,
  type CertificateAuthority,
  type ClientCertificateRequest,
  createCertificateAuthority,
  type IssuedCertificate,
  issueClientCertificate,
  issueServingCertificate,
  LEAF_DAYS,
  loadCertificateAuthority,
} from './certs.js';
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
