/**
 * The node agent, assembled: join the cluster, register the Node and keep its Lease, watch the
 * pods bound here and run them on the runtime driver, serve logs and exec to the API server.
 * This file only wires parts together; each part lives (and is tested) in its own module.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigMap, Node, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { lookupKind } from '../api/resources.js';
import { clientSink, EventRecorder, podRef } from '../client/events.js';
import { Informer } from '../client/informer.js';
import type { RuntimeDriver } from '../runtime/driver.js';
import { SimulatedDriver } from '../runtime/simulated/driver.js';
import { type Clock, systemClock } from '../util/clock.js';
import { resolveEnv } from './env.js';
import { GarbageCollector, type GcSettings } from './gc/index.js';
import { ProcHostStats } from './host-stats.js';
import { joinCluster, nodeClient } from './join.js';
import { type NodeNetworking, startNodeNetworking } from './networking.js';
import { ALWAYS_READY_PROBES, NO_ENV, NO_VOLUMES } from './no-process-parts.js';
import { NodeStatusReporter } from './node-status.js';
import type { ObjectSource } from './object-source.js';
import { PodManager } from './pod-manager.js';
import { bringUpPodNetwork } from './pod-network.js';
import type { EnvResolver, PodVolumes, ProbeFactory, WorkerDeps } from './pod-worker.js';
import { ContainerProbes } from './prober/index.js';
import { RestartBackoff } from './restart-backoff.js';
import { startAgentServer } from './server.js';
import { clientDeleter, clientWriter, StatusManager } from './status-manager.js';
import { ensureTmpfsRoot, type HostVolume, mountTmpfs, VolumeManager } from './volumes/index.js';

export interface AgentConfig {
  server: string;
  tokenFile: string;
  nodeName: string;
  dataDir: string;
  runtime: 'docker' | 'simulated';
  /** The address the API server and other nodes reach this node at (InternalIP, hostIP). */
  nodeIP: string;
  listenHost: string;
  /** 0: any free port (tests run several agents on one machine). */
  listenPort: number;
  dockerSocket?: string;
  simulatedStartDelayMs?: number;
  /** Garbage collection policies and periods (kubelet's defaults when absent). */
  gc?: GcSettings;
  /** Service networking on a Docker node (cluster DNS, service proxy, ingress). */
  network?: NetworkSettings;
  log: (line: string) => void;
  clock?: Clock;
}

export interface NetworkSettings {
  /** The cluster's pod range (the server's --cluster-cidr). */
  clusterCidr: string;
  /** The domain cluster DNS answers for (cluster.local). */
  clusterDomain: string;
  /** The ingress controller's ports on all of the host's addresses; absent: no ingress here. */
  ingress?: { httpPort: number; httpsPort: number };
}

export interface RunningAgent {
  nodeName: string;
  /** The agent's HTTPS port. */
  port: number;
  /** Stops the agent; the pods' containers keep running (the next start adopts them). */
  close(): Promise<void>;
}

