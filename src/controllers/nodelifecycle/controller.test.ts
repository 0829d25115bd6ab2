/**
 * The node lifecycle and taint eviction controllers together, on an in-process API server, with
 * time driven by a fake clock: a node whose Lease stops being renewed goes Unknown one grace
 * period after the last renewal the controller saw, gets the unreachable taints, and its pod is
 * evicted exactly its toleration (2 s) later; when the agent reports Ready again the taints go.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/object.js';
import { lookupResource } from '../../api/resources.js';
import { formatMicroTime, formatTime } from '../../api/time.js';
import type { Client } from '../../client/rest.js';
import { FakeClock } from '../../util/fake-clock.js';
import { PODS } from '../framework/pod-control.js';
import { startApi, type TestApi, until } from '../framework/testing.js';
import { NODE_LEASE_NAMESPACE, NodeLifecycleController } from './controller.js';
import { TaintEvictionController } from './eviction-controller.js';

const NODES = lookupResource('', 'v1', 'nodes')!;
const LEASES = lookupResource('coordination.k8s.io', 'v1', 'leases')!;

type NodeObject = Node & KubeObject;

/** Let real I/O in flight (watch events, reconciles, their writes) finish. */
const quiet = () => new Promise((r) => setTimeout(r, 300));

describe('node lifecycle + taint eviction controllers (fake clock)', () => {
  let api: TestApi;
  let client: Client;
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));

  const conditions = (status: string, heartbeat: string): NodeCondition[] =>
    ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'].map((type) => ({
      type,
      status: type === 'Ready' ? status : 'False',
      reason: 'FromTheAgent',
      lastHeartbeatTime: heartbeat,
      lastTransitionTime: '2025-12-31T00:00:00Z',
    }));
  const getNode = () => client.get<NodeObject>(NODES, undefined, 'n1');
  const getPod = () => client.get<Pod & KubeObject>(PODS, 'default', 'web');
  const ready = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  const taints = (n: Node) => (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();
  const renew = async (name: string) => {
    const lease = await client.get<Lease & KubeObject>(LEASES, NODE_LEASE_NAMESPACE, name);
    await client.update(LEASES, NODE_LEASE_NAMESPACE, {
      ...lease,
      spec: { ...lease.spec, renewTime: formatMicroTime(new Date(clock.now())) },
    } as KubeObject);
  };

  before(async () => {
    api = await startApi('nodelifecycle');
    client = api.client;
    // n2 stays healthy throughout: with every node down, evictions would stop (full disruption).
    for (const name of ['n1', 'n2']) {
      const node = await client.create<NodeObject>(NODES, undefined, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name },
        spec: {},
      });
      await client.update(
        NODES,
        undefined,
        {
          ...node,
          status: { conditions: conditions('True', formatTime(new Date(clock.now()))) },
        } as KubeObject,
        { subresource: 'status' },
      );
      await client.create(LEASES, NODE_LEASE_NAMESPACE, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace: NODE_LEASE_NAMESPACE },
        spec: { holderIdentity: name, renewTime: formatMicroTime(new Date(clock.now())) },
      });
    }
    // Bound to n1 at once; admission gives it the default 2 s tolerations.
    await client.create(PODS, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default' },
      spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] },
    });
    api.runControllers(
      [(ctx) => new NodeLifecycleController(ctx), (ctx) => new TaintEvictionController(ctx)],
      { clock, settings: { nodeMonitorGracePeriodSeconds: 8 } },
    );
    await quiet();
  });

  after(() => api.close());

  it('the pod got the 2 s default tolerations', async () => {
    const pod = await getPod();
    assert.deepEqual(
      pod.spec?.tolerations?.map((t) => [t.key, t.effect, t.tolerationSeconds]),
      [
        ['node.kubernetes.io/not-ready', 'NoExecute', 2],
        ['node.kubernetes.io/unreachable', 'NoExecute', 2],
      ],
    );
  });

  it('a renewed Lease keeps the node Ready past the grace period counted from the start', async () => {
    await clock.advance(5_000);
    await renew('n1');
    await renew('n2');
    await quiet();
    await clock.advance(7_000); // 12 s since the start, 7 s since the renewal
    await renew('n2');
    await quiet();
    const node = await getNode();
    assert.equal(ready(node), 'True');
    assert.deepEqual(taints(node), []);
  });

  it('no renewal for the grace period: Unknown, with the unreachable taints', async () => {
    await clock.advance(1_500); // 8.5 s since the renewal
    const node = await until('the node Unknown and tainted', async () => {
      const n = await getNode();
      return ready(n) === 'Unknown' && taints(n).length === 2 ? n : undefined;
    });
    assert.deepEqual(taints(node), [
      'node.kubernetes.io/unreachable:NoExecute',
      'node.kubernetes.io/unreachable:NoSchedule',
    ]);
    const r = node.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(r?.reason, 'NodeStatusUnknown');
    assert.equal(r?.message, 'Agent stopped posting node status.');
    assert.ok(node.status?.conditions?.every((c) => c.status === 'Unknown'));
  });

  it('its pod is evicted after its 2 s toleration, not before', async () => {
    await clock.advance(1_500);
    await quiet();
    assert.equal((await getPod()).metadata?.deletionTimestamp, undefined, 'still tolerated at 1.5 s');
    await clock.advance(600);
    const pod = await until('the pod evicted', async () => {
      const p = await getPod();
      return p.metadata?.deletionTimestamp ? p : undefined;
    });
    const target = pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
    assert.equal(target?.reason, 'DeletionByTaintManager');
  });

  it('the agent reports Ready again: the taints go', async () => {
    const node = await getNode();
    await client.update(
      NODES,
      undefined,
      {
        ...node,
        status: { ...node.status, conditions: conditions('True', formatTime(new Date(clock.now()))) },
      } as KubeObject,
      { subresource: 'status' },
    );
    await until('the taints removed', async () => taints(await getNode()).length === 0);
  });
});
