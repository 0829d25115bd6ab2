/**
 * Service networking on one node, assembled: cluster DNS on the pod network's gateway, each pod's
 * /etc/resolv.conf pointing at it, the service proxy's NAT rules, routes to the pod ranges of
 * nodes on other machines and the ingress controller, all fed by one informer per kind. The parts themselves live in src/network/; this only wires them.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { lookupKind } from '../api/resources.js';
import { Informer } from '../client/informer.js';
import type { Client } from '../client/rest.js';
import {
  ClusterRecords,
  DnsServer,
  parseResolvConf,
  podResolvConf,
  upstreamsFrom,
} from '../network/dns/index.js';
import { IngressProxy } from '../network/ingress/index.js';
import type { ObjectCache } from '../network/object-cache.js';
import {
  chainPrefixFor,
  type EndpointSliceObject,
  hostRunner,
  IptablesApplier,
  type ServiceObject,
  ServiceProxy,
} from '../network/proxy/index.js';
import { HostRoutes } from '../network/routes/host-routes.js';
import type { Mount, PodNetwork } from '../runtime/driver.js';

export interface NodeNetworkingOptions {
  client: Client;
  nodeName: string;
  network: PodNetwork;
  /** The node's own range of the cluster CIDR (spec.podCIDR). */
  podCidr: string;
  clusterCidr: string;
  /** The node's address; LoadBalancer Services also answer on the host's other IPv4 addresses. */
  nodeIP: string;
  clusterDomain: string;
  /** Serve Ingresses on these ports of every address of the host; absent: no ingress here. */
  ingress?: { httpPort: number; httpsPort: number };
  /** The agent's Secrets cache (TLS certificates for the ingress). */
  secrets: ObjectCache;
  /** Where the pods' resolv.conf files are written. */
  dir: string;
  /** The host's resolver configuration (default /etc/resolv.conf). */
  hostResolvConf?: string;
  log: (line: string) => void;
  onError: (err: unknown) => void;
}

export interface NodeNetworking {
  /** Writes the pod's resolv.conf; the mount every container of the pod gets for it. */
  resolvConfMount(pod: Pod): Promise<Mount>;
  /** Forgets a pod's resolv.conf. */
  forget(podUid: string): Promise<void>;
  /** Resolves once the caches have synced and DNS answers. */
  ready: Promise<void>;
  close(): Promise<void>;
}

const DNS_PORT = 53;

/** The node's address and the host's other IPv4 addresses, loopback included. */
function hostAddresses(nodeIP: string): string[] {
  const all = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4')
    .map((a) => a!.address);
  return [...new Set([nodeIP, ...all])];
}

export async function startNodeNetworking(options: NodeNetworkingOptions): Promise<NodeNetworking> {
  const { client, network, log } = options;
  const stop = new AbortController();
  const services = new Informer(client, lookupKind('v1', 'Service')!, { onError: options.onError });
  const slices = new Informer(client, lookupKind('discovery.k8s.io/v1', 'EndpointSlice')!, {
    onError: options.onError,
  });
  const hostText = await readFile(options.hostResolvConf ?? '/etc/resolv.conf', 'utf8').catch(() => '');
  const host = parseResolvConf(hostText);
  const records = new ClusterRecords({
    services,
    endpointSlices: slices,
    clusterDomain: options.clusterDomain,
    reverseCidrs: [options.clusterCidr],
  });
  const dns = new DnsServer({
    records,
    address: network.gateway,
    port: DNS_PORT,
    upstreams: upstreamsFrom(host.nameservers),
    log,
  });
  const proxy = new ServiceProxy({
    services: services as unknown as ObjectCache<ServiceObject>,
    endpointSlices: slices as unknown as ObjectCache<EndpointSliceObject>,
    applier: new IptablesApplier(chainPrefixFor(options.nodeName)),
    options: {
      chainPrefix: chainPrefixFor(options.nodeName),
      clusterCIDR: options.clusterCidr,
      podCIDR: options.podCidr,
      hostAddresses: hostAddresses(options.nodeIP),
      localhostNodePorts: true,
      nodeName: options.nodeName,
    },
    log,
  });
  const nodes = new Informer(client, lookupKind('v1', 'Node')!, { onError: options.onError });
  const routes = new HostRoutes({
    nodes,
    input: { nodeName: options.nodeName, localAddresses: hostAddresses(options.nodeIP) },
    run: hostRunner,
    log,
  });
  const running = [services.run(stop.signal), slices.run(stop.signal), nodes.run(stop.signal)];
  let ingress: IngressProxy | undefined;
  if (options.ingress) {
    const ingresses = new Informer(client, lookupKind('networking.k8s.io/v1', 'Ingress')!, {
      onError: options.onError,
    });
    const ingressClasses = new Informer(client, lookupKind('networking.k8s.io/v1', 'IngressClass')!, {
      onError: options.onError,
    });
    running.push(ingresses.run(stop.signal), ingressClasses.run(stop.signal));
    ingress = new IngressProxy({
      ingresses,
      ingressClasses,
      services,
      endpointSlices: slices,
      secrets: options.secrets,
      log,
    });
    const ports = options.ingress;
    void Promise.all([ingresses.waitForSync(stop.signal), ingressClasses.waitForSync(stop.signal)])
      .then(() => ingress?.listen({ ...ports, host: '0.0.0.0' }))
      .then(
        (open) => open && log(`ingress on :${open.httpPort} (HTTP) and :${open.httpsPort} (HTTPS)`),
        (err) => log(`warning: the ingress controller cannot listen: ${(err as Error).message}`),
      );
  }
  const ready = (async () => {
    await Promise.all([services.waitForSync(stop.signal), slices.waitForSync(stop.signal)]);
    void nodes.waitForSync(stop.signal).then((synced) => {
      if (synced) running.push(routes.run(stop.signal));
    });
    // Only synced caches may drive the proxy: an empty one would take every Service that a
    // restarted agent left in the kernel away for a moment.
    running.push(proxy.run(stop.signal));
    await dns.start();
    log(`cluster DNS for ${options.clusterDomain} on ${network.gateway}:${DNS_PORT}`);
  })();
  ready.catch(options.onError);
  await mkdir(options.dir, { recursive: true, mode: 0o755 });

  return {
    ready,
    async resolvConfMount(pod) {
      const file = join(options.dir, `${pod.metadata?.uid ?? 'unknown'}.conf`);
      const text = podResolvConf(pod, {
        nameserver: network.gateway,
        clusterDomain: options.clusterDomain,
        host,
      });
      await writeFile(file, text, { mode: 0o644 });
      return { hostPath: file, containerPath: '/etc/resolv.conf', readOnly: false };
    },
    async forget(podUid) {
      await rm(join(options.dir, `${podUid}.conf`), { force: true });
    },
    async close() {
      stop.abort();
      await Promise.allSettled(running);
      records.close();
      await Promise.allSettled([dns.close(), ingress?.close()]);
    },
  };
}
