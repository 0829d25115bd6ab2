/**
 * Shoal's typed REST client: the one way every Shoal component (CLI, controllers, scheduler,
 * agents, dashboard) talks to the API server.
 *
 * Verbs are addressed by `ResourceDef` (src/api/resources.ts) + namespace + name, so URLs are
 * built in one place. Requests go over node:http(s) with keep-alive agents (TLS material and
 * credentials from a kubeconfig). A non-2xx answer is thrown as `ApiError` carrying the server's
 * `Status` (a 410 as `GoneError`); failing to reach the server is a `ConnectionError` naming the
 * server URL. Warnings the server sends (`Warning:` headers) go to `onWarning`.
 *
 * For namespaced kinds, `namespace` undefined means "all namespaces" on list/watch/
 * deleteCollection, and is an error on the single-object verbs (create/update/apply fall back to
 * the object's own metadata.namespace). For cluster-scoped kinds the namespace is ignored.
 */
import fs from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { urlToHttpOptions } from 'node:url';
import { type Dispatcher, Pool } from 'undici';
import type { ApiError, Status, StatusReason } from '../api/errors.js';
import type { KubeList, KubeObject } from '../api/object.js';
import type { ResourceDef } from '../api/resources.js';
import { systemClock } from '../util/clock.js';
import type { ClusterConnection } from './kubeconfig.js';
import { decodeWatchStream, errorFromStatus, type WatchEvent } from './watch.js';

export interface ClientOptions {
  /** `https://host:port` (http:// for plain-HTTP test servers). A path prefix is kept. */
  server: string;
  /**
   * Reach the server through this Unix socket instead (plain HTTP; `server` still gives the path
   * prefix and the Host header). The control plane's own components use the API server's.
   */
  socketPath?: string;
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  token?: string;
  /** Re-read at most once a minute, so rotated tokens are picked up. */
  tokenFile?: string;
  username?: string;
  password?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  /** Sent as User-Agent; the server names the field manager of writes after it. */
  userAgent?: string;
  /** Limit for one non-watch request, in ms (default 60 s; 0 for none). */
  timeoutMs?: number;
  /** Most concurrent connections to the server (default unlimited). */
  maxSockets?: number;
  /** The server's warnings (e.g. unknown fields under fieldValidation=Warn). */
  onWarning?: (message: string) => void;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

type SubresourceName = 'status' | 'scale' | 'binding' | 'eviction' | 'finalize';

export interface RequestOptions {
  signal?: AbortSignal;
  /** Overrides the client's timeoutMs for this request. */
  timeoutMs?: number;
}

export interface GetOptions extends RequestOptions {
  subresource?: SubresourceName;
  resourceVersion?: string;
}

export interface ListOptions extends RequestOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  timeoutSeconds?: number;
}

export interface WriteOptions extends RequestOptions {
  subresource?: SubresourceName;
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

export interface PatchOptions extends WriteOptions {
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
}

export interface DeleteOptions extends RequestOptions {
  dryRun?: boolean;
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Stream what happened after this version; unset or "0" starts with the current state as ADDED. */
  resourceVersion?: string;
  /** Default true. */
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  signal?: AbortSignal;
  /** Ask for table rows (`TABLE_ACCEPT`): each event's object is then a one-row Table. */
  accept?: string;
  /** With table rows: what of the object each row carries (default: the server's). */
  includeObject?: 'None' | 'Metadata' | 'Object';
}

export interface TableColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
}

export interface TableRow {
  cells: unknown[];
  object?: { metadata?: { name?: string; namespace?: string; resourceVersion?: string } };
}

export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata?: { resourceVersion?: string; continue?: string };
  columnDefinitions: TableColumn[];
  rows: TableRow[];
}

export interface RawRequest extends RequestOptions {
  query?: Record<string, string | number | boolean | undefined> | URLSearchParams;
  body?: string | Buffer;
  headers?: Record<string, string>;
}

export interface RawResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The server could not be reached, or the connection failed before an answer arrived. */
export class ConnectionError extends Error {
  constructor(
    readonly server: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ConnectionError';
  }
}

