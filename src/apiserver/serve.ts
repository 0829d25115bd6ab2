/**
 * The API server as a process part: store, identity (CA, certificates, kubeconfig, join token),
 * authentication, the request pipeline and the HTTPS listener, plus the housekeeping that
 * belongs to the API server itself (system namespaces, the default IngressClass, compaction).
 */

import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { ApiError, hasReason } from '../api/errors.js';
import { DEFAULT_CLASS_ANNOTATION, INGRESS_CLASS, INGRESS_CONTROLLER } from '../api/network-defaults.js';
import { lookupResource } from '../api/resources.js';
import {
  ADMIN_GROUP,
  ensureServerIdentity,
  issueClientCertificate,
  type ServerIdentity,
  serverUrl,
} from '../pki/index.js';
import { Compactor, openStore, type Store, type StoreConfig } from '../store/index.js';
import { isStoreError } from '../store/store.js';
import type { DefaultTolerationSeconds } from './admission/default-tolerations.js';
import {
  createRequestAuthenticator,
  joinTokenAuthenticator,
  StaticTokenAuthenticator,
} from './authn/index.js';
import { discoveryResponse } from './discovery.js';
import type { FlowControlOptions } from './flow-control.js';
import { defaultMachinery, printTable } from './machinery-impl.js';
import { caCertificateHandler, nodeJoinHandler } from './node-join.js';
import { APISERVER_AGENT_CLIENT } from './node-proxy.js';
import { openapiResponse, warmOpenAPI } from './openapi.js';
import type { ServiceAllocatorOptions } from './registry/service-allocator.js';
import { ApiServer } from './server.js';

export interface ApiServerConfig {
  dataDir: string;
  host: string;
  port: number;
  store: StoreConfig;
  tlsSans?: string[];
  /** The not-ready/unreachable tolerations pods get by default (2 s each unless set). */
  defaultTolerationSeconds?: DefaultTolerationSeconds;
  /** Where Service ClusterIPs and NodePorts come from (10.43.0.0/16 and 30000-32767 by default). */
  services?: ServiceAllocatorOptions;
  /** Fair queuing of API requests (flow-control.ts). */
  flowControl?: FlowControlOptions;
  /** History kept for watch resumption (default 5 minutes). */
  compactionWindowMs?: number;
  log?: (line: string) => void;
}

