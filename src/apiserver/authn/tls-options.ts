/**
 * The TLS settings of the API server's HTTPS listener. Client certificates are requested but not
 * required: the handshake succeeds without one (bearer tokens, or a 401 that says so), and
 * `socket.authorized` then tells whether the certificate a client did send chains to the CA.
 */
import type { ServerOptions } from 'node:https';

export interface HttpsIdentity {
  /** The serving certificate's private key, PEM. */
  keyPem: string;
  /** The serving certificate, PEM. */
  certPem: string;
  /** The CA that client certificates must chain to, PEM. */
  caPem: string;
}

export function buildHttpsServerOptions(id: HttpsIdentity): ServerOptions {
  return {
    key: id.keyPem,
    cert: id.certPem,
    ca: id.caPem,
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
    ALPNProtocols: ['http/1.1'],
  };
}
