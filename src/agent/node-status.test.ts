import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import { ApiError, errors } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { lookupResource } from '../api/resources.js';
import { formatMicroTime, formatTime } from '../api/time.js';
import { type RunningApiServer, startApiServer } from '../apiserver/serve.js';
import { Client } from '../client/rest.js';
import type { RuntimeInfo } from '../runtime/driver.js';
import { FakeClock } from '../util/fake-clock.js';
import type { HostSnapshot, HostStats } from './host-stats.js';
import { NODE_LEASE_NAMESPACE, type NodeApi } from './node-lease.js';
import { NodeStatusReporter, type NodeStatusReporterOptions } from './node-status.js';

const NODES = lookupResource('', 'v1', 'nodes')!;
const LEASES = lookupResource('coordination.k8s.io', 'v1', 'leases')!;
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const RUNTIME: RuntimeInfo = {
  runtimeVersion: 'docker://27.1.0',
  kernelVersion: '6.1.0-test',
  osImage: 'Debian GNU/Linux 12 (bookworm)',
  operatingSystem: 'linux',
  architecture: 'x86_64',
  cpus: 4,
  memoryBytes: 8 * GiB,
};

function fakeHost(): HostStats & { snapshot: HostSnapshot } {
  const snapshot: HostSnapshot = {
    memory: { totalBytes: 8 * GiB, availableBytes: 6 * GiB },
    filesystem: { totalBytes: 100 * GiB, availableBytes: 60 * GiB },
    pids: { inUse: 300, max: 32768 },
    bootId: 'boot-1',
    machineId: 'machine-1',
    systemUuid: '',
    hostname: 'host-a',
  };
  return { snapshot, read: async () => structuredClone(snapshot) };
}

/** Poll (real time, bounded) until `check` returns a value that is not undefined/false. */
async function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const condition = (node: Node, type: string): NodeCondition => {
  const c = node.status?.conditions?.find((x) => x.type === type);
  assert.ok(c, `condition ${type}`);
  return c;
};

