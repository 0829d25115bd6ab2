/**
 * The ingress proxy: HTTP and HTTPS listeners that route each request by the current RouteTable
 * and forward it to a ready endpoint of the chosen Service, streaming bodies both ways.
 *
 * - The table is recompiled from the caches a few ms after any change that can alter it (changes
 *   in a burst, as in a rollout, give one compile) and swapped whole. A request picks its route and endpoint
 *   once; only later requests see a new table, so no configuration change cuts a request or
 *   WebSocket in flight.
 * - Upstream connections are pooled (keep-alive Agent); endpoints are taken round-robin.
 * - A request whose upstream fails before any response byte is retried (up to 3 tries): on
 *   another endpoint of the same backend, read from the current table (endpoints vanish between
 *   pick and connect during rollouts), when the connection was never made or, for idempotent
 *   methods, on any error; on a new connection to the same endpoint when a reused keep-alive
 *   socket turns out closed by the backend. Never once the request body outgrew the replay
 *   buffer. 502 when every try failed.
 * - TLS certificates come from `kubernetes.io/tls` Secrets chosen by SNI; names without one get
 *   a certificate made at start from a throwaway CA, which no client trusts (as nginx's fake one).
 */
import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo, type Socket } from 'node:net';
import tls, { type SecureContext } from 'node:tls';
import type { KubeObject } from '../../api/object.js';
import { createCertificateAuthority, issueServingCertificate } from '../../pki/certs.js';
import { errorMessage } from '../../util/error-message.js';
import { serviceKeyOfSlice } from '../endpoint-slices.js';
import type { ObjectCache } from '../object-cache.js';
import { type Backend, chooseBackend, compileRoutes, type Endpoint, RouteTable } from './routes.js';
import { type ResponseHead, type ResponseSink, UpstreamConnection, UpstreamPool } from './upstream.js';

export interface IngressProxyOptions {
  ingresses: ObjectCache<KubeObject>;
  ingressClasses: ObjectCache<KubeObject>;
  services: ObjectCache<KubeObject>;
  endpointSlices: ObjectCache<KubeObject>;
  secrets: ObjectCache<KubeObject>;
  /** Warnings about the objects (each logged once while it holds) and about bad Secrets. */
  log?: (line: string) => void;
  /** Quiet time after a change before the table is recompiled (default 5 ms). */
  debounceMs?: number;
  /** Uniform in [0, 1), drawn per request for canary routing (default Math.random). */
  random?: () => number;
  /** How long a connection to an endpoint may take before it counts as failed (default 3 s). */
  connectTimeoutMs?: number;
  /** How long `close` lets requests in flight finish before cutting them (default 10 s). */
  drainMs?: number;
}

export interface ListenOptions {
  /** 0 picks a free port; read it back from the result. */
  httpPort: number;
  httpsPort: number;
  host: string;
}

export interface ListeningPorts {
  httpPort: number;
  httpsPort: number;
}

/** Tries per request (the first included), each on a different endpoint. */
const MAX_TRIES = 3;
/** Request bodies up to this size are kept so a failed try can be replayed on another endpoint. */
const REPLAY_LIMIT = 64 * 1024;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
/** Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus ours to set. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
const OURS = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port']);
const DEFAULT_CERT_NAME = 'Shoal Ingress Controller Fake Certificate';

/** Why a request gets no backend: the status and the reason in its body. */
interface Refusal {
  status: 404 | 503;
  why: string;
}
const NO_ROUTE: Refusal = { status: 404, why: 'no Ingress rule matches this host and path' };

