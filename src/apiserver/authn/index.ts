/**
 * Authentication: who sent a request. `createRequestAuthenticator` checks a verified client
 * certificate (CN = user, O = groups), then bearer tokens through pluggable `TokenAuthenticator`s
 * (static tokens, the node join token, service-account tokens later). No valid credential →
 * undefined → the server answers 401 with `errors.unauthorized()`. `buildHttpsServerOptions` gives
 * the listener the TLS settings that make client certificates work.
 */
export {
  AUTHENTICATED_GROUP,
  bearerToken,
  createRequestAuthenticator,
  type RequestAuthenticator,
  type RequestAuthenticatorOptions,
} from './request.js';
export { buildHttpsServerOptions, type HttpsIdentity } from './tls-options.js';
export {
  joinTokenAuthenticator,
  StaticTokenAuthenticator,
  type TokenAuthenticator,
  unionTokenAuthenticator,
} from './token.js';
export { userFromClientCertificate } from './x509.js';