export async function startAgent(config: AgentConfig): Promise<RunningAgent> {
  const { log, nodeName } = config;
  const clock = config.clock ?? systemClock;
  const stop = new AbortController();
  const startedAt = clock.now();
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });

  // The Docker driver (its engine client) loads only on a Docker node, not on a simulated one.
  const driver: RuntimeDriver =
    config.runtime === 'simulated'
      ? new SimulatedDriver({ nodeName, startDelayMs: config.simulatedStartDelayMs ?? 0, clock })
      : new (await import('../runtime/docker/driver.js')).DockerDriver({
          nodeName,
          socketPath: config.dockerSocket,
          stateDir: join(config.dataDir, 'sandboxes'),
        });

  const servingAddresses = [...new Set([config.nodeIP, '127.0.0.1', 'localhost'])];
  const creds = await joinCluster({
    server: config.server,
    tokenFile: config.tokenFile,
    nodeName,
    dataDir: config.dataDir,
    servingAddresses,
    log,
  });
  const client = nodeClient(creds, `shoal-agent/${nodeName}`);

  const configMaps = new Informer(client, lookupKind('v1', 'ConfigMap')!, { onError: quiet(log) });
  const secrets = new Informer(client, lookupKind('v1', 'Secret')!, { onError: quiet(log) });
  const sources: ObjectSource = {
    configMap: async (ns, name) => configMaps.get(name, ns) as unknown as ConfigMap | undefined,
    secret: async (ns, name) => secrets.get(name, ns) as unknown as Secret | undefined,
  };

  let reporter: NodeStatusReporter | undefined;
  const allocatable = () => reporter?.node?.status?.allocatable ?? {};

  let volumes: PodVolumes = NO_VOLUMES;
  let networking: NodeNetworking | undefined;
  let env: EnvResolver = NO_ENV;
  let manager: VolumeManager | undefined;
  const events = new EventRecorder(clientSink(client), {
    component: 'kubelet',
    host: nodeName,
    clock,
    onError: quiet(log),
  });
  if (!driver.simulated) {
    const tmpfsRoot = join(config.dataDir, 'tmpfs');
    await ensureTmpfsRoot(tmpfsRoot, { mount: mountTmpfs });
    manager = new VolumeManager({ root: join(config.dataDir, 'pods'), tmpfsRoot, sources, nodeName });
    volumes = withPodDns(volumeAdapter(manager, allocatable), () => networking);
    env = async (pod, container, ctx) => {
      const resolved = await resolveEnv(pod, container, sources, {
        nodeName,
        ...ctx,
        allocatable: allocatable(),
      });
      for (const s of resolved.skipped) events.event(podRef(pod), 'Warning', s.reason, s.message);
      return resolved.env;
    };
  }

  const probes: ProbeFactory = driver.simulated
    ? ALWAYS_READY_PROBES
    : (args) => {
        const p = new ContainerProbes({
          podIP: args.podIP,
          container: args.container,
          exec: (command, timeoutMs) => driver.exec(args.containerId, command, timeoutMs),
          clock,
          initial: args.initial,
          agentStartedAt: startedAt,
          onChange: () => args.onChange(),
          onUnhealthy: (probe, message) => args.onUnhealthy(probe, message),
          onKill: (probe, message) => args.onKill(probe, message),
          onWarning: (_probe, message) =>
            events.event(podRef(args.pod, args.container.name), 'Warning', 'ProbeWarning', message),
        });
        p.start();
        return p;
      };

  const status = new StatusManager(clientWriter(client), { clock, onError: quiet(log) });
  const pods = lookupKind('v1', 'Pod')!;
  const NODES = lookupKind('v1', 'Node')!;
  const deps: WorkerDeps = {
    driver,
    nodeName,
    hostIP: config.nodeIP,
    clock,
    volumes,
    env,
    probes,
    events,
    status,
    backoff: new RestartBackoff(),
    imageBackoff: new RestartBackoff(),
    confirmDeleted: clientDeleter(client),
    log,
  };
  const podManager = new PodManager(deps);
  const gc = new GarbageCollector({ ...config.gc, driver, nodeName, clock, events, log });

  const server = await startAgentServer({
    host: config.listenHost,
    port: config.listenPort,
    tlsKeyPem: creds.servingKeyPem,
    tlsCertPem: creds.servingCertPem,
    caPem: creds.caPem,
    locator: { resolve: (ns, pod, container, opts) => podManager.locate(ns, pod, container, opts) },
    driver,
  });
  // The reporter asks the runtime for its info every status check, so the Node turns NotReady
  // while the runtime does not answer; the pod manager resyncs every pod once its events resume.
  reporter = new NodeStatusReporter({
    client,
    nodeName,
    hostStats: new ProcHostStats({ dataDir: config.dataDir }),
    runtimeInfo: () => driver.info(),
    port: server.port,
    addresses: [config.nodeIP],
    clock,
    log,
  });
  reporter.start();
  log(`node ${nodeName}: agent endpoint https://${config.nodeIP}:${server.port}, runtime ${driver.name}`);

  // Pods bound here, and the ConfigMaps/Secrets they may use (changes reach mounted files).
  const podInformer = new Informer(client, pods, {
    fieldSelector: `spec.nodeName=${nodeName}`,
    onError: quiet(log),
  });
  const asPod = (o: unknown) => o as Pod;
  podInformer.onAdd((p) => podManager.upsert(asPod(p)));
  podInformer.onUpdate((_old, p) => podManager.upsert(asPod(p)));
  podInformer.onDelete((p) => podManager.remove(asPod(p)));
  const refreshUsers =
    (kind: 'configMap' | 'secret') => (obj: { metadata?: { name?: string; namespace?: string } }) => {
      for (const pod of podManager.podsUsing(kind, obj.metadata?.namespace ?? '', obj.metadata?.name ?? '')) {
        void manager?.refresh(pod, { allocatable: allocatable() }).catch(quiet(log));
        podManager.resync(pod.metadata?.uid ?? '');
      }
    };
  if (!driver.simulated) {
    for (const [informer, kind] of [
      [configMaps, 'configMap'],
      [secrets, 'secret'],
    ] as const) {
      informer.onAdd(refreshUsers(kind));
      informer.onUpdate((_o, n) => refreshUsers(kind)(n));
    }
  }
  // Pods start on the node's own pod network (its podCIDR), so it comes first.
  const network = await bringUpPodNetwork({
    readNode: async () => (await client.get(NODES, undefined, nodeName)) as Node,
    driver,
    clock,
    log,
    signal: stop.signal,
  });
  if (network && config.network) {
    networking = await startNodeNetworking({
      client,
      nodeName,
      network,
      podCidr: network.cidr,
      nodeIP: config.nodeIP,
      clusterCidr: config.network.clusterCidr,
      clusterDomain: config.network.clusterDomain,
      ...(config.network.ingress ? { ingress: config.network.ingress } : {}),
      secrets,
      dir: join(config.dataDir, 'dns'),
      log,
      onError: quiet(log),
    });
  }
  const running: Array<Promise<void>> = [];
  if (!driver.simulated) {
    running.push(configMaps.run(stop.signal), secrets.run(stop.signal));
    await Promise.all([configMaps.waitForSync(stop.signal), secrets.waitForSync(stop.signal)]);
  }
  running.push(podInformer.run(stop.signal), gc.run(stop.signal));
  podManager.start();
  void podInformer.waitForSync(stop.signal).then((ok) => {
    if (ok) podManager.markSynced();
  });

  return {
    nodeName,
    port: server.port,
    async close() {
      stop.abort();
      podManager.stop();
      await Promise.allSettled(running);
      await networking?.close();
      await status.close();
      await events.drain();
      await reporter?.stop();
      await server.close();
      await driver.close();
      client.close();
    },
  };
}