export class IngressProxy {
  private current: RouteTable = RouteTable.EMPTY;
  private readonly log: (line: string) => void;
  private readonly random: () => number;
  private readonly debounceMs: number;
  readonly connectTimeoutMs: number;
  private readonly drainMs: number;
  /** Keep-alive connections to endpoints, reused most recently used first. */
  readonly pool = new UpstreamPool();
  private rebuildTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void)[] = [];
  private lastWarnings = new Set<string>();
  private readonly contexts = new Map<string, { version: unknown; context: SecureContext | undefined }>();
  private readonly upgraded = new Set<Socket>();
  private httpServer: http.Server | undefined;
  private httpsServer: https.Server | undefined;
  private listening: Promise<ListeningPorts> | undefined;

  constructor(private readonly opts: IngressProxyOptions) {
    this.log = opts.log ?? (() => undefined);
    this.random = opts.random ?? Math.random;
    this.debounceMs = opts.debounceMs ?? 5;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 3000;
    this.drainMs = opts.drainMs ?? 10_000;
  }

  /** The routing table requests are matched against now. */
  get table(): RouteTable {
    return this.current;
  }

  /** Recompiles the table from the caches now and swaps it in. */
  rebuild(): void {
    clearTimeout(this.rebuildTimer);
    this.rebuildTimer = undefined;
    const { table, warnings } = compileRoutes({
      ingresses: this.opts.ingresses.list(),
      ingressClasses: this.opts.ingressClasses.list(),
      services: this.opts.services.list(),
      endpointSlices: this.opts.endpointSlices.list(),
    });
    this.current = table;
    // Endpoint changes of routed Services recompile often: say each problem once, not each time.
    const now = new Set(warnings);
    for (const w of now) if (!this.lastWarnings.has(w)) this.log(`ingress: ${w}`);
    this.lastWarnings = now;
  }

  /** Follows the caches, makes the default certificate and opens both listeners. */
  listen(options: ListenOptions): Promise<ListeningPorts> {
    this.listening ??= this.start(options);
    return this.listening;
  }

  /** Serves until the signal aborts (listening on 80/443 of every address unless `listen` ran first). */
  async run(signal: AbortSignal): Promise<void> {
    await this.listen({ httpPort: 80, httpsPort: 443, host: '0.0.0.0' });
    if (!signal.aborted) await once(signal, 'abort');
    await this.close();
  }

  /** Stops accepting, lets requests in flight finish (up to `drainMs`), then cuts the rest. */
  async close(): Promise<void> {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    clearTimeout(this.rebuildTimer);
    const servers = [this.httpServer, this.httpsServer].filter((s) => s !== undefined);
    const closed = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    // Keep-alive connections become idle as their last request ends: close each as it does.
    const closeIdle = () => {
      for (const s of servers) s.closeIdleConnections();
    };
    closeIdle();
    const sweeper = setInterval(closeIdle, 50);
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.all(closed).then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), this.drainMs);
      }),
    ]);
    clearTimeout(timer);
    clearInterval(sweeper);
    if (!drained) {
      for (const s of servers) s.closeAllConnections();
      for (const socket of this.upgraded) socket.destroy();
      await Promise.all(closed);
    }
    this.pool.destroy();
  }

  private async start(options: ListenOptions): Promise<ListeningPorts> {
    const schedule = () => this.scheduleRebuild();
    for (const cache of [this.opts.ingresses, this.opts.ingressClasses]) {
      this.unsubscribe.push(cache.onAdd(schedule), cache.onUpdate(schedule), cache.onDelete(schedule));
    }
    // Endpoints churn in every Service of the cluster; only those of Services a route sends to
    // change the table. A Service an Ingress change newly names needs no event of its own: that
    // change recompiles from the caches.
    const ifRouted = (serviceKey: string | undefined) => {
      if (serviceKey !== undefined && this.current.routesTo(serviceKey)) this.scheduleRebuild();
    };
    const onService = (svc: KubeObject) => ifRouted(`${svc.metadata.namespace ?? ''}/${svc.metadata.name}`);
    const onSlice = (slice: KubeObject) => ifRouted(serviceKeyOfSlice(slice));
    this.unsubscribe.push(
      this.opts.services.onAdd(onService),
      this.opts.services.onUpdate((_old, svc) => onService(svc)),
      this.opts.services.onDelete(onService),
      this.opts.endpointSlices.onAdd(onSlice),
      // A slice relabelled to another Service matters to both.
      this.opts.endpointSlices.onUpdate((old, slice) => {
        onSlice(old);
        onSlice(slice);
      }),
      this.opts.endpointSlices.onDelete(onSlice),
    );
    this.rebuild();

    const fake = await defaultCertificate();
    const httpServer = http.createServer((req, res) => this.onRequest(req, res, false));
    const httpsServer = https.createServer(
      {
        cert: fake.certPem,
        key: fake.keyPem,
        SNICallback: (name, cb) => cb(null, this.contextFor(name)),
      },
      (req, res) => this.onRequest(req, res, true),
    );
    for (const [server, secure] of [
      [httpServer, false],
      [httpsServer, true],
    ] as const) {
      // As nginx: idle clients keep their connection a while; uploads and streams are not cut.
      server.keepAliveTimeout = 75_000;
      server.headersTimeout = 60_000;
      server.requestTimeout = 0;
      server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
        this.onUpgrade(req, socket, head, secure),
      );
    }
    this.httpServer = httpServer;
    this.httpsServer = httpsServer;
    await Promise.all([
      once(httpServer.listen(options.httpPort, options.host), 'listening'),
      once(httpsServer.listen(options.httpsPort, options.host), 'listening'),
    ]);
    return {
      httpPort: (httpServer.address() as AddressInfo).port,
      httpsPort: (httpsServer.address() as AddressInfo).port,
    };
  }

  private scheduleRebuild(): void {
    if (this.rebuildTimer) return;
    this.rebuildTimer = setTimeout(() => this.rebuild(), this.debounceMs);
  }

  /** The secure context for a server name, or undefined for the default certificate. */
  private contextFor(serverName: string): SecureContext | undefined {
    const ref = this.current.certificateFor(serverName);
    if (!ref) return undefined;
    const secret = this.opts.secrets.get(ref.name, ref.namespace);
    const key = `${ref.namespace}/${ref.name}`;
    if (!secret) {
      this.contexts.delete(key);
      return undefined;
    }
    // A new resourceVersion (or, without one, a new object) means new certificate data.
    const version = secret.metadata.resourceVersion ?? secret;
    const cached = this.contexts.get(key);
    if (cached && cached.version === version) return cached.context;
    let context: SecureContext | undefined;
    try {
      context = tls.createSecureContext(tlsMaterial(secret));
    } catch (err) {
      this.log(
        `ingress: secret ${key} cannot serve TLS (${errorMessage(err)}); using the default certificate`,
      );
    }
    this.contexts.set(key, { version, context });
    return context;
  }

  /** The backend for a request by the current table, or the status and reason to refuse it with. */
  private backendFor(req: IncomingMessage): Backend | Refusal {
    const route = this.current.match(req.headers.host, req.url ?? '/');
    if (!route) return NO_ROUTE;
    const backend = chooseBackend(route, this.random());
    return backend.endpoints.length > 0 ? backend : { status: 503, why: backend.unavailable };
  }

  private onRequest(req: IncomingMessage, res: ServerResponse, secure: boolean): void {
    const backend = this.backendFor(req);
    if ('status' in backend) {
      reply(res, backend.status, backend.why);
      return;
    }
    new Exchange(this, req, res, backend, secure).start();
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer, secure: boolean): void {
    const backend = this.backendFor(req);
    if ('status' in backend) {
      replyRaw(socket, backend.status, backend.why);
      return;
    }
    this.upgraded.add(socket);
    socket.once('close', () => this.upgraded.delete(socket));
    const requestHead = Buffer.from(
      `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n${rawHeaderLines(req, secure)}\r\n`,
      'latin1',
    );
    const tried: string[] = [];
    const attempt = (): void => {
      const endpoint = tried.length < MAX_TRIES ? this.nextEndpoint(backend, tried) : undefined;
      if (!endpoint) {
        replyRaw(socket, 502, `no endpoint of ${backend.key} accepted the connection`);
        return;
      }
      tried.push(endpoint.key);
      const upstream = net.connect({ host: endpoint.host, port: endpoint.port, noDelay: true });
      const timer = setTimeout(() => upstream.destroy(new Error('connect timeout')), this.connectTimeoutMs);
      const onConnectError = () => {
        clearTimeout(timer);
        upstream.destroy();
        if (!socket.destroyed) attempt();
      };
      upstream.once('error', onConnectError);
      upstream.once('connect', () => {
        clearTimeout(timer);
        upstream.off('error', onConnectError);
        this.upgraded.add(upstream);
        upstream.once('close', () => this.upgraded.delete(upstream));
        upstream.write(requestHead);
        if (head.length > 0) upstream.write(head);
        // From here the proxy is a byte pipe: the backend's answer (101 or a refusal) goes back as is.
        upstream.pipe(socket);
        socket.pipe(upstream);
        upstream.on('error', () => socket.destroy());
        socket.on('error', () => upstream.destroy());
        upstream.once('close', () => socket.destroy());
        socket.once('close', () => upstream.destroy());
      });
    };
    socket.on('error', () => undefined);
    attempt();
  }

  /**
   * The next endpoint round-robin, skipping those tried: from the backend's current version when
   * the table changed since the request picked it (endpoints come and go in rollouts).
   */
  nextEndpoint(picked: Backend, tried: readonly string[]): Endpoint | undefined {
    const backend = tried.length === 0 ? picked : (this.current.backend(picked.key) ?? picked);
    const eps = backend.endpoints;
    for (let i = 0; i < eps.length; i++) {
      const ep = eps[backend.next++ % eps.length]!;
      if (!tried.includes(ep.key)) return ep;
    }
    return undefined;
  }
}

