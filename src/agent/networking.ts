/**
 * Service networking on one node, assembled: cluster DNS on the pod network's gateway, each pod's
 * /etc/resolv.conf pointing at it, the service proxy's NAT rules, routes to the pod ranges of
 * nodes on other machines and the ingress controller, all fed by one informer per kind. The
 * parts themselves live in src/network/; this only wires them.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/object.js';
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
import { hostRunner } from '../network/host-command.js';
import type { IngressProxy } from '../network/ingress/index.js';
import type { ObjectCache } from '../network/object-cache.js';
import {
  chainPrefixFor,
  type EndpointSliceObject,
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
  log: (line: string) => void;
  onError: (err: unknown) => void;
}

export interface NodeNetworking {
  /** The mount every container of the pod gets for its resolv.conf (written once per pod). */
  resolvConfMount(pod: Pod): Promise<Mount>;
  /** Forgets a pod's resolv.conf. */
  forget(podUid: string): Promise<void>;
  close(): Promise<void>;
}

const DNS_PORT = 53;
const HOST_RESOLV_CONF = '/etc/resolv.conf';

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
  const follow = <T extends KubeObject>(apiVersion: string, kind: string) =>
    new Informer<T>(client, lookupKind(apiVersion, kind)!, { onError: options.onError });
  const services = follow<ServiceObject>('v1', 'Service');
  const slices = follow<EndpointSliceObject>('discovery.k8s.io/v1', 'EndpointSlice');
  const nodes = follow('v1', 'Node');
  const addresses = hostAddresses(options.nodeIP);
  const chainPrefix = chainPrefixFor(options.nodeName);
  const host = parseResolvConf(await readFile(HOST_RESOLV_CONF, 'utf8').catch(() => ''));
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
    services,
    endpointSlices: slices,
    applier: new IptablesApplier(chainPrefix),
    options: {
      chainPrefix,
      clusterCIDR: options.clusterCidr,
      podCIDR: options.podCidr,
      hostAddresses: addresses,
      localhostNodePorts: true,
      nodeName: options.nodeName,
    },
    log,
  });
  const routes = new HostRoutes({
    nodes,
    input: { nodeName: options.nodeName, localAddresses: addresses },
    run: hostRunner,
    log,
  });
  const running = [services.run(stop.signal), slices.run(stop.signal), nodes.run(stop.signal)];
  let ingress: IngressProxy | undefined;
  if (options.ingress) {
    const ingresses = follow('networking.k8s.io/v1', 'Ingress');
    const ingressClasses = follow('networking.k8s.io/v1', 'IngressClass');
    running.push(ingresses.run(stop.signal), ingressClasses.run(stop.signal));
    // Loaded only here: an agent without the ingress does not carry it (nor the certificate
    // library its fallback certificate needs) in its memory.
    const { IngressProxy } = await import('../network/ingress/index.js');
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
  const started = (async () => {
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
  started.catch(options.onError);
  await mkdir(options.dir, { recursive: true, mode: 0o755 });

  // Pods whose resolv.conf this process wrote: a pod's DNS settings never change, so each
  // container start after the first only mounts the file.
  const written = new Set<string>();
  const fileOf = (uid: string) => join(options.dir, `${uid}.conf`);
  return {
    async resolvConfMount(pod) {
      const uid = pod.metadata?.uid ?? 'unknown';
      if (!written.has(uid)) {
        const text = podResolvConf(pod, {
          nameserver: network.gateway,
          clusterDomain: options.clusterDomain,
          host,
        });
        await writeFile(fileOf(uid), text, { mode: 0o644 });
        written.add(uid);
      }
      return { hostPath: fileOf(uid), containerPath: '/etc/resolv.conf', readOnly: false };
    },
    async forget(podUid) {
      written.delete(podUid);
      await rm(fileOf(podUid), { force: true });
    },
    async close() {
      stop.abort();
      await Promise.allSettled(running);
      records.close();
      await Promise.allSettled([dns.close(), ingress?.close()]);
    },
  };
}
