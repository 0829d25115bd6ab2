/**
 * Losing a node (real server, two real agents on Docker): `kill -9` an agent → its node goes
 * Unknown and gets the unreachable taints within the grace period (8 s) and a few seconds → its
 * pods are evicted 2 s later and their ReplicaSet's replacements run on the other node → the agent
 * comes back → the node is Ready again, untainted, the evicted pods are confirmed gone, and no pod
 * name ever has two running containers.
 *
 * First the machine dies (its containers are removed with the agent); then a node is cut off
 * while its containers keep running (kill -9 of the agent only, as a network partition looks to
 * the control plane): when that agent returns, it must stop the stale containers itself, also
 * those of a pod force-deleted meanwhile, of which no trace is left in the API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { LABEL_KIND, LABEL_NODE, LABEL_POD_NAME } from '../../src/runtime/driver.js';
import { sleepingWorkload, startCluster, type TestCluster } from '../support/cluster.js';
import { podReady } from '../support/cluster-probe.js';
import { removeNodeContainers } from '../support/docker.js';

const NS = 'default';
const APP = 'lost';
const REPLICAS = 4;
const docker = new Docker();
let cluster: TestCluster;

const allPods = (): Promise<Pod[]> => cluster.pods(NS, `app=${APP}`);
const livePods = (): Promise<Pod[]> => cluster.livePods(NS, `app=${APP}`);

async function getNode(name: string): Promise<Node> {
  return JSON.parse(await cluster.kubectl(['get', 'node', name, '-o', 'json'])) as Node;
}

const ready = (node: Node) => node.status?.conditions?.find((c) => c.type === 'Ready');
const conditionTaints = (node: Node) =>
  (node.spec?.taints ?? [])
    .filter((t) => t.key === 'node.kubernetes.io/unreachable' || t.key === 'node.kubernetes.io/not-ready')
    .map((t) => `${t.key}:${t.effect}`)
    .sort();

/** Running app containers on this cluster's nodes, by pod name. */
async function runningByPod(): Promise<Map<string, string[]>> {
  const byPod = new Map<string, string[]>();
  for (const agent of cluster.agents) {
    const found = await docker.listContainers({
      filters: { label: [`${LABEL_NODE}=${agent.name}`, `${LABEL_KIND}=container`], status: ['running'] },
    });
    for (const c of found) {
      const pod = c.Labels[LABEL_POD_NAME] ?? '?';
      byPod.set(pod, [...(byPod.get(pod) ?? []), agent.name]);
    }
  }
  return byPod;
}

function assertNoPodRunsTwice(byPod: Map<string, string[]>): void {
  for (const [pod, nodes] of byPod) assert.equal(nodes.length, 1, `pod ${pod} runs on ${nodes.join(', ')}`);
}

/**
 * Take down the agent hosting the most pods (with its containers, or leaving them running), and
 * check the whole recovery. Returns nothing; asserts on the way.
 */