/** One request on its way: tries endpoints until one answers or no try is left. */
class Exchange implements ResponseSink {
  /** Endpoints tried, by key; `tries` also counts fresh-connection retries of one endpoint. */
  private readonly tried: string[] = [];
  private tries = 0;
  private readonly hasBody: boolean;
  /** Whether the body goes upstream chunked (the client sent it so; Content-Length goes as is). */
  private readonly chunked: boolean;
  /** The body so far while it fits in REPLAY_LIMIT; null once it outgrew it. */
  private replay: Buffer[] | null = [];
  private replayBytes = 0;
  private bodyDone = false;
  private upstream: UpstreamConnection | undefined;
  private endpoint: Endpoint | undefined;
  private reused = false;
  private responded = false;
  private lastError = '';
  /** The request line and headers for the backend, without Host when the client sent none. */
  private readonly head: string;
  private readonly hasHost: boolean;

  constructor(
    private readonly proxy: IngressProxy,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly backend: Backend,
    secure: boolean,
  ) {
    const h = req.headers;
    this.chunked = h['transfer-encoding'] !== undefined;
    this.hasBody = this.chunked || (h['content-length'] !== undefined && h['content-length'] !== '0');
    this.hasHost = h.host !== undefined;
    const headers = forwardedHeaders(req, secure);
    let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    if (this.chunked) head += 'Transfer-Encoding: chunked\r\n';
    this.head = head;
  }

