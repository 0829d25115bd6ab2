/**
 * The one place that loads the X.509 library, so every other file gets it already set up.
 *
 * Why @peculiar/x509: it is written in TypeScript, maintained by the PKI.js authors, builds and
 * parses certificates on top of WebCrypto (here Node's own `crypto.webcrypto`, so every signature
 * is made by OpenSSL), and signs with ECDSA P-256 keys, which Kubernetes and Go's TLS stack use
 * and node-forge cannot. Its dependency tsyringe needs the Reflect metadata polyfill loaded first:
 * import the library only through this module, never directly.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

export { x509 };
