/**
 * The node agent's own HTTPS endpoint, shaped like the kubelet's: the API server proxies
 * `kubectl logs`, `exec`, `attach` (and so `cp`) here. Only the API server (its agent client
 * certificate, O=system:masters) or a cluster admin may call it: a client certificate issued by
 * the cluster CA is required, and its subject must be in group system:masters.
 *
 *     GET      /containerLogs/{ns}/{pod}/{container}?follow&tailLines&sinceSeconds&sinceTime
 *                                                    &timestamps&previous&limitBytes
 *     GET(ws)  /exec/{ns}/{pod}/{container}?command=..&command=..&stdin&stdout&stderr&tty
 *     GET(ws)  /attach/{ns}/{pod}/{container}?stdin&stdout&stderr&tty
 *
 * Which runtime container a pod's container is comes from a `ContainerLocator` (the pod manager);
 * the bytes come from the runtime driver. Errors are Kubernetes Status JSON.
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { WebSocket, WebSocketServer } from 'ws';
import { ApiError, errors, type StatusReason, statusError } from '../api/errors.js';
import { type LogQuery, parseLogQuery, parseStreamQuery } from '../api/stream-options.js';
import { buildHttpsServerOptions, userFromClientCertificate } from '../apiserver/authn/index.js';
import { ADMIN_GROUP } from '../pki/identities.js';
import type { RuntimeDriver } from '../runtime/driver.js';
import { errorMessage } from '../util/error-message.js';
import { writeJsonResponse } from '../util/raw-http.js';
import { type ContainerLocator, LocateError } from './container-locator.js';
import {
  chooseProtocol,
  exitCodeStatus,
  SUPPORTED_PROTOCOLS,
  serveRemoteCommand,
  successStatus,
} from './remote-command.js';

/** The group whose members may use the agent's API: the API server's agent client and admins. */
const AGENT_API_GROUP = ADMIN_GROUP;

export interface AgentServerOptions {
  host: string;
  port: number;
  tlsKeyPem: string;
  tlsCertPem: string;
  /** The cluster CA: client certificates must chain to it. */
  caPem: string;
  locator: ContainerLocator;
  driver: Pick<RuntimeDriver, 'logs' | 'execStream' | 'attach'>;
  /** The current time in ms (sinceSeconds is counted back from it); Date.now by default. */
  now?: () => number;
}

export interface AgentServer {
  port: number;
  close(): Promise<void>;
}

type Route = { kind: 'containerLogs' | 'exec' | 'attach'; namespace: string; pod: string; container: string };