  start(): void {
    const { req, res } = this;
    if (this.hasBody) {
      req.on('data', (chunk: Buffer) => this.onBodyChunk(chunk));
      req.on('end', () => {
        this.bodyDone = true;
        if (this.chunked) this.upstream?.socket.write('0\r\n\r\n');
      });
    }
    req.on('error', () => this.abandon());
    // The client went away before the answer was complete: stop the upstream work too.
    res.on('close', () => {
      if (!res.writableFinished) this.abandon();
    });
    this.attempt();
  }

  private abandon(): void {
    const up = this.upstream;
    this.upstream = undefined;
    up?.destroy();
  }

  private onBodyChunk(chunk: Buffer): void {
    if (this.replay) {
      this.replayBytes += chunk.length;
      if (this.replayBytes > REPLAY_LIMIT) this.replay = null;
      else this.replay.push(chunk);
    }
    const up = this.upstream;
    if (up && !this.sendBody(up, chunk)) {
      this.req.pause();
      up.socket.once('drain', () => {
        if (this.upstream === up) this.req.resume();
      });
    }
  }

  private sendBody(up: UpstreamConnection, chunk: Buffer): boolean {
    if (!this.chunked) return up.socket.write(chunk);
    if (chunk.length === 0) return true;
    up.socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
    up.socket.write(chunk);
    return up.socket.write('\r\n', 'latin1');
  }

  /**
   * One try. `again` retries an endpoint whose pooled connection turned out dead, on a connection
   * of its own: the endpoint itself is most likely fine (the backend closed an idle socket).
   */
  private attempt(again?: Endpoint): void {
    const endpoint = again ?? this.proxy.nextEndpoint(this.backend, this.tried);
    if (!endpoint) {
      this.fail();
      return;
    }
    this.tries++;
    if (!again) this.tried.push(endpoint.key);
    const pooled = again ? undefined : this.proxy.pool.take(endpoint.key);
    const up =
      pooled ??
      UpstreamConnection.connect(
        this.proxy.pool,
        endpoint.host,
        endpoint.port,
        endpoint.key,
        this.proxy.connectTimeoutMs,
      );
    this.upstream = up;
    this.endpoint = endpoint;
    this.reused = pooled !== undefined;
    const head = this.hasHost ? `${this.head}\r\n` : `${this.head}Host: ${endpoint.key}\r\n\r\n`;
    up.begin(this, head, this.req.method === 'HEAD');
    if (!this.hasBody) return;
    const socket = up.socket;
    socket.cork();
    for (const chunk of this.replay ?? []) this.sendBody(up, chunk);
    if (this.bodyDone && this.chunked) socket.write('0\r\n\r\n');
    socket.uncork();
    if (!this.bodyDone && this.req.isPaused()) this.req.resume();
  }

  onError(err: Error): void {
    const up = this.upstream;
    this.upstream = undefined;
    if (!up) return;
    this.lastError = `${this.endpoint!.key}: ${err.message}`;
    if (this.responded) {
      this.res.destroy();
      return;
    }
    const retryable =
      this.tries < MAX_TRIES &&
      !this.res.destroyed &&
      (!this.hasBody || this.replay !== null) &&
      (!up.connected || this.reused || IDEMPOTENT.has(this.req.method ?? ''));
    if (!retryable) {
      this.fail();
      return;
    }
    this.attempt(this.reused ? this.endpoint : undefined);
  }

