/**
 * The API server's request pipeline: authenticate → route → handle, with every failure turned
 * into a Kubernetes Status. Transport (TLS, ports) is the caller's: `handle` fits any node:http(s)
 * server, so tests may also drive it over plain HTTP.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, errors } from '../api/errors.js';
import type { Store } from '../store/store.js';
import { errorMessage } from '../util/error-message.js';
import { writeJsonResponse } from '../util/raw-http.js';
import type { DefaultTolerationSeconds } from './admission/default-tolerations.js';
import { readBody } from './body.js';
import { FlowControl, type FlowControlOptions, holdSeat } from './flow-control.js';
import type { ApiRequest, ApiResponse, UserInfo } from './http-types.js';
import { type AgentClientCredentials, NodeProxy } from './node-proxy.js';
import { managerOrUserAgent } from './patch/index.js';
import type { Machinery } from './registry/machinery.js';
import { ResourceStorage } from './registry/resource-storage.js';
import { ServiceAllocator, type ServiceAllocatorOptions } from './registry/service-allocator.js';
import { isTrue, ResourceHandler, type TablePrinter } from './resource-handler.js';
import { parsePath } from './routes.js';
import { WatchServer, type WatchSettings } from './watch.js';

/** Serves a non-resource path (discovery, OpenAPI), or returns undefined to pass. */
export type PathHandler = (req: ApiRequest) => ApiResponse | undefined | Promise<ApiResponse | undefined>;

/** Serves a path anyone may read, with or without credentials, or returns undefined to pass. */
export type PublicPathHandler = (
  req: Omit<ApiRequest, 'user'>,
) => ApiResponse | undefined | Promise<ApiResponse | undefined>;

export interface ApiServerOptions {
  store: Store;
  machinery: Machinery;
  printTable: TablePrinter;
  /** Who is calling; undefined answers 401. */
  authenticate: (req: IncomingMessage) => UserInfo | undefined | Promise<UserInfo | undefined>;
  pathHandlers?: PathHandler[];
  /** Tried before authentication: what a client needs before it has a credential (the CA). */
  publicPathHandlers?: PublicPathHandler[];
  watch?: WatchSettings;
  now?: () => Date;
  /**
   * The client certificate to reach node agents with; without it pods/log, exec and attach
   * answer 501.
   */
  agentClient?: AgentClientCredentials;
  /** The not-ready/unreachable tolerations pods get by default (DefaultTolerationSeconds admission). */
  defaultTolerationSeconds?: DefaultTolerationSeconds;
  /** Where Service ClusterIPs and NodePorts come from (10.43.0.0/16 and 30000-32767 by default). */
  services?: ServiceAllocatorOptions;
  /** Called for failures that are the server's fault (5xx). */
  onError?: (err: unknown, req: IncomingMessage) => void;
  /** Fair queuing of resource requests (flow-control.ts). */
  flowControl?: FlowControlOptions;
}

const HEALTH_PATHS = new Set(['/healthz', '/livez', '/readyz']);

export class ApiServer {
  readonly storage: ResourceStorage;
  private readonly resources: ResourceHandler;
  private readonly nodeProxy: NodeProxy | undefined;
  /** Connections handed over to a node agent, cut when the server closes. */
  private readonly upgraded = new Set<Duplex>();
  /** Seats for resource requests, shared fairly between flows. */
  readonly flows: FlowControl;

  constructor(private readonly options: ApiServerOptions) {
    const now = options.now ?? (() => new Date());
    this.flows = new FlowControl(options.flowControl);
    this.storage = new ResourceStorage(
      options.store,
      options.machinery,
      now,
      options.services ? new ServiceAllocator(options.store, options.services) : undefined,
      options.defaultTolerationSeconds,
    );
    const watches = new WatchServer(options.store, this.storage, options.watch);
    this.nodeProxy = options.agentClient
      ? new NodeProxy({ storage: this.storage, credentials: options.agentClient })
      : undefined;
    this.resources = new ResourceHandler({
      storage: this.storage,
      watches,
      printTable: options.printTable,
      now,
      ...(this.nodeProxy ? { nodeProxy: this.nodeProxy } : {}),
    });
  }

