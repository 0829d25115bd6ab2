/**
 * The ReplicaSet controller against a real cluster (server + two agents on Docker): replicas
 * become Running containers, a deleted pod is replaced, `kubectl scale` removes the surplus,
 * a matching orphan is adopted (and the surplus it makes removed), a relabelled pod is released,
 * and the status adds up.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { sleepingWorkload, startCluster, type TestCluster } from '../support/cluster.js';
import { podReady } from '../support/cluster-probe.js';

let cluster: TestCluster;
const NS = 'default';

const replicaSet = (name: string, replicas: number, image: string) =>
  sleepingWorkload({ name, namespace: NS, replicas, image });

const podsOf = (app: string): Promise<Pod[]> => cluster.livePods(NS, `app=${app}`);

async function getRs(name: string): Promise<ReplicaSet> {
  return JSON.parse(await cluster.kubectl(['get', 'rs', name, '-n', NS, '-o', 'json'])) as ReplicaSet;
}

/** Resolves once exactly `n` live pods of `app` exist and every one is Running and Ready. */
function readyPods(app: string, n: number): Promise<Pod[]> {
  return cluster.eventually(`${n} ready pods of ${app}`, async () => {
    const pods = await podsOf(app);
    return pods.length === n && pods.every(podReady) ? pods : undefined;
  });
}

describe('ReplicaSet controller (real server, two agents)', { timeout: 240_000 }, () => {
  before(async () => {
    cluster = await startCluster({ agents: 2, nodePrefix: 'e2e-rs' });
  });
  after(async () => {
    await cluster?.stop();
  });

  it('runs the replicas, replaces a deleted pod and reports status', async () => {
    await cluster.apply(replicaSet('web', 3, cluster.image));
    const pods = await readyPods('web', 3);
    for (const p of pods) {
      assert.equal(p.metadata?.ownerReferences?.[0]?.kind, 'ReplicaSet');
      assert.equal(p.metadata?.ownerReferences?.[0]?.controller, true);
      assert.match(p.metadata?.name ?? '', /^web-[a-z0-9]{5}$/);
    }
    const victim = pods[0]!.metadata!.name!;
    await cluster.kubectl(['delete', 'pod', victim, '-n', NS, '--wait=false']);
    const after = await cluster.eventually('a replacement pod', async () => {
      const now = await podsOf('web');
      return now.length === 3 && now.every(podReady) && !now.some((p) => p.metadata?.name === victim)
        ? now
        : undefined;
    });
    assert.equal(after.length, 3);
    const rs = await cluster.eventually('status to add up', async () => {
      const r = await getRs('web');
      return r.status?.readyReplicas === 3 && r.status.availableReplicas === 3 ? r : undefined;
    });
    assert.equal(rs.status?.replicas, 3);
    assert.equal(rs.status?.fullyLabeledReplicas, 3);
    assert.equal(rs.status?.observedGeneration, rs.metadata?.generation);
    const events = await cluster.events(NS, 'involvedObject.name=web');
    assert.match(events, /SuccessfulCreate/);
  });

  it('scales down through kubectl scale, removing the surplus', async () => {
    await cluster.kubectl(['scale', 'rs/web', '-n', NS, '--replicas=1']);
    await readyPods('web', 1);
    const events = await cluster.events(NS, 'involvedObject.name=web');
    assert.match(events, /SuccessfulDelete/);
  });

  it('adopts a matching orphan and releases a pod relabelled away', async () => {
    await cluster.apply(replicaSet('adopt', 2, cluster.image));
    await readyPods('adopt', 2);
    // A bare pod with the selector's labels: the ReplicaSet takes it and, now one too many, deletes one.
    await cluster.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'stray', namespace: NS, labels: { app: 'adopt' } },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          { name: 'main', image: cluster.image, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] },
        ],
      },
    });
    await cluster.eventually('the orphan adopted and the surplus removed', async () => {
      const pods = await podsOf('adopt');
      const owned = pods.filter((p) => p.metadata?.ownerReferences?.some((r) => r.kind === 'ReplicaSet'));
      return pods.length === 2 && owned.length === 2 ? pods : undefined;
    });
    // Relabel one: it is released (no owner) and a replacement is made.
    const [first] = await podsOf('adopt');
    await cluster.kubectl(['label', 'pod', first!.metadata!.name!, '-n', NS, 'app=gone', '--overwrite']);
    await cluster.eventually('the relabelled pod released', async () => {
      const out = await cluster.kubectl(['get', 'pod', first!.metadata!.name!, '-n', NS, '-o', 'json']);
      const pod = JSON.parse(out) as Pod;
      return (pod.metadata?.ownerReferences ?? []).length === 0 ? pod : undefined;
    });
    await readyPods('adopt', 2);
  });
});
