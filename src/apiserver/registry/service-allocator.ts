/**
 * Service ClusterIPs and NodePorts, allocated by the API server as Kubernetes does: each address
 * or port in use is a key in the store (`/registry/ranges/serviceips/<ip>`,
 * `/registry/ranges/servicenodeports/<port>`) created in the same transaction as the Service and
 * deleted with it, so two Services can never hold the same one and a crash cannot leak half of a
 * change.
 */
import { errors } from '../../api/errors.js';
import { DEFAULT_NODE_PORT_RANGE, DEFAULT_SERVICE_CIDR } from '../../api/network-defaults.js';
import type { KubeObject } from '../../api/object.js';
import type { Store, TxnOp } from '../../store/store.js';
import { type Cidr, formatCidr, formatIPv4, parseCidr, parseIPv4 } from '../../util/ipv4.js';

const SERVICE_IP_PREFIX = '/registry/ranges/serviceips/';
const NODE_PORT_PREFIX = '/registry/ranges/servicenodeports/';

interface ServicePort {
  port?: number;
  nodePort?: number;
  protocol?: string;
  name?: string;
}

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: ServicePort[];
}

export interface ServiceAllocatorOptions {
  /** IPv4 CIDR for ClusterIPs (default 10.43.0.0/16, as k3s). */
  serviceCidr?: string;
  /** Inclusive NodePort range (default 30000-32767). */
  nodePortRange?: readonly [number, number];
  random?: () => number;
}

function serviceRange(cidr: string): Cidr {
  const range = parseCidr(cidr, 'service CIDR');
  if (range.bits < 8 || range.bits > 30) throw new Error(`service CIDR "${cidr}" is not usable`);
  return range;
}

function specOf(svc: KubeObject): ServiceSpec {
  return (svc.spec ?? {}) as ServiceSpec;
}

function ownerOf(svc: KubeObject): string {
  return `${svc.metadata.namespace}/${svc.metadata.name}`;
}

function wantsClusterIP(spec: ServiceSpec): boolean {
  return spec.type !== 'ExternalName' && spec.clusterIP !== 'None';
}

function wantsNodePorts(spec: ServiceSpec): boolean {
  return spec.type === 'NodePort' || spec.type === 'LoadBalancer';
}

/** The reservation keys a Service holds. */
function reservationsOf(svc: KubeObject | undefined): string[] {
  if (!svc) return [];
  const spec = specOf(svc);
  const keys: string[] = [];
  if (spec.clusterIP && spec.clusterIP !== 'None') keys.push(SERVICE_IP_PREFIX + spec.clusterIP);
  for (const p of spec.ports ?? []) if (p.nodePort) keys.push(NODE_PORT_PREFIX + p.nodePort);
  return [...new Set(keys)];
}

export class ServiceAllocator {
  private readonly range: Cidr;
  private readonly nodePorts: readonly [number, number];
  private readonly random: () => number;

  constructor(
    private readonly store: Store,
    options: ServiceAllocatorOptions = {},
  ) {
    this.range = serviceRange(options.serviceCidr ?? DEFAULT_SERVICE_CIDR);
    this.nodePorts = options.nodePortRange ?? DEFAULT_NODE_PORT_RANGE;
    this.random = options.random ?? Math.random;
  }