describe('NodeStatusReporter', () => {
  let root: string;
  let api: RunningApiServer;
  let admin: Client;
  const reporters: NodeStatusReporter[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'shoal-nodestatus-'));
    api = await startApiServer({
      dataDir: root,
      host: '127.0.0.1',
      port: 0,
      store: { kind: 'sqlite', dataDir: root },
    });
    admin = new Client({ ...api.loopback });
  });

  after(async () => {
    await Promise.all(reporters.map((r) => r.stop()));
    admin.close();
    await api.close();
    await rm(root, { recursive: true, force: true });
  });

  function setup(nodeName: string, extra: Partial<NodeStatusReporterOptions> = {}) {
    const clock = new FakeClock();
    const host = fakeHost();
    const logs: string[] = [];
    const reporter = new NodeStatusReporter({
      client: admin,
      nodeName,
      hostStats: host,
      runtimeInfo: async () => RUNTIME,
      port: 10250,
      addresses: ['192.0.2.10'],
      clock,
      log: (l) => logs.push(l),
      ...extra,
    });
    reporters.push(reporter);
    const getNode = () => admin.get<Node & KubeObject>(NODES, undefined, nodeName);
    const getLease = () => admin.get<Lease & KubeObject>(LEASES, NODE_LEASE_NAMESPACE, nodeName);
    /** Both loops are asleep: everything due has been written. */
    const idle = () => until('both loops to sleep', () => clock.pending >= 2);
    return { clock, host, logs, reporter, getNode, getLease, idle };
  }

  it('registers the node with labels, capacity, conditions, addresses and nodeInfo', async () => {
    const { clock, reporter, getNode, getLease, idle } = setup('node-a');
    reporter.start();
    await idle();
    const node = await getNode();
    assert.equal(node.metadata?.labels?.['kubernetes.io/hostname'], 'node-a');
    assert.equal(node.metadata?.labels?.['kubernetes.io/os'], 'linux');
    assert.equal(node.metadata?.labels?.['kubernetes.io/arch'], 'amd64');
    const s = node.status!;
    // The server stores quantities in canonical form (8388608Ki is 8Gi).
    assert.deepEqual(s.capacity, { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi', pods: '110' });
    assert.deepEqual(s.allocatable, {
      cpu: '4',
      memory: '8092Mi',
      'ephemeral-storage': '90Gi',
      pods: '110',
    });
    assert.deepEqual(s.addresses, [
      { type: 'InternalIP', address: '192.0.2.10' },
      { type: 'Hostname', address: 'host-a' },
    ]);
    assert.deepEqual(s.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
    assert.equal(s.nodeInfo?.containerRuntimeVersion, 'docker://27.1.0');
    assert.equal(s.nodeInfo?.kubeletVersion, 'v1.32.0-shoal');
    assert.equal(s.nodeInfo?.bootID, 'boot-1');
    assert.equal(s.nodeInfo?.machineID, 'machine-1');
    assert.equal(s.nodeInfo?.systemUUID, 'machine-1');
    assert.equal(s.nodeInfo?.architecture, 'amd64');
    const now = formatTime(new Date(clock.now()));
    assert.deepEqual(
      s.conditions?.map((c) => [c.type, c.status, c.reason, c.lastHeartbeatTime, c.lastTransitionTime]),
      [
        ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', now, now],
        ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', now, now],
        ['PIDPressure', 'False', 'KubeletHasSufficientPID', now, now],
        ['Ready', 'True', 'KubeletReady', now, now],
      ],
    );
    assert.equal(condition(node, 'Ready').message, 'agent is posting ready status');

    const lease = await getLease();
    assert.equal(lease.spec?.holderIdentity, 'node-a');
    assert.equal(lease.spec?.leaseDurationSeconds, 8);
    assert.equal(lease.spec?.renewTime, formatMicroTime(new Date(clock.now())));
    assert.deepEqual(lease.metadata?.ownerReferences, [
      { apiVersion: 'v1', kind: 'Node', name: 'node-a', uid: node.metadata?.uid },
    ]);
    await reporter.stop();
  });

  it('renews the lease every 2 s and recreates it when deleted', async () => {
    const { clock, reporter, getLease, idle } = setup('node-b');
    reporter.start();
    await idle();
    const first = await getLease();
    await clock.advance(2_000);
    await idle();
    const renewed = await getLease();
    assert.equal(renewed.spec?.renewTime, formatMicroTime(new Date(clock.now())));
    assert.notEqual(renewed.metadata?.resourceVersion, first.metadata?.resourceVersion);

    await admin.delete(LEASES, NODE_LEASE_NAMESPACE, 'node-b');
    await clock.advance(2_000);
    await idle();
    const again = await getLease();
    assert.notEqual(again.metadata?.uid, first.metadata?.uid);
    assert.equal(again.spec?.renewTime, formatMicroTime(new Date(clock.now())));
    await reporter.stop();
  });

  it('reports a runtime that does not answer at the next check, moving only the transition that changed', async () => {
    let refusal: string | undefined;
    const { clock, reporter, getNode, idle } = setup('node-c', {
      runtimeInfo: async () => {
        if (refusal) throw new Error(refusal);
        return RUNTIME;
      },
    });
    reporter.start();
    await idle();
    const registeredAt = formatTime(new Date(clock.now()));
    await clock.advance(5_000);
    refusal = 'docker: connection refused';
    await idle();
    await clock.advance(5_000); // the next status check
    const down = await until('Ready=False', async () => {
      const n = await getNode();
      return condition(n, 'Ready').status === 'False' && n;
    });
    const ready = condition(down, 'Ready');
    assert.equal(ready.reason, 'KubeletNotReady');
    assert.match(ready.message ?? '', /docker: connection refused/);
    const later = formatTime(new Date(clock.now()));
    assert.equal(ready.lastTransitionTime, later);
    assert.equal(condition(down, 'MemoryPressure').lastTransitionTime, registeredAt);
    assert.equal(condition(down, 'MemoryPressure').lastHeartbeatTime, later);

    refusal = undefined;
    // The write of Ready=False may be seen before the loop has gone back to sleep: advancing the
    // fake clock before then would move time past a sleep not yet armed.
    await idle();
    await clock.advance(10_000);
    await until('Ready=True', async () => condition(await getNode(), 'Ready').status === 'True');
    await reporter.stop();
  });

  it('turns pressure conditions on from host stats, and writes unchanged status once a minute', async () => {
    const writes: string[] = [];
    const counting: NodeApi = {
      get: (...a) => admin.get(...a),
      create: (...a) => admin.create(...a),
      update: (...a) => admin.update(...a),
      patch: (...a) => {
        writes.push(a[2]);
        return admin.patch(...a);
      },
    };
    const { clock, host, reporter, getNode, idle } = setup('node-d', { client: counting });
    reporter.start();
    await idle();
    for (let i = 0; i < 5; i++) {
      await clock.advance(10_000);
      await idle();
    }
    assert.deepEqual(writes, [], 'nothing changed within a minute: no status write');
    await clock.advance(10_000);
    await idle();
    assert.deepEqual(writes, ['node-d']);
    assert.equal(condition(await getNode(), 'Ready').lastHeartbeatTime, formatTime(new Date(clock.now())));

    host.snapshot.memory.availableBytes = 50 * MiB;
    host.snapshot.filesystem.availableBytes = 5 * GiB;
    host.snapshot.pids.inUse = 32_000;
    await clock.advance(10_000);
    await idle();
    const node = await getNode();
    assert.deepEqual(
      ['MemoryPressure', 'DiskPressure', 'PIDPressure'].map((t) => [
        condition(node, t).status,
        condition(node, t).reason,
      ]),
      [
        ['True', 'KubeletHasInsufficientMemory'],
        ['True', 'KubeletHasDiskPressure'],
        ['True', 'KubeletHasInsufficientPID'],
      ],
    );
    assert.equal(writes.length, 2);
    await reporter.stop();
  });

  it('reports its status at the next check after being cut off, so a node marked Unknown meanwhile is Ready again', async () => {
    let cutOff = false;
    const partitioned: NodeApi = {
      get: (...a) => admin.get(...a),
      create: (...a) => admin.create(...a),
      update: (...a) =>
        cutOff && a[0] === LEASES ? Promise.reject(errors.unavailable('unreachable')) : admin.update(...a),
      patch: (...a) => admin.patch(...a),
    };
    const { clock, reporter, getNode, idle } = setup('node-g', { client: partitioned });
    reporter.start();
    await idle();
    cutOff = true;
    await clock.advance(10_000);
    await idle();
    // Meanwhile the node lifecycle controller, missing the renewals, marked the node Unknown.
    const node = await getNode();
    await admin.update(
      NODES,
      undefined,
      {
        ...node,
        status: {
          ...node.status,
          conditions: node.status!.conditions!.map((c) =>
            c.type === 'Ready' ? { ...c, status: 'Unknown', reason: 'NodeStatusUnknown' } : c,
          ),
        },
      },
      { subresource: 'status' },
    );
    cutOff = false;
    // The lease renews within its backoff (≤ 7 s); the status check after that writes Ready,
    // long before the once-a-minute report.
    for (let i = 0; i < 2; i++) {
      await clock.advance(10_000);
      await idle();
    }
    assert.equal(condition(await getNode(), 'Ready').status, 'True');
    await reporter.stop();
  });

  it('takes over an existing node, keeping labels it does not own', async () => {
    await admin.create(NODES, undefined, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-e', labels: { team: 'blue', 'kubernetes.io/os': 'plan9' } },
      status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }] },
    });
    const { reporter, getNode, idle, logs } = setup('node-e');
    reporter.start();
    await idle();
    const node = await getNode();
    assert.equal(node.metadata?.labels?.team, 'blue');
    assert.equal(node.metadata?.labels?.['kubernetes.io/os'], 'linux');
    assert.equal(condition(node, 'Ready').status, 'True');
    assert.match(logs.join('\n'), /took over the existing node node-e/);
    await reporter.stop();
  });

  it('backs off on failures without crashing, and registers a deleted node again', async () => {
    let failLeaseWrites = 3;
    let failCreates = 2;
    const flaky: NodeApi = {
      get: (...a) => admin.get(...a),
      create: (...a) => {
        if (a[0] === NODES && failCreates-- > 0) return Promise.reject(errors.unavailable('try later'));
        return admin.create(...a);
      },
      update: (...a) => {
        if (a[0] === LEASES && failLeaseWrites-- > 0) return Promise.reject(errors.unavailable('busy'));
        return admin.update(...a);
      },
      patch: (...a) => admin.patch(...a),
    };
    const { clock, reporter, getNode, getLease, logs } = setup('node-f', { client: flaky });
    reporter.start();
    // Two failed registrations, each followed by a backoff sleep; time moves only while the
    // agent sleeps, so a retry may land in the same advance or the next.
    await until('registration to succeed', async () => {
      if (clock.pending >= 2 && failCreates < 0) return true;
      if (clock.pending === 1 && failCreates >= 0) await clock.advance(1_000);
      return false;
    });
    assert.deepEqual(
      clock.sleeps.slice(0, 2).map((ms) => Math.floor(ms / 100)),
      [2, 4],
      'backoff of 200 ms, then 400 ms (with up to 20% jitter)',
    );
    const node = await getNode();
    assert.match(logs.join('\n'), /registering node node-f failed \(retrying in \d+ ms\): try later/);

    // Lease renewals fail three times: the delays grow and stay under the cap.
    const before = clock.sleeps.length;
    const t0 = clock.now();
    for (let i = 0; i < 4; i++) {
      await clock.advance(7_000);
      await until('both loops to sleep', () => clock.pending >= 2);
    }
    const leaseRetryDelays = clock.sleeps.slice(before).filter((ms) => ms !== 2_000 && ms !== 10_000);
    assert.equal(leaseRetryDelays.length, 3, String(clock.sleeps.slice(before)));
    assert.ok(leaseRetryDelays[0]! < leaseRetryDelays[1]! && leaseRetryDelays[1]! < leaseRetryDelays[2]!);
    assert.ok(leaseRetryDelays.every((d) => d <= 7_000));
    const renewed = Date.parse((await getLease()).spec?.renewTime ?? '');
    assert.ok(renewed > t0, 'renewed again after the failures');

    // Someone deletes the Node: the next status write (within a minute) finds it gone and
    // registers it again, and the lease follows.
    await admin.delete(NODES, undefined, 'node-f');
    await clock.advance(60_000);
    const again = await until('the node to come back', async () => {
      try {
        return await getNode();
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) return undefined;
        throw err;
      }
    });
    assert.notEqual(again.metadata?.uid, node.metadata?.uid);
    await until('both loops to sleep', () => clock.pending >= 2);
    await clock.advance(2_000);
    await until(
      'the lease to name the new node',
      async () => (await getLease()).metadata?.ownerReferences?.[0]?.uid === again.metadata?.uid,
    );
    await reporter.stop();
  });
});