  /**
   * The node:http `upgrade` listener: exec and attach (WebSocket). Authentication and routing
   * are the same as for plain requests; failures are written to the socket as Status responses.
   */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    this.upgraded.add(socket);
    socket.once('close', () => this.upgraded.delete(socket));
    this.serveUpgrade(req, socket, head).catch((err) => {
      const apiErr = this.toApiError(err, req);
      writeJsonResponse(socket, apiErr.code, apiErr.status);
    });
  };

  /** Cuts proxied exec/attach sessions (plain requests end with their connections). */
  closeUpgraded(): void {
    for (const socket of this.upgraded) socket.destroy();
  }

  private async serveUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const user = await this.options.authenticate(req);
    if (!user) throw errors.unauthorized();
    const parsed = parsePath(url.pathname);
    if (parsed.type === 'unknown') throw errors.pathNotFound(url.pathname);
    const route = parsed.type === 'resource' ? parsed.route : undefined;
    const streaming =
      route?.def.kind === 'Pod' &&
      route.namespace !== undefined &&
      route.name !== undefined &&
      (route.subresource === 'exec' || route.subresource === 'attach' || route.subresource === 'portforward');
    if (!route || !streaming) {
      throw errors.badRequest(
        `upgrade requests are served only for pods/exec and pods/attach, not ${req.method} ${url.pathname}`,
      );
    }
    if (route.subresource === 'portforward' || !this.nodeProxy) {
      throw errors.notImplemented(`pods/${route.subresource}`);
    }
    await this.nodeProxy.upgrade(req, socket, head, route, url.searchParams);
  }

  /** The node:http request listener. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.serve(req, res).catch((err) => this.fail(req, res, err));
  };

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { path, query } = requestTarget(req.url ?? '/');
    for (const handler of this.options.publicPathHandlers ?? []) {
      const answer = await handler({
        method: req.method ?? 'GET',
        path,
        query,
        headers: req.headers,
      });
      if (answer) return sendResponse(res, answer);
    }
    const user = await this.options.authenticate(req);
    if (!user) {
      // Health probes answer without credentials, as Kubernetes' do for anonymous checks.
      if (HEALTH_PATHS.has(path) && req.method === 'GET') return sendText(res, 200, 'ok');
      throw errors.unauthorized();
    }
    const route = parsePath(path);
    if (route.type === 'unknown') throw errors.pathNotFound(path);
    if (route.type === 'resource') {
      if (longRunning(req.method, route.route.subresource, query))
        return this.resources.handle(req, res, route.route, query);
      const seat = this.flows.acquire(flowOf(user, req.headers['user-agent']));
      const release = seat instanceof Promise ? await seat : seat;
      // The client gave up while the request waited: the seat goes to the next one at once.
      if (req.socket.destroyed) return release();
      holdSeat(req, () => this.flows.yield(release));
      try {
        return await this.resources.handle(req, res, route.route, query);
      } finally {
        release();
      }
    }
    if (
      HEALTH_PATHS.has(path) ||
      path.startsWith('/healthz/') ||
      path.startsWith('/livez/') ||
      path.startsWith('/readyz/')
    ) {
      return sendText(res, 200, 'ok');
    }
    const apiReq: ApiRequest = {
      method: req.method ?? 'GET',
      path,
      query,
      headers: req.headers,
      user,
      readBody: () => readBody(req),
    };
    for (const handler of this.options.pathHandlers ?? []) {
      const answer = await handler(apiReq);
      if (answer) return sendResponse(res, answer);
    }
    throw errors.pathNotFound(path);
  }

  private toApiError(err: unknown, req: IncomingMessage): ApiError {
    const apiErr = err instanceof ApiError ? err : errors.internal(errorMessage(err));
    if (apiErr.code >= 500) this.options.onError?.(err, req);
    return apiErr;
  }

  private fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const apiErr = this.toApiError(err, req);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    // A body we refused to read must not be parsed as the next request.
    if (apiErr.code === 413) headers.connection = 'close';
    const retryAfter = apiErr.status.details?.retryAfterSeconds;
    if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
    res.writeHead(apiErr.code, headers);
    res.end(JSON.stringify(apiErr.status));
  }
}

/** Requests that hold on for as long as the client wants: they take no flow-control seat. */
function longRunning(
  method: string | undefined,
  subresource: string | undefined,
  query: URLSearchParams,
): boolean {
  if (subresource !== undefined && LONG_RUNNING_SUBRESOURCES.has(subresource)) return true;
  return method === 'GET' && isTrue(query.get('watch'));
}

const LONG_RUNNING_SUBRESOURCES = new Set(['log', 'exec', 'attach', 'portforward', 'proxy']);

/**
 * Who a request is from, for fair queuing: the user and the client program (the user agent up
 * to its first "/", as field managers are named), as Kubernetes' default FlowSchemas tell flows
 * apart by user. The control plane's parts share one user; their programs (scheduler,
 * controller manager) are separate flows.
 */
function flowOf(user: UserInfo, userAgent: string | undefined): string {
  return `${user.username}\u0000${managerOrUserAgent(undefined, userAgent)}`;
}

/** A request target that is a plain absolute path (no dot segments, nothing to escape) and a query. */
const PLAIN_TARGET = /^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*(?:\?[^#\s]*)?$/;
const DOT_SEGMENT = /\/\.\.?(?:\/|\?|$)/;

/**
 * The path and query of a request target. Plain targets are split as text, which is what URL
 * would give for them at a fraction of the cost (one per request); anything else goes through URL.
 */
export function requestTarget(target: string): { path: string; query: URLSearchParams } {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  if (PLAIN_TARGET.test(target) && !DOT_SEGMENT.test(path)) {
    return { path, query: new URLSearchParams(q < 0 ? '' : target.slice(q + 1)) };
  }
  const url = new URL(target, 'https://localhost');
  return { path: url.pathname, query: url.searchParams };
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

function sendResponse(res: ServerResponse, answer: ApiResponse): void {
  const headers = { ...answer.headers };
  let body: string | Buffer;
  if (typeof answer.body === 'string' || Buffer.isBuffer(answer.body)) {
    body = answer.body;
  } else {
    body = JSON.stringify(answer.body);
    headers['content-type'] ??= 'application/json';
  }
  res.writeHead(answer.status, headers);
  res.end(body);
}
