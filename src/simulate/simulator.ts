/**
 * `shoal simulate`, assembled: N hollow nodes in one process, built to reach 5,000 nodes and
 * 150,000 pods without loading the API server more than the work itself needs.
 *
 * - One join: the token is exchanged once for a node credential, and that credential acts for
 *   every hollow node (KWOK likewise uses one kubeconfig). Shoal has no Node authorizer yet, so a
 *   node identity may write any Node, Lease or pod status.
 * - One pod informer for the fleet (`spec.nodeName!=`: every bound pod), dispatched by nodeName to
 *   the hollow node's PodManager; pods bound to other nodes are ignored. Not N watches.
 * - One StatusManager for every pod status: one patch per changed pod, a bounded number in flight.
 * - Registration with bounded concurrency and a progress line; lease renewals spread evenly over
 *   the renewal interval (layout.ts `leaseTiming`, `fleet` phases).
 * - Two connection pools: Nodes and Leases travel on their own, so a burst of pod status writes
 *   never delays a heartbeat enough to expire a lease.
 */
import { randomUUID } from 'node:crypto';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { joinCluster, nodeClient } from '../agent/join.js';
import { RestartBackoff } from '../agent/restart-backoff.js';
import { clientDeleter, clientWriter, StatusManager } from '../agent/status-manager.js';
import { lookupKind } from '../api/resources.js';
import { Informer, withoutManagedFields } from '../client/informer.js';
import { type Clock, systemClock } from '../util/clock.js';
import { errorMessage } from '../util/error-message.js';
import { Limiter } from '../util/limiter.js';
import { HollowNode, type HollowNodeShared } from './hollow-node.js';
import { fleet, leaseTiming } from './layout.js';

export interface SimulatorConfig {
  server: string;
  tokenFile: string;
  /** Where the one join credential is kept (reused by the next run). */
  dataDir: string;
  nodes: number;
  namePrefix: string;
  zones: number;
  /** Per node. */
  cpus: number;
  memoryBytes: number;
  maxPods: number;
  startDelayMs: number;
  log: (line: string) => void;
  /** Node registrations in flight at once (default 32). */
  registerConcurrency?: number;
  /** Pod status patches in flight at once (default 32). */
  statusConcurrency?: number;
  /** How often the registration progress line is printed (default 1 s). */
  progressMs?: number;
  clock?: Clock;
}

export interface RunningSimulator {
  readonly nodeNames: readonly string[];
  /** Resolves once every node is registered (or the simulator was closed first). */
  readonly registered: Promise<void>;
  /** Pods the hollow nodes run now. */
  podCount(): number;
  /** Stops heartbeats and pod workers. Nodes and pods are left as last reported. */
  close(): Promise<void>;
}

const PODS = lookupKind('v1', 'Pod')!;

/** Requests in flight on each connection pool (pods, and nodes + leases). */
const POD_SOCKETS = 64;
const NODE_SOCKETS = 32;
const DELETE_CONCURRENCY = 32;

