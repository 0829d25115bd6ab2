/**
 * Two real `shoal server` processes on ONE etcd store, sharing the cluster CA and join token (the
 * second server's data directory starts with a copy of the first's pki/ca.crt, ca.key and
 * node-token.hash: see docs/controllers.md). Only one of them holds the controller-manager and
 * scheduler Leases and acts: pods are bound exactly once and a namespace deletion is processed.
 * SIGKILL the leader: the other takes over within leaseDuration (15 s) plus a few seconds and
 * schedules. SIGTERM the new leader: it releases its Leases and the restarted first server takes
 * over within about one retryPeriod (2 s).
 *
 * Each server has a simulated agent joined to it, so a node stays Ready whichever server is down.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import { hasCode } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/object.js';
import { lookupKind } from '../../src/api/resources.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { Client } from '../../src/client/rest.js';
import { type EtcdServer, startEtcd } from '../support/etcd.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/ports.js';
import { type ShoalAgent, shoalAgent } from '../support/shoal-agent.js';
import { type ShoalProcess, spawnShoal } from '../support/shoal-process.js';
import type { ShoalServer } from '../support/shoal-server.js';

const LEASES = lookupKind('coordination.k8s.io/v1', 'Lease')!;
const PODS = lookupKind('v1', 'Pod')!;
const NAMESPACES = lookupKind('v1', 'Namespace')!;
const CONFIGMAPS = lookupKind('v1', 'ConfigMap')!;
const EVENTS = lookupKind('v1', 'Event')!;
const NODES = lookupKind('v1', 'Node')!;
const PARTS = ['shoal-controller-manager', 'shoal-scheduler'];
const LEASE_DURATION_S = 15;
const RETRY_PERIOD_S = 2;
const TAG = `e2e-le-${process.pid}`;

/** One `shoal server --store etcd`, restartable on the same data directory and port. */
class Server {
  proc: ShoalProcess | undefined;
  client: Client | undefined;
  private constructor(
    readonly name: string,
    readonly dataDir: string,
    readonly port: number,
    private readonly etcd: EtcdServer,
  ) {}