  /**
   * Fill in what `svc` needs (ClusterIP, NodePorts), keeping what `old` already held, and return
   * the store operations that reserve what is new and release what is no longer used. Call it
   * again after a conflict: it picks afresh.
   */
  async assign(svc: KubeObject, old?: KubeObject): Promise<TxnOp[]> {
    const spec = specOf(svc);
    const oldSpec = old ? specOf(old) : undefined;
    if (!svc.spec) svc.spec = spec;
    if (wantsClusterIP(spec)) {
      // An update that leaves the address out keeps the one it had (it is immutable).
      if (!spec.clusterIP && oldSpec?.clusterIP && oldSpec.clusterIP !== 'None')
        spec.clusterIP = oldSpec.clusterIP;
      if (!spec.clusterIP) spec.clusterIP = await this.pickIp();
      else this.checkIp(spec.clusterIP);
      spec.clusterIPs = [spec.clusterIP];
    } else if (spec.type === 'ExternalName') {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    const oldPorts = new Map(
      (oldSpec?.ports ?? []).map((p) => [`${p.port}/${p.protocol ?? 'TCP'}`, p.nodePort]),
    );
    const taken = new Set<number>();
    for (const p of spec.ports ?? []) {
      if (!wantsNodePorts(spec)) {
        delete p.nodePort;
        continue;
      }
      if (!p.nodePort) p.nodePort = oldPorts.get(`${p.port}/${p.protocol ?? 'TCP'}`) ?? undefined;
      if (p.nodePort) {
        if (p.nodePort < this.nodePorts[0] || p.nodePort > this.nodePorts[1]) {
          throw errors.invalid({ kind: 'Service', resource: 'services', name: svc.metadata.name ?? '' }, [
            {
              type: 'Invalid',
              field: 'spec.ports[].nodePort',
              value: p.nodePort,
              detail: `provided port is not in the valid range. The range of valid ports is ${this.nodePorts[0]}-${this.nodePorts[1]}`,
            },
          ]);
        }
      } else {
        p.nodePort = await this.pickNodePort(taken);
      }
      taken.add(p.nodePort);
    }
    const before = new Set(reservationsOf(old));
    const after = new Set(reservationsOf(svc));
    const ops: TxnOp[] = [];
    for (const key of after) if (!before.has(key)) ops.push({ op: 'create', key, value: ownerOf(svc) });
    for (const key of before) if (!after.has(key)) ops.push(...(await this.freeing(key)));
    return ops;
  }

  /** The operations that free what a deleted Service held. */
  async release(svc: KubeObject): Promise<TxnOp[]> {
    const ops: TxnOp[] = [];
    for (const key of reservationsOf(svc)) ops.push(...(await this.freeing(key)));
    return ops;
  }

  /** Deleting a reservation that is already gone would fail the whole transaction; skip it. */
  private async freeing(key: string): Promise<TxnOp[]> {
    const kv = await this.store.get(key);
    return kv ? [{ op: 'delete', key, modRevision: kv.modRevision }] : [];
  }

  private checkIp(ip: string): void {
    const n = parseIPv4(ip);
    if (n === undefined || n <= this.range.base || n >= this.range.base + this.range.size - 1) {
      throw errors.invalid({ kind: 'Service', resource: 'services' }, [
        {
          type: 'Invalid',
          field: 'spec.clusterIPs',
          value: [ip],
          detail: `failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${formatCidr(this.range)}`,
        },
      ]);
    }
  }

  private async pickIp(): Promise<string> {
    // Random probing finds a free address quickly until the range is nearly full; then scan.
    const usable = this.range.size - 3; // network, broadcast, and .1 (kept for the API's own Service)
    for (let i = 0; i < 32; i++) {
      const ip = formatIPv4(this.range.base + 2 + Math.floor(this.random() * usable));
      if (!(await this.store.get(SERVICE_IP_PREFIX + ip))) return ip;
    }
    const used = new Set(
      (await this.store.list(SERVICE_IP_PREFIX)).items.map((kv) => kv.key.slice(SERVICE_IP_PREFIX.length)),
    );
    for (let n = 2; n < this.range.size - 1; n++) {
      const ip = formatIPv4(this.range.base + n);
      if (!used.has(ip)) return ip;
    }
    throw errors.internal('failed to allocate a service IP: the service CIDR is full');
  }

  private async pickNodePort(taken: Set<number>): Promise<number> {
    const [lo, hi] = this.nodePorts;
    for (let i = 0; i < 32; i++) {
      const port = lo + Math.floor(this.random() * (hi - lo + 1));
      if (!taken.has(port) && !(await this.store.get(NODE_PORT_PREFIX + port))) return port;
    }
    const used = new Set(
      (await this.store.list(NODE_PORT_PREFIX)).items.map((kv) =>
        Number(kv.key.slice(NODE_PORT_PREFIX.length)),
      ),
    );
    for (let port = lo; port <= hi; port++) if (!used.has(port) && !taken.has(port)) return port;
    throw errors.internal('failed to allocate a node port: the range is full');
  }
}
