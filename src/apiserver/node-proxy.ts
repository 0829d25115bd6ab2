/**
 * `pods/log`, `pods/exec` and `pods/attach`: as Kubernetes does, the API server finds the pod's
 * node and forwards the request to that node's agent (its kubelet-shaped HTTPS endpoint, see
 * src/agent/server.ts), authenticating with a client certificate the API server issued itself and
 * checking the agent's certificate against the cluster CA.
 *
 * Logs are a streaming GET whose status and body pass through unchanged. Exec and attach are
 * WebSocket upgrades proxied as raw bytes: after the request line and headers are re-sent to the
 * agent, both sockets are piped into each other, so the channel protocol is the agent's business
 * only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { errors, hasCode } from '../api/errors.js';
import { lookupResource } from '../api/resources.js';
import { parseLogQuery, parseStreamQuery } from '../api/stream-options.js';
import { WEBSOCKET_TOKEN_PROTOCOL } from './authn/request.js';
import type { ResourceStorage } from './registry/resource-storage.js';
import type { ResourceRoute } from './routes.js';

/** The user name of the certificate the API server presents to agents (group system:masters). */
export const APISERVER_AGENT_CLIENT = 'shoal-apiserver-agent-client';

export interface AgentClientCredentials {
  /** The cluster CA: agents' serving certificates must chain to it. */
  caPem: string;
  certPem: string;
  keyPem: string;
}

export interface NodeProxyOptions {
  storage: ResourceStorage;
  credentials: AgentClientCredentials;
  /** How long an agent may take to accept the connection and answer (default 15 s). */
  timeoutMs?: number;
}

/** Where a request for one container goes. */
interface Target {
  container: string;
  node: string;
  host: string;
  port: number;
}

const LOG_PARAMS = [
  'follow',
  'tailLines',
  'sinceSeconds',
  'sinceTime',
  'timestamps',
  'previous',
  'limitBytes',
];
const STREAM_PARAMS = ['command', 'stdin', 'stdout', 'stderr', 'tty'];
/** Request headers that carry the user's own credentials or describe only the hop to us. */
const DROPPED_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'host',
  'cookie',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
]);

const podsDef = lookupResource('', 'v1', 'pods')!;
const nodesDef = lookupResource('', 'v1', 'nodes')!;

export class NodeProxy {
  private readonly agent: https.Agent;
  private readonly timeoutMs: number;