  static async create(name: string, etcd: EtcdServer, prepare?: (dataDir: string) => void): Promise<Server> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `shoal-${name}-`));
    prepare?.(dataDir);
    return new Server(name, dataDir, await freePort(), etcd);
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.proc = spawnShoal(
      [
        'server',
        ...['--data-dir', this.dataDir, '--listen', `127.0.0.1:${this.port}`],
        ...['--store', 'etcd', '--etcd-endpoints', this.etcd.endpoints.join(',')],
      ],
      `shoal server ${this.name}`,
    );
    await this.proc.ready('API server listening on');
    this.client?.close();
    this.client = Client.fromKubeconfig(
      loadKubeconfig({ path: path.join(this.dataDir, 'admin.kubeconfig') }),
      {
        userAgent: 'leader-election-e2e',
      },
    );
  }

  output(): string {
    return this.proc?.output() ?? '';
  }

  /** What the agent helper needs of a server: its URL and the data directory with node-token. */
  asAgentTarget(): ShoalServer {
    return { url: this.url, dataDir: this.dataDir } as ShoalServer;
  }

  async stop(): Promise<void> {
    this.client?.close();
    await this.proc?.stop();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

describe('leader election: two servers on one etcd store', () => {
  let etcd: EtcdServer;
  let a: Server;
  let b: Server;
  const agents: ShoalAgent[] = [];
  /** Holder identities, learnt from the Leases. */
  let identityA = '';
  let identityB = '';

  const holders = async (client: Client) =>
    Promise.all(
      PARTS.map(async (name) => {
        try {
          return (
            (await client.get<Lease & KubeObject>(LEASES, 'kube-system', name)).spec?.holderIdentity ?? ''
          );
        } catch (err) {
          if (hasCode(err, 404)) return '';
          throw err;
        }
      }),
    );
  const context = () => `--- server a ---\n${a?.output()}\n--- server b ---\n${b?.output()}`;

  /** Create a pod with no nodeName; resolve with its node once bound, checking it was bound once. */
  const scheduledOnce = async (client: Client, name: string) => {
    await client.create(PODS, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app: TAG } },
      spec: {
        terminationGracePeriodSeconds: 0,
        containers: [{ name: 'app', image: 'registry.local/app:1' }],
      },
    });
    const node = await eventually(
      `${name} bound`,
      async () => (await client.get<Pod & KubeObject>(PODS, 'default', name)).spec?.nodeName || undefined,
      { timeoutMs: 20_000, context },
    );
    // Both schedulers would each bind and record Scheduled; the loser's binding would fail.
    await new Promise((r) => setTimeout(r, 1000));
    const events = (
      await client.list<Event & KubeObject>(EVENTS, 'default', {
        fieldSelector: `involvedObject.name=${name}`,
      })
    ).items;
    const scheduled = events.filter((e) => e.reason === 'Scheduled');
    assert.equal(scheduled.length, 1, JSON.stringify(events, null, 1));
    assert.equal(scheduled[0]!.count ?? 1, 1);
    assert.deepEqual(
      events.filter((e) => e.type === 'Warning').map((e) => e.message),
      [],
      'no failed binding',
    );
    return node;
  };

  before(async () => {
    etcd = await startEtcd();
    a = await Server.create('a', etcd);
    await a.start();
    const [cm, sched] = await eventually(
      'server a holds both Leases',
      async () => {
        const h = await holders(a.client!);
        return h.every((x) => x !== '') ? h : undefined;
      },
      { context },
    );
    assert.equal(cm, sched, 'one server holds both');
    identityA = cm!;
    // The second server joins the same cluster: same CA (so agents and kubeconfigs trust it and it
    // trusts their certificates) and the same join token.
    b = await Server.create('b', etcd, (dir) => {
      fs.mkdirSync(path.join(dir, 'pki'), { mode: 0o700 });
      for (const f of ['pki/ca.crt', 'pki/ca.key', 'pki/node-token.hash', 'node-token']) {
        fs.copyFileSync(path.join(a.dataDir, f), path.join(dir, f));
      }
    });
    await b.start();
    agents.push(
      shoalAgent(a.asAgentTarget(), `${TAG}-a`, ['--runtime', 'simulated']),
      shoalAgent(b.asAgentTarget(), `${TAG}-b`, ['--runtime', 'simulated']),
    );
    await Promise.all(agents.map((x) => x.start()));
    await eventually(
      'both nodes Ready',
      async () => {
        const nodes = (await a.client!.list(NODES, undefined)).items;
        const ready = nodes.filter(
          (n) =>
            n.metadata.name?.startsWith(TAG) &&
            (n.status as { conditions?: { type: string; status: string }[] })?.conditions?.some(
              (c) => c.type === 'Ready' && c.status === 'True',
            ),
        );
        return ready.length === 2 ? true : undefined;
      },
      { context },
    );
  });

  after(async () => {
    await Promise.allSettled(agents.map((x) => x.stop()));
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await etcd?.stop();
  });

  it('only one server holds the Leases; the other waits', async () => {
    await eventually('server b waits for both Leases', async () =>
      PARTS.every((p) => b.output().includes(`waiting for the lease kube-system/${p} held by ${identityA}`))
        ? true
        : undefined,
    );
    assert.deepEqual(await holders(b.client!), [identityA, identityA]);
    assert.doesNotMatch(b.output(), /became the leader/);
  });

  it('pods are bound exactly once, and a namespace deletion is processed', async () => {
    const nodes = new Set<string>();
    for (let i = 0; i < 4; i++) nodes.add(await scheduledOnce(i % 2 ? a.client! : b.client!, `${TAG}-p${i}`));
    assert.ok(
      [...nodes].every((n) => n.startsWith(TAG)),
      [...nodes].join(),
    );

    const ns = `${TAG}-ns`;
    await b.client!.create(NAMESPACES, undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns },
    });
    await b.client!.create(CONFIGMAPS, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' } });
    await b.client!.delete(NAMESPACES, undefined, ns);
    await eventually(
      'the namespace gone',
      async () => {
        try {
          await b.client!.get(NAMESPACES, undefined, ns);
          return undefined;
        } catch (err) {
          if (hasCode(err, 404)) return true;
          throw err;
        }
      },
      { timeoutMs: 30_000, context },
    );
  });

  it('SIGKILL the leader: the other takes over within leaseDuration + a few seconds, and acts', async () => {
    const killed = Date.now();
    await a.proc!.kill9();
    const h = await eventually(
      'server b holds both Leases',
      async () => {
        const now = await holders(b.client!);
        return now.every((x) => x !== identityA && x !== '') ? now : undefined;
      },
      { timeoutMs: (LEASE_DURATION_S + 10) * 1000, intervalMs: 100, context },
    );
    const tookS = (Date.now() - killed) / 1000;
    identityB = h[0]!;
    assert.equal(h[1], identityB);
    assert.ok(tookS <= LEASE_DURATION_S + RETRY_PERIOD_S + 3, `took over after ${tookS} s`);
    await scheduledOnce(b.client!, `${TAG}-after-kill`);
  });

  it('SIGTERM the leader: it releases the Leases and the other takes over within about retryPeriod', async () => {
    await a.start();
    await eventually(
      'restarted server a waits',
      async () =>
        PARTS.every((p) => a.output().includes(`waiting for the lease kube-system/${p} held by ${identityB}`))
          ? true
          : undefined,
      { context },
    );
    const stopping = Date.now();
    await b.proc!.stop();
    assert.match(b.output(), /released the lease kube-system\/shoal-controller-manager/);
    assert.match(b.output(), /released the lease kube-system\/shoal-scheduler/);
    await eventually(
      'server a holds both Leases again',
      async () => ((await holders(a.client!)).every((x) => x === identityA) ? true : undefined),
      { timeoutMs: 15_000, intervalMs: 100, context },
    );
    const tookS = (Date.now() - stopping) / 1000;
    assert.ok(tookS <= RETRY_PERIOD_S + 3, `took over ${tookS} s after SIGTERM`);
    await scheduledOnce(a.client!, `${TAG}-after-term`);
  });
});