export interface RunningApiServer {
  url: string;
  /**
   * Connection settings for control-plane components in this process: plain HTTP on a Unix
   * socket only this user can open, with a token that lives as long as the process (TLS on a
   * TCP loopback cost the scheduler a fifth of its time in encryption and syscalls).
   */
  loopback: { server: string; socketPath: string; token: string };
  identity: ServerIdentity;
  store: Store;
  api: ApiServer;
  close(): Promise<void>;
}

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function startApiServer(config: ApiServerConfig): Promise<RunningApiServer> {
  const log = config.log ?? (() => undefined);
  const store = await openStore(config.store);
  try {
    const identity = await ensureServerIdentity({
      dataDir: config.dataDir,
      listenHost: config.host,
      listenPort: config.port,
      tlsSans: config.tlsSans ?? [],
    });
    for (const file of identity.written) log(`wrote ${file}`);
    // The control plane's own components reach the API like any client, with a token that
    // lives only as long as this process (the authenticator adds system:authenticated).
    const loopbackToken = randomBytes(32).toString('base64url');
    const loopback = new StaticTokenAuthenticator([
      [loopbackToken, { username: 'system:shoal-control-plane', groups: [ADMIN_GROUP] }],
    ]);
    const authn = createRequestAuthenticator({
      tokenAuthenticators: [
        loopback,
        await StaticTokenAuthenticator.fromFile(identity.tokenFilePath, { optional: true }),
        joinTokenAuthenticator(() => identity.joinToken),
      ],
    });
    // Node agents accept only system:masters; this certificate lives as long as the process.
    const agentClient = await issueClientCertificate(identity.ca, {
      commonName: APISERVER_AGENT_CLIENT,
      organizations: [ADMIN_GROUP],
    });
    const api = new ApiServer({
      ...(config.flowControl ? { flowControl: config.flowControl } : {}),
      store,
      machinery: defaultMachinery,
      printTable,
      authenticate: (req) => authn.authenticate(req, req.socket as TLSSocket),
      pathHandlers: [discoveryResponse, openapiResponse, nodeJoinHandler({ ca: identity.ca, log })],
      publicPathHandlers: [caCertificateHandler(identity.caPem)],
      agentClient: { caPem: identity.caPem, ...agentClient },
      ...(config.services ? { services: config.services } : {}),
      ...(config.defaultTolerationSeconds
        ? { defaultTolerationSeconds: config.defaultTolerationSeconds }
        : {}),
      // An ApiError is an answer the server chose (an unreachable agent, an unavailable store): its
      // message says it all. Anything else is a bug, and its stack is what finds it.
      onError: (err, req) =>
        log(
          `error serving ${req.method} ${req.url}: ${
            err instanceof ApiError ? err.message : err instanceof Error ? err.stack : String(err)
          }`,
        ),
    });
    await ensureSystemNamespaces(api);
    await ensureDefaultIngressClass(api);
    warmOpenAPI();

    const server = https.createServer({ ...identity.tlsOptions, keepAliveTimeout: 120_000 }, api.handle);
    const local = http.createServer({ keepAliveTimeout: 120_000 }, api.handle);
    for (const s of [server, local]) {
      s.headersTimeout = 60_000;
      s.requestTimeout = 0; // watches are long-lived; handlers bound their own time
      s.on('upgrade', api.handleUpgrade);
    }
    // events.once rejects with the server's error (EADDRINUSE...) instead of waiting forever.
    await once(server.listen(config.port, config.host), 'listening');
    const port = (server.address() as AddressInfo).port;
    const url = serverUrl(config.host, port);
    const socket = loopbackSocketPath();
    try {
      await once(local.listen(socket.path), 'listening');
    } catch (err) {
      server.close();
      socket.remove();
      throw err;
    }

    const stop = new AbortController();
    const compactor = new Compactor(store, {
      ...(config.compactionWindowMs ? { windowMs: config.compactionWindowMs } : {}),
      onError: (err) => log(`compaction failed: ${String(err)}`),
    });
    const compacting = compactor.run(stop.signal);

    return {
      url,
      loopback: { server: 'http://localhost', socketPath: socket.path, token: loopbackToken },
      identity,
      store,
      api,
      async close() {
        stop.abort();
        await compacting;
        await Promise.all(
          [server, local].map(
            (s) =>
              new Promise<void>((resolve) => {
                s.close(() => resolve());
                s.closeAllConnections();
              }),
          ),
        );
        api.closeUpgraded();
        socket.remove();
        await store.close();
      },
    };
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
}

/**
 * Where the loopback socket listens. On Linux, a name in the abstract socket namespace: it
 * vanishes with the process (no stale file after a crash, no path-length limit), and while anyone
 * in this network namespace could connect to it, as to a TCP loopback port, nothing is served
 * without the loopback token. Elsewhere, a file in a private temporary directory.
 */
function loopbackSocketPath(): { path: string; remove(): void } {
  const name = `shoal-apiserver-${randomBytes(8).toString('hex')}`;
  if (process.platform === 'linux') return { path: `\0${name}`, remove() {} };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-'));
  return {
    path: path.join(dir, 'api.sock'),
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function ensureSystemNamespaces(api: ApiServer): Promise<void> {
  const def = lookupResource('', 'v1', 'namespaces')!;
  for (const name of SYSTEM_NAMESPACES) {
    try {
      await api.storage.create(def, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    } catch (err) {
      if (!hasReason(err, 'AlreadyExists') && !isStoreError(err, 'AlreadyExists')) throw err;
    }
  }
}

/**
 * The IngressClass of Shoal's own ingress controller, marked the cluster default so Ingresses
 * without a class are served (as k3s ships Traefik's). Created when missing; an existing one,
 * edited or not, is left as the user has it.
 */
async function ensureDefaultIngressClass(api: ApiServer): Promise<void> {
  const def = lookupResource('networking.k8s.io', 'v1', 'ingressclasses')!;
  try {
    await api.storage.create(def, undefined, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: INGRESS_CLASS, annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
      spec: { controller: INGRESS_CONTROLLER },
    });
  } catch (err) {
    if (!hasReason(err, 'AlreadyExists') && !isStoreError(err, 'AlreadyExists')) throw err;
  }
}