  constructor(private readonly options: NodeProxyOptions) {
    const { caPem, certPem, keyPem } = options.credentials;
    // No keep-alive: idle connections to agents would outlive the server's close.
    this.agent = new https.Agent({ ca: caPem, cert: certPem, key: keyPem });
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** GET pods/{name}/log. */
  async logs(req: IncomingMessage, res: ServerResponse, route: ResourceRoute, query: URLSearchParams) {
    if (req.method !== 'GET') throw errors.methodNotAllowed(req.method ?? '', 'pods/log');
    const pod = route.name!;
    parseLogQuery(query, pod);
    const target = await this.target(route.namespace!, pod, query.get('container'));
    const path = agentPath('containerLogs', route.namespace!, pod, target.container, query, LOG_PARAMS);
    const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
      const out = https.request(
        {
          host: target.host,
          port: target.port,
          path,
          method: 'GET',
          agent: this.agent,
          timeout: this.timeoutMs,
        },
        resolve,
      );
      out.once('timeout', () => out.destroy(new Error(`no answer within ${this.timeoutMs / 1000} s`)));
      out.once('error', (err) => reject(unreachable(target, err)));
      res.once('close', () => out.destroy());
      out.end();
    });
    // Following may wait long for a line: that is no time-out once the agent has answered.
    upstream.socket.setTimeout(0);
    res.writeHead(upstream.statusCode ?? 502, {
      'content-type': upstream.headers['content-type'] ?? 'text/plain',
      'cache-control': 'no-cache',
    });
    res.flushHeaders();
    upstream.pipe(res);
    await new Promise<void>((resolve) => {
      res.once('close', () => {
        upstream.destroy();
        resolve();
      });
      upstream.once('error', () => {
        res.destroy();
        resolve();
      });
    });
  }

  /** An upgrade request (GET or POST) for pods/{name}/exec or attach. */
  async upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    route: ResourceRoute,
    query: URLSearchParams,
  ): Promise<void> {
    const kind = route.subresource === 'exec' ? 'exec' : 'attach';
    parseStreamQuery(query, kind === 'exec');
    const target = await this.target(route.namespace!, route.name!, query.get('container'));
    // Any upgrade goes through, SPDY too: the agent refuses what it does not speak only after its
    // own checks, so kubectl's SPDY retry after a failed WebSocket attempt shows the same error.
    const path = agentPath(kind, route.namespace!, route.name!, target.container, query, STREAM_PARAMS);
    const upstream = await this.connect(target);
    upstream.write(requestHead(req, path, target));
    if (head.length > 0) upstream.write(head);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
    socket.once('close', () => upstream.destroy());
    // end, not destroy: the agent's last bytes (a refusal, the final Status) must still arrive.
    upstream.once('close', () => socket.end());
    socket.pipe(upstream);
    upstream.pipe(socket);
  }

  private connect(target: Target): Promise<tls.TLSSocket> {
    const { caPem, certPem, keyPem } = this.options.credentials;
    return new Promise((resolve, reject) => {
      const upstream = tls.connect({
        host: target.host,
        port: target.port,
        ca: caPem,
        cert: certPem,
        key: keyPem,
        ALPNProtocols: ['http/1.1'],
      });
      const timer = setTimeout(
        () => upstream.destroy(new Error(`no answer within ${this.timeoutMs / 1000} s`)),
        this.timeoutMs,
      );
      upstream.once('secureConnect', () => {
        clearTimeout(timer);
        upstream.removeAllListeners('error');
        resolve(upstream);
      });
      upstream.once('error', (err) => {
        clearTimeout(timer);
        reject(unreachable(target, err));
      });
    });
  }

  /** The pod's container and node, checked as Kubernetes checks them. */
  private async target(namespace: string, podName: string, requested: string | null): Promise<Target> {
    const pod = (await this.options.storage.get(podsDef, namespace, podName)) as Pod;
    const container = chooseContainer(pod, podName, requested ?? '');
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) throw errors.badRequest(`pod ${podName} does not have a host assigned`);
    let node: Node;
    try {
      node = (await this.options.storage.get(nodesDef, undefined, nodeName)) as Node;
    } catch (err) {
      if (hasCode(err, 404)) {
        throw errors.unavailable(`node "${nodeName}" of pod ${podName} is not registered`);
      }
      throw err;
    }
    const host = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (!host)
      throw errors.unavailable(`node "${nodeName}" reports no InternalIP address to reach its agent at`);
    const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
    if (!port) {
      throw errors.unavailable(
        `node "${nodeName}" reports no agent port (status.daemonEndpoints.kubeletEndpoint.Port)`,
      );
    }
    return { container, node: nodeName, host, port };
  }
}

/** The requested container, or the only one; Kubernetes' messages otherwise. */
export function chooseContainer(pod: Pod, podName: string, requested: string): string {
  const containers = pod.spec?.containers ?? [];
  const inits = pod.spec?.initContainers ?? [];
  const ephemeral = pod.spec?.ephemeralContainers ?? [];
  if (!requested) {
    if (containers.length === 1) return containers[0]!.name;
    if (containers.length === 0) {
      throw errors.badRequest(`the server could not find any containers in pod ${podName}`);
    }
    let message = `a container name must be specified for pod ${podName}, choose one of: [${containers.map((c) => c.name).join(' ')}]`;
    if (inits.length > 0)
      message += ` or one of the init containers: [${inits.map((c) => c.name).join(' ')}]`;
    throw errors.badRequest(message);
  }
  if (![...containers, ...inits, ...ephemeral].some((c) => c.name === requested)) {
    throw errors.badRequest(`container ${requested} is not valid for pod ${podName}`);
  }
  return requested;
}

function agentPath(
  kind: string,
  namespace: string,
  pod: string,
  container: string,
  query: URLSearchParams,
  allowed: string[],
): string {
  const out = new URLSearchParams();
  for (const [k, v] of query) if (allowed.includes(k)) out.append(k, v);
  const qs = out.toString();
  return `/${kind}/${[namespace, pod, container].map(encodeURIComponent).join('/')}${qs ? `?${qs}` : ''}`;
}

/** The client's request line and headers for the agent, without the client's own credentials. */
function requestHead(req: IncomingMessage, path: string, target: Target): string {
  const lines = [`${req.method ?? 'GET'} ${path} HTTP/1.1`, `Host: ${target.host}:${target.port}`];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    let value = raw[i + 1]!;
    const lower = name.toLowerCase();
    if (DROPPED_HEADERS.has(lower) || lower.startsWith('impersonate-')) continue;
    if (lower === 'sec-websocket-protocol') {
      value = value
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p && !p.startsWith(WEBSOCKET_TOKEN_PROTOCOL))
        .join(', ');
      if (!value) continue;
    }
    lines.push(`${name}: ${value}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function unreachable(target: Target, err: Error) {
  return errors.unavailable(
    `unable to reach the agent of node "${target.node}" at ${target.host}:${target.port}: ${err.message}`,
  );
}
