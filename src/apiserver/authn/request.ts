/**
 * Authentication of one HTTPS request, as Kubernetes' union authenticator does it: a verified
 * client certificate first, then a bearer token; the first that names a user wins, and every
 * authenticated user is also in group `system:authenticated`. No valid credential → undefined,
 * which the server answers with 401 `errors.unauthorized()`.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from '../http-types.js';
import type { TokenAuthenticator } from './token.js';
import { userFromClientCertificate } from './x509.js';

export const AUTHENTICATED_GROUP = 'system:authenticated';
/** Browsers cannot set headers on a WebSocket: Kubernetes reads the token from a subprotocol. */
export const WEBSOCKET_TOKEN_PROTOCOL = 'base64url.bearer.authorization.k8s.io.';

export interface RequestAuthenticator {
  /** Who sent `req`; `socket` defaults to the request's own TLS socket. */
  authenticate(req: IncomingMessage, socket?: TLSSocket): Promise<UserInfo | undefined>;
}

export interface RequestAuthenticatorOptions {
  /** Tried in order for bearer tokens. */
  tokenAuthenticators?: TokenAuthenticator[];
}

/** The bearer token of a request: `Authorization: Bearer <token>`, or the WebSocket subprotocol. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header) {
    const parts = header.trim().split(' ');
    if (parts.length >= 2 && parts[0]!.toLowerCase() === 'bearer' && parts[1]) return parts[1];
    return undefined;
  }
  const protocols = req.headers['sec-websocket-protocol'];
  if (protocols && req.headers.upgrade?.toLowerCase() === 'websocket') {
    for (const p of protocols.split(',')) {
      const v = p.trim();
      if (v.startsWith(WEBSOCKET_TOKEN_PROTOCOL)) {
        const token = Buffer.from(v.slice(WEBSOCKET_TOKEN_PROTOCOL.length), 'base64url').toString('utf8');
        return token || undefined;
      }
    }
  }
  return undefined;
}

function withAuthenticatedGroup(user: UserInfo): UserInfo {
  return user.groups.includes(AUTHENTICATED_GROUP)
    ? user
    : { ...user, groups: [...user.groups, AUTHENTICATED_GROUP] };
}

export function createRequestAuthenticator(opts: RequestAuthenticatorOptions = {}): RequestAuthenticator {
  const tokens = opts.tokenAuthenticators ?? [];
  // A connection's client certificate is fixed at the handshake, so reading and checking it once
  // per connection is enough; keep-alive connections carry many requests.
  const byConnection = new WeakMap<TLSSocket, UserInfo | null>();
  return {
    async authenticate(req, socket) {
      const tls = socket ?? (req.socket as TLSSocket);
      if (tls.encrypted) {
        let user = byConnection.get(tls);
        if (user === undefined) {
          const fromCert = userFromClientCertificate(tls);
          user = fromCert ? withAuthenticatedGroup(fromCert) : null;
          byConnection.set(tls, user);
        }
        if (user) return user;
      }
      const token = bearerToken(req);
      if (token) {
        for (const a of tokens) {
          const user = await a.authenticate(token);
          if (user) return withAuthenticatedGroup(user);
        }
      }
      return undefined;
    },
  };
}
