/**
 * The simulator against an in-process API server: it joins with the server's token, registers its
 * hollow nodes (labels, capacity, leases), runs the pods bound to them through the agent's pod
 * workers, ignores pods bound elsewhere, and completes deletes with the agent's final DELETE.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { eventually } from '../../test/support/eventually.js';
import { hasCode } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { lookupResource } from '../api/resources.js';
import { type RunningApiServer, startApiServer } from '../apiserver/serve.js';
import { Client } from '../client/rest.js';
import { SIMULATED_LABEL, ZONE_LABEL } from './layout.js';
import { binary, type RunningSimulator, startSimulator } from './simulator.js';

const NODES = lookupResource('', 'v1', 'nodes')!;
const PODS = lookupResource('', 'v1', 'pods')!;
const LEASES = lookupResource('coordination.k8s.io', 'v1', 'leases')!;
type Obj<T> = T & KubeObject;

describe('startSimulator', () => {
  let root: string;
  let api: RunningApiServer;
  let admin: Client;
  let sim: RunningSimulator;
  const logs: string[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'shoal-simulate-'));
    api = await startApiServer({
      dataDir: root,
      host: '127.0.0.1',
      port: 0,
      store: { kind: 'sqlite', dataDir: root },
    });
    admin = new Client({ ...api.loopback });
    sim = await startSimulator({
      server: api.url,
      tokenFile: join(root, 'node-token'),
      dataDir: join(root, 'simulator'),
      nodes: 3,
      namePrefix: 'hollow-',
      zones: 2,
      cpus: 4,
      memoryBytes: 8 * 2 ** 30,
      maxPods: 50,
      startDelayMs: 0,
      progressMs: 50,
      log: (line) => logs.push(line),
    });
    await sim.registered;
  });

  after(async () => {
    await sim?.close();
    admin?.close();
    await api?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('joins once and registers every node with its zone, capacity and lease', async () => {
    assert.deepEqual(sim.nodeNames, ['hollow-0', 'hollow-1', 'hollow-2']);
    assert.ok(logs.some((l) => l.includes('joined as system:node:hollow-simulator')));
    assert.ok(logs.some((l) => l.startsWith('simulating 3 nodes (4 cpu, 8Gi memory, 50 pods each; 2 zones')));
    assert.ok(
      logs.some((l) => /^registered 3\/3 nodes in \d+\.\d s$/.test(l)),
      logs.join('\n'),
    );
    const nodes = await admin.list<Obj<Node>>(NODES, undefined);
    assert.deepEqual(
      nodes.items.map((n) => [n.metadata.name, n.metadata.labels?.[ZONE_LABEL]]),
      [
        ['hollow-0', 'zone-0'],
        ['hollow-1', 'zone-1'],
        ['hollow-2', 'zone-0'],
      ],
    );
    const node = nodes.items[1]!;
    assert.equal(node.metadata.labels?.[SIMULATED_LABEL], 'true');
    assert.equal(node.metadata.labels?.['kubernetes.io/hostname'], 'hollow-1');
    assert.deepEqual(node.status?.capacity, {
      cpu: '4',
      memory: '8Gi',
      'ephemeral-storage': '100Gi',
      pods: '50',
    });
    assert.equal(node.status?.allocatable?.pods, '50');
    assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.deepEqual(node.status?.addresses?.[0], { type: 'InternalIP', address: '10.254.0.2' });
    assert.equal(node.status?.nodeInfo?.containerRuntimeVersion, 'simulated://1.0');
    const lease = await eventually('the lease of hollow-1', async () =>
      admin.get<Obj<Lease>>(LEASES, 'kube-node-lease', 'hollow-1').catch((err) => {
        if (hasCode(err, 404)) return undefined;
        throw err;
      }),
    );
    assert.equal(lease.spec?.holderIdentity, 'hollow-1');
    assert.equal(lease.spec?.leaseDurationSeconds, 40);
    assert.equal(lease.metadata.ownerReferences?.[0]?.uid, node.metadata.uid);
  });

  it('reports a pod bound to a hollow node Running and Ready, and leaves other nodes’ pods alone', async () => {
    const pod = (name: string, nodeName: string): Obj<Pod> =>
      ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default' },
        spec: {
          nodeName,
          initContainers: [{ name: 'init', image: 'busybox' }],
          containers: [
            { name: 'a', image: 'nginx' },
            { name: 'b', image: 'redis' },
          ],
        },
      }) as Obj<Pod>;
    await admin.create(PODS, 'default', pod('web', 'hollow-1'));
    await admin.create(PODS, 'default', pod('elsewhere', 'real-node'));
    const running = await eventually('web to be Ready', async () => {
      const p = await admin.get<Obj<Pod>>(PODS, 'default', 'web');
      const ready = p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      return ready ? p : undefined;
    });
    const s = running.status!;
    assert.equal(s.phase, 'Running');
    for (const type of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'])
      assert.equal(s.conditions?.find((c) => c.type === type)?.status, 'True', type);
    assert.equal(s.hostIP, '10.254.0.2');
    assert.match(s.podIP ?? '', /^10\.\d+\.\d+\.\d+$/);
    assert.ok(s.startTime);
    assert.deepEqual(
      s.containerStatuses?.map((c) => [c.name, c.ready, Boolean(c.state?.running)]),
      [
        ['a', true, true],
        ['b', true, true],
      ],
    );
    assert.match(s.containerStatuses?.[0]?.containerID ?? '', /^simulated:\/\//);
    assert.equal(s.initContainerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
    assert.equal(sim.podCount(), 1);
    const other = await admin.get<Obj<Pod>>(PODS, 'default', 'elsewhere');
    assert.equal(other.status?.containerStatuses, undefined);
    await admin.delete(PODS, 'default', 'elsewhere', { gracePeriodSeconds: 0 });
  });

  it('completes a graceful delete with the final uid-checked DELETE', async () => {
    await admin.delete(PODS, 'default', 'web');
    await eventually('web to be gone', async () =>
      admin.get(PODS, 'default', 'web').then(
        () => undefined,
        (err) => (hasCode(err, 404) ? true : Promise.reject(err)),
      ),
    );
    await eventually('the worker to finish', async () => (sim.podCount() === 0 ? true : undefined));
  });
});

describe('binary', () => {
  it('prints bytes as the flags take them', () => {
    assert.equal(binary(256 * 2 ** 30), '256Gi');
    assert.equal(binary(1536 * 2 ** 20), '1536Mi');
    assert.equal(binary(2 ** 40), '1Ti');
    assert.equal(binary(1000), '1000');
  });
});