export async function startAgentServer(opts: AgentServerOptions): Promise<AgentServer> {
  const now = opts.now ?? Date.now;
  // The WebSocket library loads with the first exec/attach: most agents serve none for hours,
  // and it is a few MB of memory otherwise.
  let wss: Promise<WebSocketServer> | undefined;
  const webSockets = () => {
    wss ??= import('ws').then(
      ({ WebSocketServer }) =>
        new WebSocketServer({
          noServer: true,
          perMessageDeflate: false,
          handleProtocols: (offered) => chooseProtocol([...offered].join(',')) ?? false,
        }),
    );
    return wss;
  };
  const sockets = new Set<WebSocket>();

  const server = https.createServer(
    buildHttpsServerOptions({ keyPem: opts.tlsKeyPem, certPem: opts.tlsCertPem, caPem: opts.caPem }),
    (req, res) => {
      serveRequest(req, res).catch((err) => {
        if (res.headersSent) return void res.destroy();
        const status = toApiError(err);
        res.writeHead(status.code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(status.status));
      });
    },
  );
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    serveUpgrade(req, socket, head).catch((err) => {
      const status = toApiError(err);
      writeJsonResponse(socket, status.code, status.status);
    });
  });

  async function serveRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    authorize(req.socket as TLSSocket);
    const url = new URL(req.url ?? '/', 'https://agent');
    const route = parseRoute(url.pathname);
    if (route.kind !== 'containerLogs') throw errors.badRequest('Upgrade request required');
    if (req.method !== 'GET') throw errors.methodNotAllowed(req.method ?? '', 'containerLogs');
    const query = parseLogQuery(url.searchParams, route.pod);
    const { containerId } = await locate(route, query.previous);
    await streamLogs(res, containerId, query);
  }

  async function streamLogs(res: ServerResponse, containerId: string, query: LogQuery): Promise<void> {
    const stop = new AbortController();
    res.once('close', () => stop.abort());
    const since =
      query.sinceTime ?? (query.sinceSeconds ? new Date(now() - query.sinceSeconds * 1000) : undefined);
    const stream = await opts.driver.logs(containerId, {
      follow: query.follow,
      timestamps: query.timestamps,
      signal: stop.signal,
      ...(query.tailLines !== undefined ? { tail: query.tailLines } : {}),
      ...(since ? { since } : {}),
    });
    if (stop.signal.aborted) return void stream.destroy();
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-cache' });
    // A follower must see the 200 now, not with the first line, which may come much later.
    res.flushHeaders();
    await copyLimited(stream, res, query.limitBytes, stop.signal);
  }

  async function serveUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    authorize(req.socket as TLSSocket);
    const url = new URL(req.url ?? '/', 'https://agent');
    const route = parseRoute(url.pathname);
    if (route.kind === 'containerLogs') throw errors.badRequest('containerLogs is not an upgrade endpoint');
    const exec = route.kind === 'exec';
    const streams = parseStreamQuery(url.searchParams, exec);
    // Locate first: kubectl retries a failed WebSocket upgrade with SPDY, and that retry should
    // show the same error (pod not found, container waiting) rather than "SPDY not supported".
    const { containerId, tty: containerTty } = await locate(route, false);
    if (req.headers.upgrade?.toLowerCase() !== 'websocket') {
      throw errors.badRequest(
        `upgrade to ${JSON.stringify(req.headers.upgrade ?? '')} is not supported: exec and attach are served ` +
          `over WebSocket (${SUPPORTED_PROTOCOLS.join(', ')})`,
      );
    }
    if (req.method !== 'GET') throw errors.badRequest('a WebSocket upgrade request must use GET');
    const protocol = chooseProtocol(req.headers['sec-websocket-protocol']);
    if (!protocol) {
      throw errors.badRequest(
        `none of the offered WebSocket subprotocols (${req.headers['sec-websocket-protocol'] ?? 'none'}) ` +
          `is supported; use one of ${SUPPORTED_PROTOCOLS.join(', ')}`,
      );
    }
    const attach = opts.driver.attach?.bind(opts.driver);
    if (!exec && !attach) throw errors.notImplemented('attach with this container runtime');

    (await webSockets()).handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.once('close', () => sockets.delete(ws));
      void serveRemoteCommand(ws, {
        protocol,
        stdin: streams.stdin,
        stdout: streams.stdout,
        stderr: streams.stderr,
        open: exec
          ? () => opts.driver.execStream(containerId, streams)
          : // Attaching joins the main process's terminal as the container was created.
            () =>
              attach!(containerId, {
                stdin: streams.stdin,
                stdout: streams.stdout,
                stderr: streams.stderr && !containerTty,
                tty: containerTty,
              }),
        // The kubelet reports an attach as successful however the process ended.
        finalStatus: (code) => (exec ? exitCodeStatus(streams.command, code) : successStatus()),
      });
    });
  }

  async function locate(route: Route, previous: boolean): Promise<{ containerId: string; tty: boolean }> {
    try {
      return await opts.locator.resolve(route.namespace, route.pod, route.container, { previous });
    } catch (err) {
      if (err instanceof LocateError) throw statusError(err.code, reasonFor(err.code), err.message);
      throw err;
    }
  }

  // events.once rejects with the server's error (EADDRINUSE...) instead of waiting forever.
  await once(server.listen(opts.port, opts.host), 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** 401 without a verified client certificate, 403 for one outside system:masters. */
function authorize(socket: TLSSocket): void {
  const user = userFromClientCertificate(socket);
  if (!user) {
    throw errors.unauthorized('Unauthorized: a client certificate issued by the cluster CA is required');
  }
  if (!user.groups.includes(AGENT_API_GROUP)) {
    throw statusError(
      403,
      'Forbidden',
      `Forbidden: user "${user.username}" may not use the node agent's API (only group ${AGENT_API_GROUP} may)`,
    );
  }
}

const ROUTE = /^\/(containerLogs|exec|attach)\/([^/]+)\/([^/]+)\/([^/]+)\/?$/;

function parseRoute(path: string): Route {
  const m = ROUTE.exec(path);
  if (!m) throw errors.pathNotFound(path);
  const [, kind, namespace, pod, container] = m.map((s) => decodeURIComponent(s ?? ''));
  return { kind: kind as Route['kind'], namespace: namespace!, pod: pod!, container: container! };
}

async function copyLimited(
  from: Readable,
  to: ServerResponse,
  limitBytes: number | undefined,
  signal: AbortSignal,
): Promise<void> {
  let left = limitBytes ?? Number.POSITIVE_INFINITY;
  try {
    for await (const chunk of from) {
      if (signal.aborted) break;
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      const part = buf.length > left ? buf.subarray(0, left) : buf;
      left -= part.length;
      if (!to.write(part)) {
        await new Promise<void>((resolve) => {
          to.once('drain', resolve);
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
      }
      if (left <= 0) break;
    }
  } catch {
    // The runtime's stream failed mid-way; what was sent stays sent, the response ends short.
  } finally {
    from.destroy();
    if (!to.writableEnded) to.end();
  }
}

const REASONS: Record<number, StatusReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  500: 'InternalError',
  501: 'NotImplemented',
  503: 'ServiceUnavailable',
};

function reasonFor(code: number): StatusReason {
  return REASONS[code] ?? (code >= 500 ? 'InternalError' : 'BadRequest');
}

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return errors.internal(errorMessage(err));
}