  private fail(): void {
    reply(this.res, 502, `no endpoint of ${this.backend.key} answered (last: ${this.lastError})`);
  }

  onHead(head: ResponseHead): void {
    this.responded = true;
    const { res } = this;
    if (res.destroyed) {
      this.abandon();
      return;
    }
    try {
      res.writeHead(head.status, head.statusMessage, withoutHopByHop(head.rawHeaders));
    } catch (err) {
      // Header names or values Node refuses to send: the backend's answer cannot be relayed.
      this.responded = false;
      this.abandon();
      this.lastError = `${this.endpoint!.key}: ${errorMessage(err)}`;
      this.fail();
    }
  }

  onBody(chunk: Buffer, last: boolean): void {
    const up = this.upstream;
    if (!up) return;
    const { res } = this;
    if (last) {
      this.upstream = undefined;
      // A request body still on its way cannot share the connection with the next request.
      if (this.hasBody && !this.bodyDone) up.destroy();
      else up.release();
      // One write for head and body when the whole answer came in one piece.
      res.end(chunk);
      return;
    }
    if (!res.write(chunk)) {
      up.socket.pause();
      res.once('drain', () => up.socket.resume());
    }
  }
}

/** The request's headers for the backend: hop-by-hop ones dropped, X-Forwarded-* set. */
function forwardedHeaders(req: IncomingMessage, secure: boolean): string[] {
  const out = withoutHopByHop(req.rawHeaders, OURS);
  pushForwarded(out, req, secure);
  return out;
}

function pushForwarded(out: string[], req: IncomingMessage, secure: boolean): void {
  const client = clientAddress(req.socket);
  const prior = req.headers['x-forwarded-for'];
  out.push(
    'X-Forwarded-For',
    prior ? `${prior}, ${client}` : client,
    'X-Forwarded-Proto',
    secure ? 'https' : 'http',
    'X-Forwarded-Port',
    String(req.socket.localPort ?? ''),
  );
  if (req.headers.host) out.push('X-Forwarded-Host', req.headers.host);
}

/** Raw headers as `Name: value\r\n` lines for an Upgrade request (which keeps Connection/Upgrade). */
function rawHeaderLines(req: IncomingMessage, secure: boolean): string {
  const out: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (!OURS.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  }
  pushForwarded(out, req, secure);
  let lines = '';
  for (let i = 0; i < out.length; i += 2) lines += `${out[i]}: ${out[i + 1]}\r\n`;
  return lines;
}

/** A flat raw header list without hop-by-hop headers (nor those the Connection header lists, nor `drop`). */
function withoutHopByHop(raw: readonly string[], drop?: ReadonlySet<string>): string[] {
  let listed: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') {
      listed ??= new Set();
      for (const token of raw[i + 1]!.split(',')) listed.add(token.trim().toLowerCase());
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || drop?.has(name) || listed?.has(name)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

function clientAddress(socket: Socket): string {
  const a = socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

function replyText(status: number, why: string): string {
  return `${status} ${http.STATUS_CODES[status]}: ${why}\n`;
}

function reply(res: ServerResponse, status: number, why: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = replyText(status, why);
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}

function replyRaw(socket: Socket, status: number, why: string): void {
  const body = replyText(status, why);
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** The PEM certificate and key of a `kubernetes.io/tls` Secret; throws saying what is wrong. */
export function tlsMaterial(secret: KubeObject): { cert: string; key: string } {
  if (secret.type !== 'kubernetes.io/tls') {
    throw new Error(`type is ${JSON.stringify(secret.type ?? '')}, not kubernetes.io/tls`);
  }
  const data = (secret.data ?? {}) as Record<string, unknown>;
  const decode = (field: string): string => {
    const v = data[field];
    if (typeof v !== 'string' || v === '') throw new Error(`data.${field} is missing`);
    return Buffer.from(v, 'base64').toString('utf8');
  };
  return { cert: decode('tls.crt'), key: decode('tls.key') };
}

/** The certificate for names no Secret covers, from a CA that is thrown away: trusted by no one. */
async function defaultCertificate(): Promise<{ certPem: string; keyPem: string }> {
  const ca = await createCertificateAuthority();
  return issueServingCertificate(ca, {
    commonName: DEFAULT_CERT_NAME,
    sans: { dnsNames: ['ingress.local'], ips: [] },
  });
}