/** Paths sent as they are: no query, fragment or characters a URL would percent-encode. */
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;
/** "." and ".." segments, which a URL resolves. */
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;

const TOKEN_FILE_TTL_MS = 60_000;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const DEFAULT_TIMEOUT_MS = 60_000;

export class Client {
  readonly server: string;
  private readonly url: URL;
  /** Host and port (or Unix socket) for node:http(s).request. */
  private readonly endpoint: { hostname: string; port?: number; socketPath?: string };
  /** The server URL's path prefix, without a trailing slash. */
  private readonly basePath: string;
  private readonly agent: http.Agent;
  /** undici's connections on the loopback socket, made on first use (see exchangeOnSocket). */
  private pool: Pool | undefined;
  private readonly transport: typeof http | typeof https;
  private readonly baseHeaders: Record<string, string>;
  private readonly timeoutMs: number;
  private tokenCache: { token: string; readAt: number } | undefined;
  /** Why the TLS material cannot be used; reported by every request. */
  private tlsError: ConnectionError | undefined;

  constructor(private readonly options: ClientOptions) {
    this.url = new URL(options.server);
    const { hostname, port } = urlToHttpOptions(this.url);
    this.endpoint = options.socketPath
      ? { hostname: hostname ?? 'localhost', socketPath: options.socketPath }
      : { hostname: hostname ?? 'localhost', ...(port ? { port: Number(port) } : {}) };
    this.basePath = this.url.pathname.replace(/\/+$/, '');
    this.server = options.server.replace(/\/+$/, '');
    const secure = this.url.protocol === 'https:' && !options.socketPath;
    this.transport = secure ? https : http;
    const secureContext = secure ? this.secureContext() : undefined;
    this.agent = secure
      ? new https.Agent({
          keepAlive: true,
          ...(options.maxSockets ? { maxSockets: options.maxSockets } : {}),
          ...(secureContext ? { secureContext } : {}),
          ...(options.tlsServerName ? { servername: options.tlsServerName } : {}),
          rejectUnauthorized: !options.insecureSkipTlsVerify,
        })
      : new http.Agent({
          keepAlive: true,
          ...(options.maxSockets ? { maxSockets: options.maxSockets } : {}),
        });
    this.baseHeaders = { 'user-agent': options.userAgent ?? 'shoal' };
    if (options.token) this.baseHeaders.authorization = `Bearer ${options.token}`;
    else if (options.username !== undefined && !options.tokenFile) {
      const basic = Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64');
      this.baseHeaders.authorization = `Basic ${basic}`;
    }
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * One secure context for every connection: given only ca/cert/key, each new TLS connection
   * would parse the PEMs and build a context of its own.
   */
  private secureContext(): tls.SecureContext | undefined {
    const { ca, cert, key } = this.options;
    try {
      return tls.createSecureContext({
        ...(ca ? { ca } : {}),
        ...(cert ? { cert } : {}),
        ...(key ? { key } : {}),
      });
    } catch (err) {
      this.tlsError = new ConnectionError(
        this.server,
        `the TLS material for ${this.server} (CA, client certificate or key) cannot be used: ${(err as Error).message}`,
        { cause: err },
      );
      return undefined;
    }
  }

  static fromKubeconfig(conn: ClusterConnection, options: Partial<ClientOptions> = {}): Client {
    return new Client({
      server: conn.server,
      ...(conn.ca ? { ca: conn.ca } : {}),
      ...(conn.cert ? { cert: conn.cert } : {}),
      ...(conn.key ? { key: conn.key } : {}),
      ...(conn.token ? { token: conn.token } : {}),
      ...(conn.tokenFile ? { tokenFile: conn.tokenFile } : {}),
      ...(conn.username !== undefined ? { username: conn.username, password: conn.password ?? '' } : {}),
      ...(conn.tlsServerName ? { tlsServerName: conn.tlsServerName } : {}),
      insecureSkipTlsVerify: conn.insecureSkipTlsVerify,
      ...options,
    });
  }

  /** Close idle connections. In-flight requests and watches finish on their own. */
  close(): void {
    this.agent.destroy();
    this.pool?.close().catch(() => undefined);
    this.pool = undefined;
  }

  // ---- paths -----------------------------------------------------------------------------------

  /** The URL path of a collection, an object, or an object's subresource. */
  path(def: ResourceDef, namespace?: string, name?: string, subresource?: string): string {
    let p = def.group ? `/apis/${def.group}/${def.version}` : `/api/${def.version}`;
    if (def.namespaced && namespace !== undefined && namespace !== '') {
      p += `/namespaces/${encodeURIComponent(namespace)}`;
    }
    p += `/${def.resource}`;
    if (name !== undefined) {
      if (name === '') throw new Error(`a ${def.kind} name is required`);
      p += `/${encodeURIComponent(name)}`;
      if (subresource) p += `/${subresource}`;
    }
    return p;
  }

  private objectPath(def: ResourceDef, namespace: string | undefined, name: string, sub?: string): string {
    if (def.namespaced && !namespace) {
      throw new Error(`${def.resource} are namespaced: a namespace is required for ${def.kind} "${name}"`);
    }
    return this.path(def, namespace, name, sub);
  }

  // ---- verbs -----------------------------------------------------------------------------------

  async get<T extends KubeObject = KubeObject>(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    options: GetOptions = {},
  ): Promise<T> {
    return this.json<T>('GET', this.objectPath(def, namespace, name, options.subresource), {
      query: { resourceVersion: options.resourceVersion },
      ...requestOpts(options),
    });
  }

  /** One page (set `limit`) or the whole collection (no limit). */
  async list<T extends KubeObject = KubeObject>(
    def: ResourceDef,
    namespace: string | undefined,
    options: ListOptions = {},
  ): Promise<KubeList<T>> {
    return this.json<KubeList<T>>('GET', this.path(def, namespace), {
      query: listQuery(options),
      ...requestOpts(options),
    });
  }

  /**
   * The whole collection, fetched `pageSize` items at a time (each page continues the first
   * page's snapshot). The result carries the snapshot's resourceVersion, to watch from.
   */
  async listAll<T extends KubeObject = KubeObject>(
    def: ResourceDef,
    namespace: string | undefined,
    options: Omit<ListOptions, 'limit' | 'continue'> & { pageSize?: number } = {},
  ): Promise<KubeList<T>> {
    const { pageSize = 500, ...rest } = options;
    const items: T[] = [];
    let token: string | undefined;
    for (;;) {
      const page = await this.list<T>(def, namespace, {
        ...rest,
        limit: pageSize,
        ...(token ? { continue: token } : {}),
      });
      for (const item of page.items) items.push(item);
      token = page.metadata.continue;
      if (!token) return { ...page, metadata: { resourceVersion: page.metadata.resourceVersion }, items };
    }
  }

  /**
   * POST to the collection. With `subresource` (binding, eviction) the object's
   * `metadata.name` names the object the subresource belongs to.
   */
  async create<T extends KubeObject = KubeObject>(
    def: ResourceDef,
    namespace: string | undefined,
    obj: KubeObject | Record<string, unknown>,
    options: WriteOptions = {},
  ): Promise<T> {
    const ns = namespace ?? (obj as KubeObject).metadata?.namespace;
    let path: string;
    if (options.subresource) {
      path = this.objectPath(def, ns, (obj as KubeObject).metadata?.name ?? '', options.subresource);
    } else {
      if (def.namespaced && !ns) throw new Error(`${def.resource} are namespaced: a namespace is required`);
      path = this.path(def, ns);
    }
    return this.json<T>('POST', path, {
      query: writeQuery(options),
      ...jsonBody(obj),
      ...requestOpts(options),
    });
  }

  /** PUT the object (name from metadata.name); a resourceVersion in it makes the write conditional. */
  async update<T extends KubeObject = KubeObject>(
    def: ResourceDef,
    namespace: string | undefined,
    obj: KubeObject,
    options: WriteOptions = {},
  ): Promise<T> {
    const ns = namespace ?? obj.metadata?.namespace;
    return this.json<T>('PUT', this.objectPath(def, ns, obj.metadata?.name ?? '', options.subresource), {
      query: writeQuery(options),
      ...jsonBody(obj),
      ...requestOpts(options),
    });
  }

  /** PATCH with the given patch type. A string patch is sent as is, anything else as JSON. */
  async patch<T extends KubeObject = KubeObject>(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    options: PatchOptions = {},
  ): Promise<T> {
    if (type === 'apply' && !options.fieldManager) {
      throw new Error('server-side apply needs a fieldManager');
    }
    return this.json<T>('PATCH', this.objectPath(def, namespace, name, options.subresource), {
      query: { ...writeQuery(options), force: options.force === undefined ? undefined : options.force },
      body: typeof patch === 'string' ? patch : JSON.stringify(patch),
      headers: { 'content-type': PATCH_CONTENT_TYPES[type] },
      ...requestOpts(options),
    });
  }

  /** Server-side apply of `obj` (creates it when absent). JSON is valid apply YAML. */
  async apply<T extends KubeObject = KubeObject>(
    def: ResourceDef,
    namespace: string | undefined,
    obj: KubeObject,
    options: PatchOptions & { fieldManager: string },
  ): Promise<T> {
    const ns = namespace ?? obj.metadata?.namespace;
    return this.patch<T>(def, ns, obj.metadata?.name ?? '', 'apply', obj, options);
  }

  /**
   * DELETE. Returns the object as the server last had it: gone, or (with finalizers or a grace
   * period) marked with deletionTimestamp.
   */
  async delete<T extends KubeObject = KubeObject>(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): Promise<T> {
    return this.json<T>('DELETE', this.objectPath(def, namespace, name), {
      ...jsonBody(deleteBody(options)),
      ...requestOpts(options),
    });
  }

  /** DELETE on the collection: every object the selectors match. Returns the deleted objects. */
  async deleteCollection<T extends KubeObject = KubeObject>(
    def: ResourceDef,
    namespace: string | undefined,
    options: Omit<ListOptions, 'limit' | 'continue'> & DeleteOptions = {},
  ): Promise<KubeList<T>> {
    return this.json<KubeList<T>>('DELETE', this.path(def, namespace), {
      query: listQuery(options),
      ...jsonBody(deleteBody(options)),
      ...requestOpts(options),
    });
  }

  /** pods/binding: assign a pod to a node (the scheduler's one write). */
  async bind(namespace: string, pod: string, node: string, options: WriteOptions = {}): Promise<void> {
    await this.json(
      'POST',
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/binding`,
      {
        query: writeQuery(options),
        ...jsonBody({
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name: pod, namespace },
          target: { apiVersion: 'v1', kind: 'Node', name: node },
        }),
        ...requestOpts(options),
      },
    );
  }

  /** The server's table view (the columns kubectl prints) of one object or a collection. */
  async table(
    def: ResourceDef,
    namespace: string | undefined,
    name?: string,
    options: ListOptions & { includeObject?: 'None' | 'Metadata' | 'Object' } = {},
  ): Promise<Table> {
    const path = name === undefined ? this.path(def, namespace) : this.objectPath(def, namespace, name);
    return this.json<Table>('GET', path, {
      query: {
        ...(name === undefined ? listQuery(options) : {}),
        includeObject: options.includeObject,
      },
      headers: { accept: TABLE_ACCEPT },
      ...requestOpts(options),
    });
  }

  /**
   * Watch a collection: an async iterable of events (see watch.ts). Throws `GoneError` when
   * `resourceVersion` is too old, `ApiError` for other refusals, `ConnectionError` or
   * `WatchStreamError` when the connection fails. Ends quietly when `signal` aborts, and when
   * the server closes the stream (its timeout): watch again from the last resourceVersion seen.
   */
  async *watch<T = KubeObject>(
    def: ResourceDef,
    namespace: string | undefined,
    options: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<T>, void, undefined> {
    const { signal } = options;
    if (signal?.aborted) return;
    const query = {
      watch: 'true',
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      resourceVersion: options.resourceVersion,
      allowWatchBookmarks: options.allowWatchBookmarks ?? true,
      timeoutSeconds: options.timeoutSeconds,
      includeObject: options.includeObject,
    };
    let res: IncomingMessage;
    try {
      res = await this.open('GET', this.path(def, namespace), {
        query,
        headers: { accept: options.accept ?? 'application/json' },
        ...(signal ? { signal } : {}),
        timeoutMs: 0,
      });
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
    try {
      if (res.statusCode! < 200 || res.statusCode! >= 300) {
        const body = await readAll(res);
        throw failure(res.statusCode!, body, this.server);
      }
      yield* decodeWatchStream<T>(res, { server: this.server, ...(signal ? { signal } : {}) });
    } finally {
      res.destroy();
    }
  }

  // ---- raw requests ----------------------------------------------------------------------------

  /** Send a request; any status is returned, not thrown. Connection failures throw ConnectionError. */
  async request(method: string, path: string, options: RawRequest = {}): Promise<RawResponse> {
    for (let attempt = 1; ; attempt++) {
      const res = this.options.socketPath
        ? await this.exchangeOnSocket(method, path, options)
        : await this.exchange(method, path, options);
      // A 429 with Retry-After was refused before it ran (the server's flow control): send it
      // again after the wait, as client-go does, a few times before giving the 429 to the caller.
      const wait = res.statusCode === 429 ? retryAfterMs(res.headers['retry-after']) : undefined;
      if (wait !== undefined && attempt < MAX_THROTTLED_ATTEMPTS) {
        await systemClock.sleep(wait, options.signal);
        continue;
      }
      return res;
    }
  }

  /** One request and its whole answer, through node:http(s). */
  private async exchange(method: string, path: string, options: RawRequest): Promise<RawResponse> {
    const res = await this.open(method, path, options);
    const body = await readAll(res).catch((err) => {
      if (options.signal?.aborted) throw options.signal.reason;
      throw this.readFailed(err);
    });
    return { statusCode: res.statusCode ?? 0, headers: res.headers, body };
  }

  private readFailed(err: unknown): ConnectionError {
    return new ConnectionError(
      this.server,
      `reading the answer from ${this.server} failed: ${(err as Error).message}`,
      { cause: err },
    );
  }

  /**
   * One request and its whole answer, through undici on the API server's loopback socket: the
   * control plane's parts send most requests (a binding per pod), and undici's client costs
   * them about a third less CPU per request than node:http's. Watches still use node:http.
   */
  private async exchangeOnSocket(
    method: string,
    path: string,
    options: RawRequest,
    retried = false,
  ): Promise<RawResponse> {
    const signal = options.signal;
    if (signal?.aborted) throw signal.reason;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    this.pool ??= new Pool(this.url.origin, {
      socketPath: this.options.socketPath!,
      ...(this.options.maxSockets ? { connections: this.options.maxSockets } : {}),
    });
    let res: Dispatcher.ResponseData;
    try {
      res = await this.pool.request({
        path: this.requestPath(path, options.query),
        method: method as Dispatcher.HttpMethod,
        headers: this.requestHeaders(options),
        body: options.body ?? null,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const code = (err as { code?: string }).code;
      // A kept-alive connection the server closed as the request went out: once more, on a new one.
      if (!retried && code === 'UND_ERR_SOCKET' && IDEMPOTENT.has(method))
        return this.exchangeOnSocket(method, path, options, true);
      const target = `${method} ${this.server}${path}`;
      const timedOut = code === 'UND_ERR_HEADERS_TIMEOUT';
      throw connectionError(this.server, target, timedOut ? timeoutError(target, timeoutMs) : (err as Error));
    }
    this.reportWarnings(res.headers.warning);
    let body: Buffer;
    try {
      body = Buffer.from(await res.body.arrayBuffer());
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw this.readFailed(err);
    }
    return { statusCode: res.statusCode, headers: res.headers, body };
  }

  /** A request's headers: the client's, the call's, a token from the token file, the body's length. */
  private requestHeaders(options: RawRequest): Record<string, string> {
    const headers: Record<string, string> = { ...this.baseHeaders, ...options.headers };
    const token = this.fileToken();
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
    return headers;
  }

  /** Send a request and decode the JSON answer; non-2xx answers throw ApiError. */
  async json<T>(method: string, path: string, options: RawRequest = {}): Promise<T> {
    const res = await this.request(method, path, {
      ...options,
      headers: { accept: 'application/json', ...options.headers },
    });
    if (res.statusCode < 200 || res.statusCode >= 300) throw failure(res.statusCode, res.body, this.server);
    try {
      return JSON.parse(res.body.toString('utf8')) as T;
    } catch (err) {
      throw new ConnectionError(
        this.server,
        `the answer from ${this.server} to ${method} ${path} is not valid JSON: ${(err as Error).message}`,
      );
    }
  }

  /**
   * The request target (path and query). A plain path is joined as text: parsing a URL per
   * request is a measurable share of the scheduler's binding cost. Paths with dot segments,
   * a query or characters a URL would escape still go through URL, which normalises them.
   */
  private requestPath(path: string, query: RawRequest['query']): string {
    let out: string;
    let hasQuery: boolean;
    if (PLAIN_PATH.test(path) && !DOT_SEGMENT.test(path)) {
      out = this.basePath + path;
      hasQuery = false;
    } else {
      const url = new URL(this.basePath + path, this.url);
      out = url.pathname + url.search;
      hasQuery = url.search !== '';
    }
    if (!query) return out;
    const params = new URLSearchParams();
    const entries = query instanceof URLSearchParams ? query.entries() : Object.entries(query);
    for (const [k, v] of entries) if (v !== undefined) params.append(k, String(v));
    const search = params.toString();
    if (search === '') return out;
    return `${out}${hasQuery ? '&' : '?'}${search}`;
  }

  /**
   * Start a request and resolve with the response once its headers arrive. An idempotent request
   * whose kept-alive connection turns out to be closed by the server is sent once more on a new one.
   */
  private open(method: string, path: string, options: RawRequest, retried = false): Promise<IncomingMessage> {
    if (this.tlsError) return Promise.reject(this.tlsError);
    const requestPath = this.requestPath(path, options.query);
    const headers = this.requestHeaders(options);
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const signal = options.signal;
    const target = `${method} ${this.server}${path}`;

    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const req = this.transport.request({
        ...this.endpoint,
        path: requestPath,
        method,
        headers,
        agent: this.agent,
        ...(this.options.tlsServerName ? { servername: this.options.tlsServerName } : {}),
      });
      const onAbort = () =>
        req.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          req.destroy(timeoutError(target, timeoutMs));
        }, timeoutMs);
      }
      req.on('response', (res) => {
        settled = true;
        this.reportWarnings(res.headers.warning);
        // The timeout covers the whole exchange for ordinary requests; watches set none.
        res.on('close', cleanup);
        resolve(res);
      });
      req.on('error', (err) => {
        if (settled) return;
        settled = true;
        cleanup();
        if (signal?.aborted) return reject(signal.reason);
        const code = (err as NodeJS.ErrnoException).code;
        if (
          !retried &&
          req.reusedSocket &&
          (code === 'ECONNRESET' || code === 'EPIPE') &&
          IDEMPOTENT.has(method)
        ) {
          resolve(this.open(method, path, options, true));
          return;
        }
        reject(connectionError(this.server, target, err));
      });
      req.end(options.body);
    });
  }

  private fileToken(): string | undefined {
    const file = this.options.tokenFile;
    if (!file || this.options.token) return undefined;
    const now = Date.now();
    if (!this.tokenCache || now - this.tokenCache.readAt > TOKEN_FILE_TTL_MS) {
      try {
        this.tokenCache = { token: fs.readFileSync(file, 'utf8').trim(), readAt: now };
      } catch (err) {
        if (!this.tokenCache) {
          throw new ConnectionError(
            this.server,
            `cannot read the token file ${file}: ${(err as Error).message}`,
          );
        }
      }
    }
    return this.tokenCache?.token;
  }

  private reportWarnings(header: string | string[] | undefined): void {
    if (!header || !this.options.onWarning) return;
    for (const w of parseWarnings(Array.isArray(header) ? header.join(', ') : header))
      this.options.onWarning(w);
  }
}

class TimeoutError extends Error {}

/** A request's time limit ran out; connectionError reports it as it is. */
function timeoutError(target: string, timeoutMs: number): TimeoutError {
  return new TimeoutError(`${target} timed out after ${timeoutMs} ms`);
}

/** Tries of a request the server keeps refusing with 429 and Retry-After. */
const MAX_THROTTLED_ATTEMPTS = 5;

/** Retry-After in whole seconds (the form API servers send), capped at 10 s; undefined otherwise. */
function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const text = Array.isArray(header) ? header[0] : header;
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined;
  return Math.min(Number(text), 10) * 1000;
}

/** `299 - "text", 299 - "more"` → the texts. */
function parseWarnings(header: string): string[] {
  const out: string[] = [];
  const re = /\d{3} \S+ "((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(header); m; m = re.exec(header)) {
    out.push(m[1]!.replace(/\\(.)/g, '$1'));
  }
  return out;
}

function connectionError(server: string, target: string, err: Error): ConnectionError {
  if (err instanceof TimeoutError) return new ConnectionError(server, err.message, { cause: err });
  const code = (err as NodeJS.ErrnoException).code;
  let why = err.message;
  if (code === 'ECONNREFUSED')
    why = 'connection refused - is the server running, and is this the right host and port?';
  else if (code === 'ENOTFOUND') why = `unknown host (${err.message})`;
  else if (code && /CERT|SELF_SIGNED|UNABLE_TO|TLS|SSL/.test(code)) why = `TLS: ${err.message} (${code})`;
  return new ConnectionError(server, `unable to connect to the server at ${server} (${target}): ${why}`, {
    cause: err,
  });
}

const REASONS: Record<number, StatusReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  501: 'NotImplemented',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** The ApiError for a failed answer: the server's Status when it sent one, else one made from the code. */
function failure(code: number, body: Buffer, server: string): ApiError {
  const text = body.toString('utf8');
  try {
    const parsed = JSON.parse(text) as Partial<Status>;
    if (parsed && parsed.kind === 'Status' && typeof parsed.message === 'string') {
      return errorFromStatus({
        ...(parsed as Status),
        code: typeof parsed.code === 'number' ? parsed.code : code,
      });
    }
  } catch {
    // not JSON: describe it below
  }
  const snippet = text.trim().slice(0, 300);
  const message =
    code === 404
      ? 'the server could not find the requested resource'
      : `the server ${server} answered ${code}${snippet ? `: ${snippet}` : ''}`;
  return errorFromStatus({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: REASONS[code] ?? '',
    code,
  });
}

function readAll(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('the connection closed before the answer was complete')));
  });
}

/** A JSON request body and its content type, for the verbs that send an object. */
function jsonBody(value: unknown): Pick<RawRequest, 'body' | 'headers'> {
  return { body: JSON.stringify(value), headers: { 'content-type': 'application/json' } };
}

function requestOpts(o: RequestOptions): RequestOptions {
  const out: RequestOptions = {};
  if (o.signal) out.signal = o.signal;
  if (o.timeoutMs !== undefined) out.timeoutMs = o.timeoutMs;
  return out;
}

function listQuery(o: ListOptions): Record<string, string | number | undefined> {
  return {
    labelSelector: o.labelSelector || undefined,
    fieldSelector: o.fieldSelector || undefined,
    limit: o.limit,
    continue: o.continue || undefined,
    resourceVersion: o.resourceVersion,
    resourceVersionMatch: o.resourceVersionMatch,
    timeoutSeconds: o.timeoutSeconds,
  };
}

function writeQuery(o: WriteOptions): Record<string, string | undefined> {
  return {
    dryRun: o.dryRun ? 'All' : undefined,
    fieldManager: o.fieldManager,
    fieldValidation: o.fieldValidation,
  };
}

function deleteBody(o: DeleteOptions): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'DeleteOptions',
    ...(o.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: o.gracePeriodSeconds } : {}),
    ...(o.propagationPolicy ? { propagationPolicy: o.propagationPolicy } : {}),
    ...(o.preconditions ? { preconditions: o.preconditions } : {}),
    ...(o.dryRun ? { dryRun: ['All'] } : {}),
  };
}
