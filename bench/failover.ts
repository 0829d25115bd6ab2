/**
 * npm run bench:failover — how fast Shoal recovers from losing a node, with default settings.
 *
 * A real `shoal server` and two real `shoal agent`s on Docker (test/support/cluster.ts), a
 * workload of 6 replicas spread over both nodes (a soft topology spread, so the replacements may
 * all go to the survivor), then one node dies as a machine does: its agent is SIGKILLed and its
 * containers removed. Polled every 100 ms through the API:
 *
 *   notReadySeconds   kill → the node's Ready condition is no longer True (grace period 8 s after
 *                     the last Lease renewal the controller saw, so 6-8 s)
 *   recoveredSeconds  kill → 6 pods of the workload Running and Ready on the surviving node,
 *                     not being deleted (target ≤ 15 s)
 *
 * Prints one JSON line: {"notReadySeconds":…,"recoveredSeconds":…}.
 * Flags: --workload deployment|replicaset (default deployment): what owns the pods.
 */
import { parseArgs } from 'node:util';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../src/api/object.js';
import { lookupKind } from '../src/api/resources.js';
import { sleepingWorkload, startCluster, type TestCluster } from '../test/support/cluster.js';
import { removeNodeContainers } from '../test/support/docker.js';
import { eventually } from '../test/support/eventually.js';
import { round } from './lib/histogram.js';

const { values: flags } = parseArgs({
  options: { workload: { type: 'string', default: 'deployment' } },
});
if (flags.workload !== 'deployment' && flags.workload !== 'replicaset') {
  throw new Error(`--workload must be deployment or replicaset, got "${flags.workload}"`);
}
const REPLICAS = 6;
const NS = 'default';
const APP = 'failover';
const POLL_MS = 100;
const TIMEOUT_MS = 90_000;
const PODS = lookupKind('v1', 'Pod')!;
const NODES = lookupKind('v1', 'Node')!;
const REPLICA_SETS = lookupKind('apps/v1', 'ReplicaSet')!;

function workload(image: string) {
  return sleepingWorkload({
    kind: flags.workload === 'deployment' ? 'Deployment' : 'ReplicaSet',
    name: APP,
    namespace: NS,
    replicas: REPLICAS,
    image,
    podSpec: {
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'kubernetes.io/hostname',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: { app: APP } },
        },
      ],
    },
  });
}

const isReady = (pod: Pod) =>
  pod.status?.phase === 'Running' &&
  (pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);

/** The workload's Ready pods (not being deleted), by node: pods whose controller is its ReplicaSet(s). */
async function readyPodsByNode(cluster: TestCluster): Promise<Map<string, number>> {
  const [pods, sets] = await Promise.all([
    cluster.client.list<KubeObject>(PODS, NS, { labelSelector: `app=${APP}` }),
    cluster.client.list<KubeObject>(REPLICA_SETS, NS),
  ]);
  const owners = new Set(
    sets.items
      .filter((rs) =>
        flags.workload === 'replicaset'
          ? rs.metadata.name === APP
          : rs.metadata.ownerReferences?.some(
              (r) => r.controller && r.kind === 'Deployment' && r.name === APP,
            ),
      )
      .map((rs) => rs.metadata.uid),
  );
  const byNode = new Map<string, number>();
  for (const item of pods.items) {
    const pod = item as Pod;
    const owner = item.metadata.ownerReferences?.find((r) => r.controller);
    if (!owner || !owners.has(owner.uid) || item.metadata.deletionTimestamp || !isReady(pod)) continue;
    const node = pod.spec?.nodeName ?? '';
    byNode.set(node, (byNode.get(node) ?? 0) + 1);
  }
  return byNode;
}

async function nodeReady(cluster: TestCluster, name: string): Promise<boolean> {
  const node = (await cluster.client.get<KubeObject>(NODES, undefined, name)) as Node;
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

const until = <T>(what: string, check: () => Promise<T | undefined>): Promise<T> =>
  eventually(what, check, { timeoutMs: TIMEOUT_MS, intervalMs: POLL_MS });

async function main(): Promise<void> {
  const cluster = await startCluster({ agents: 2, nodePrefix: 'bench-failover' });
  try {
    await cluster.apply(workload(cluster.image));
    const spread = await until(`${REPLICAS} Ready pods on both nodes`, async () => {
      const byNode = await readyPodsByNode(cluster);
      const total = [...byNode.values()].reduce((a, b) => a + b, 0);
      return total === REPLICAS && cluster.agents.every((a) => byNode.has(a.name)) ? byNode : undefined;
    });
    const [victim, survivor] = cluster.agents as [(typeof cluster.agents)[0], (typeof cluster.agents)[0]];
    process.stderr.write(
      `pods per node: ${cluster.agents.map((a) => `${a.name}=${spread.get(a.name)}`).join(' ')}; killing ${victim.name}\n`,
    );

    const killedAt = performance.now();
    await victim.kill9();
    await removeNodeContainers(victim.name);
    const seconds = () => round((performance.now() - killedAt) / 1000, 2);
    let notReadySeconds: number | undefined;
    let recoveredSeconds: number | undefined;
    await until('the node NotReady and the workload recovered', async () => {
      if (notReadySeconds === undefined && !(await nodeReady(cluster, victim.name)))
        notReadySeconds = seconds();
      if (
        recoveredSeconds === undefined &&
        (await readyPodsByNode(cluster)).get(survivor.name) === REPLICAS
      ) {
        recoveredSeconds = seconds();
      }
      return notReadySeconds !== undefined && recoveredSeconds !== undefined ? true : undefined;
    });
    console.log(JSON.stringify({ notReadySeconds, recoveredSeconds }));
  } finally {
    await cluster.stop();
  }
}

await main();