function volumeAdapter(manager: VolumeManager, allocatable: () => Record<string, string>): PodVolumes {
  // The host paths of each pod's volumes, from its set-up, so starting a container does not set
  // every volume up again. After an agent restart the sandbox exists but this map does not: the
  // first container start sets up once (set-up is idempotent).
  const byPod = new Map<string, Map<string, HostVolume>>();
  const setUp = async (pod: Pod) => {
    const volumes = await manager.setUp(pod, { allocatable: allocatable() });
    byPod.set(pod.metadata?.uid ?? '', volumes);
    return volumes;
  };
  return {
    setUp: async (pod) => {
      await setUp(pod);
    },
    mountsFor: async (pod, container, env) =>
      manager.mountsFor(pod, container, byPod.get(pod.metadata?.uid ?? '') ?? (await setUp(pod)), env),
    tearDown: async (uid) => {
      byPod.delete(uid);
      await manager.tearDown(uid);
    },
  };
}

/** Every container of a pod also gets the pod's resolv.conf, once node networking is up. */
function withPodDns(inner: PodVolumes, networking: () => NodeNetworking | undefined): PodVolumes {
  return {
    setUp: (pod) => inner.setUp(pod),
    mountsFor: async (pod, container, env) => {
      const mounts = await inner.mountsFor(pod, container, env);
      const net = networking();
      return net ? [...mounts, await net.resolvConfMount(pod)] : mounts;
    },
    tearDown: async (uid) => {
      await inner.tearDown(uid);
      await networking()?.forget(uid);
    },
  };
}

function quiet(log: (line: string) => void): (err: unknown) => void {
  return (err) => log(`warning: ${(err as Error)?.message ?? String(err)}`);
}