async function loseNode(removeContainers: boolean): Promise<void> {
  const before = await livePods();
  const count = (node: string) => before.filter((p) => p.spec?.nodeName === node).length;
  const victim = [...cluster.agents].sort((a, b) => count(b.name) - count(a.name))[0]!;
  const survivor = cluster.agents.find((a) => a !== victim)!;
  const evicted = before.filter((p) => p.spec?.nodeName === victim.name).map((p) => p.metadata!.name!);
  assert.ok(evicted.length > 0, 'the victim runs some of the pods');

  const killedAt = Date.now();
  await victim.kill9();
  if (removeContainers) await removeNodeContainers(victim.name);

  const lost = await cluster.eventually(
    'the lost node Unknown and tainted unreachable',
    async () => {
      const node = await getNode(victim.name);
      const taints = conditionTaints(node);
      return ready(node)?.status === 'Unknown' && taints.includes('node.kubernetes.io/unreachable:NoExecute')
        ? node
        : undefined;
    },
    30_000,
  );
  const notReadyAfter = (Date.now() - killedAt) / 1000;
  // Grace 8 s after the last renewal seen (up to 2 s before the kill), and polling slack.
  assert.ok(notReadyAfter < 14, `node NotReady after ${notReadyAfter} s`);
  assert.equal(ready(lost)?.reason, 'NodeStatusUnknown');
  assert.deepEqual(conditionTaints(lost), [
    'node.kubernetes.io/unreachable:NoExecute',
    'node.kubernetes.io/unreachable:NoSchedule',
  ]);

  const moved = await cluster.eventually('every replica Ready on the surviving node', async () => {
    const pods = await livePods();
    return pods.length === REPLICAS && pods.every((p) => podReady(p) && p.spec?.nodeName === survivor.name)
      ? pods
      : undefined;
  });
  assert.equal(moved.filter((p) => evicted.includes(p.metadata!.name!)).length, 0);
  // The evicted pods wait, Terminating, for their agent to confirm: nothing else can.
  const stale = (await allPods()).filter((p) => evicted.includes(p.metadata!.name!));
  assert.equal(stale.length, evicted.length, 'the evicted pods stay Terminating while their node is away');
  for (const p of stale) {
    assert.ok(p.metadata?.deletionTimestamp);
    const target = p.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
    assert.equal(target?.reason, 'DeletionByTaintManager');
  }
  const events = await cluster.events(NS, `reason=TaintManagerEviction`);
  assert.match(events, new RegExp(`Marking for deletion Pod ${NS}/${evicted[0]}`));
  if (!removeContainers) {
    // A cut-off node keeps running its containers: the one unavoidable overlap, which the agent
    // ends when it comes back.
    assert.ok([...(await runningByPod()).values()].some((nodes) => nodes.includes(victim.name)));
  }

  // While the node is away, one evicted pod is force-deleted (as pod GC does when a node object is
  // deleted): no Terminating object is left to tell its agent, which must stop it all the same,
  // at once on its return rather than at its next 10 s housekeeping.
  const forced = evicted[0]!;
  if (!removeContainers) {
    await cluster.kubectl(['delete', 'pod', forced, '-n', NS, '--grace-period=0', '--force']);
  }

  await victim.start();
  if (!removeContainers) {
    const upAt = Date.now();
    await cluster.eventually('the force-deleted pod stopped by its returning agent', async () =>
      (await runningByPod()).has(forced) ? undefined : true,
    );
    const stoppedAfter = (Date.now() - upAt) / 1000;
    assert.ok(
      stoppedAfter < 6,
      `force-deleted pod's container stopped ${stoppedAfter} s after the agent came back`,
    );
  }
  const back = await cluster.eventually('the node Ready and untainted again', async () => {
    const node = await getNode(victim.name);
    return ready(node)?.status === 'True' && conditionTaints(node).length === 0 ? node : undefined;
  });
  assert.equal(ready(back)?.status, 'True');
  await cluster.eventually('the evicted pods confirmed gone by their agent', async () => {
    const names = (await allPods()).map((p) => p.metadata!.name!);
    return evicted.some((n) => names.includes(n)) ? undefined : true;
  });
  const running = await cluster.eventually('no container left of the evicted pods', async () => {
    const byPod = await runningByPod();
    return evicted.some((n) => byPod.has(n)) ? undefined : byPod;
  });
  assertNoPodRunsTwice(running);
  assert.equal(running.size, REPLICAS);
}

describe('node loss (real server, two agents)', { timeout: 180_000 }, () => {
  before(async () => {
    cluster = await startCluster({ agents: 2, nodePrefix: 'e2e-loss' });
    await cluster.apply(
      sleepingWorkload({ name: APP, namespace: NS, replicas: REPLICAS, image: cluster.image }),
    );
    await cluster.eventually(`${REPLICAS} ready pods`, async () => {
      const pods = await livePods();
      return pods.length === REPLICAS && pods.every(podReady) ? true : undefined;
    });
  });
  after(async () => {
    await cluster?.stop();
  });

  it('a dead machine: its pods run on the other node; back, it is Ready and runs nothing twice', async () => {
    await loseNode(true);
  });

  it('a cut-off node: back, its agent stops the stale containers', async () => {
    await loseNode(false);
  });
});