export async function startSimulator(config: SimulatorConfig): Promise<RunningSimulator> {
  const { log, nodes } = config;
  const clock = config.clock ?? systemClock;
  const creds = await joinCluster({
    server: config.server,
    tokenFile: config.tokenFile,
    // The simulator's own identity; `<prefix>simulator` is never a hollow node's name (digits).
    nodeName: `${config.namePrefix}simulator`,
    dataDir: config.dataDir,
    servingAddresses: ['127.0.0.1'],
    log,
  });
  const podClient = nodeClient(creds, 'shoal-simulate', POD_SOCKETS);
  const nodeApi = nodeClient(creds, 'shoal-simulate', NODE_SOCKETS);
  const stop = new AbortController();
  const status = new StatusManager(clientWriter(podClient), {
    concurrency: config.statusConcurrency ?? 32,
    batchMs: 100,
    clock,
    onError: (err, pod) => log(`warning: pod ${pod.namespace}/${pod.name}: status: ${errorMessage(err)}`),
  });
  const deletes = new Limiter(DELETE_CONCURRENCY);
  const deletePod = clientDeleter(podClient);
  const lease = leaseTiming(nodes);
  const shared: HollowNodeShared = {
    nodeApi,
    status,
    confirmDeleted: (ref) => deletes.run(() => deletePod(ref)),
    cpus: config.cpus,
    memoryBytes: config.memoryBytes,
    maxPods: config.maxPods,
    startDelayMs: config.startDelayMs,
    lease,
    statusCheckMs: 60_000,
    statusReportMs: 5 * 60_000,
    podResyncMs: 5 * 60_000,
    backoff: new RestartBackoff(),
    imageBackoff: new RestartBackoff(),
    clock,
    bootId: randomUUID(),
    log,
  };
  const hollow = new Map<string, HollowNode>();
  for (const spec of fleet({
    nodes,
    namePrefix: config.namePrefix,
    zones: config.zones,
    renewMs: lease.renewMs,
  })) {
    hollow.set(spec.name, new HollowNode(spec, shared));
  }

  // Every bound pod, dispatched by node name. Cached objects are shared with the pod workers,
  // which never change them; freezing 150,000 pods would cost time for no protection.
  const pods = new Informer(podClient, PODS, {
    fieldSelector: 'spec.nodeName!=',
    freeze: false,
    transform: withoutManagedFields,
    onError: (err) => log(`warning: pod watch: ${errorMessage(err)}`),
  });
  const nodeOf = (obj: unknown) => hollow.get((obj as Pod).spec?.nodeName ?? '');
  pods.onAdd((p) => nodeOf(p)?.upsert(p as Pod));
  pods.onUpdate((_old, p) => nodeOf(p)?.upsert(p as Pod));
  pods.onDelete((p) => nodeOf(p)?.remove(p as Pod));

  log(
    `simulating ${nodes} nodes (${config.cpus} cpu, ${binary(config.memoryBytes)} memory, ${config.maxPods} pods each; ` +
      `${config.zones} zones; lease renewed every ${lease.renewMs / 1000} s) as ${creds.server}`,
  );
  const watching = pods.run(stop.signal);
  const registered = reportRegistration([...hollow.values()], config, clock, stop.signal);

  return {
    nodeNames: [...hollow.keys()],
    registered,
    podCount: () => {
      let n = 0;
      for (const node of hollow.values()) n += node.podCount;
      return n;
    },
    async close() {
      stop.abort();
      await watching;
      await Promise.all([...hollow.values()].map((n) => n.stop()));
      await registered;
      await status.close();
      podClient.close();
      nodeApi.close();
    },
  };
}

/**
 * Registers every node, at most `registerConcurrency` at once (a node's reporter retries on its
 * own until it succeeds), printing progress as it goes.
 */
async function reportRegistration(
  nodes: HollowNode[],
  config: SimulatorConfig,
  clock: Clock,
  signal: AbortSignal,
): Promise<void> {
  const started = clock.now();
  const total = nodes.length;
  let done = 0;
  const progress = () => config.log(`registered ${done}/${total} nodes`);
  const ticker = new AbortController();
  const tick = async () => {
    const every = config.progressMs ?? 1000;
    const both = AbortSignal.any([signal, ticker.signal]);
    while (!both.aborted) {
      try {
        await clock.sleep(every, both);
      } catch {
        return;
      }
      progress();
    }
  };
  void tick();
  const limiter = new Limiter(config.registerConcurrency ?? 32);
  await Promise.all(
    nodes.map((node) =>
      limiter.run(async () => {
        if (signal.aborted) return;
        if (await node.register()) done++;
      }),
    ),
  );
  ticker.abort();
  if (!signal.aborted) {
    config.log(`registered ${done}/${total} nodes in ${((clock.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** Bytes in the largest binary unit that divides them exactly (256Gi, 1536Mi), as flags take them. */
export function binary(bytes: number): string {
  for (const [unit, size] of [
    ['Ti', 2 ** 40],
    ['Gi', 2 ** 30],
    ['Mi', 2 ** 20],
    ['Ki', 2 ** 10],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}
