/**
 * `shoal simulate` against a real `shoal server`, as a user sees it through kubectl: 20 hollow
 * nodes join with the server's token and are Ready; pods bound to them become Running and Ready
 * and deleting them completes; SIGTERM stops the heartbeats. Shoal has no node lifecycle
 * controller yet, so the stopped nodes keep their last status (Ready); Kubernetes would mark them
 * Unknown ("Kubelet stopped posting node status") once their leases are 40-50 s stale.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../support/eventually.js';
import { type ShoalProcess, spawnShoal } from '../support/shoal-process.js';
import { type ShoalServer, startShoalServer } from '../support/shoal-server.js';

const NODES = 20;
const PREFIX = 'e2e-sim-';

describe('shoal simulate', () => {
  let server: ShoalServer;
  let root: string;
  let sim: ShoalProcess;

  before(async () => {
    server = await startShoalServer();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-simulate-e2e-'));
    sim = spawnShoal(
      [
        'simulate',
        '--server',
        server.url,
        '--token-file',
        path.join(server.dataDir, 'node-token'),
        '--nodes',
        String(NODES),
        '--name-prefix',
        PREFIX,
        '--zones',
        '3',
        '--data-dir',
        root,
      ],
      'shoal simulate',
    );
    await sim.ready(`registered ${NODES}/${NODES} nodes in`);
  });

  after(async () => {
    await sim?.stop();
    await server?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const kubectl = async (args: string[], input?: string) => {
    const r = await server.kubectl(args, input === undefined ? {} : { input });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const leases = async () =>
    kubectl([
      'get',
      'leases',
      '-n',
      'kube-node-lease',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.spec.renewTime}{"\\n"}{end}',
    ]);

  it('registers every node Ready, spread over the zones', async () => {
    const out = await kubectl(['get', 'nodes', '-L', 'topology.kubernetes.io/zone', '--no-headers']);
    const rows = out
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/));
    assert.equal(rows.length, NODES, out);
    for (const [name, status, , , version, zone] of rows) {
      assert.match(name!, /^e2e-sim-\d\d$/);
      assert.equal(status, 'Ready', out);
      assert.equal(version, 'v1.32.0-shoal');
      assert.match(zone!, /^zone-[012]$/);
    }
    const perZone = new Map<string, number>();
    for (const r of rows) perZone.set(r[5]!, (perZone.get(r[5]!) ?? 0) + 1);
    assert.deepEqual([...perZone.values()].sort(), [6, 7, 7]);
    assert.equal((await leases()).trim().split('\n').length, NODES);
  });

  it('runs pods bound to hollow nodes, Running and Ready, and completes their deletion', async () => {
    const pods = Array.from({ length: NODES }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `hollow-${i}`, labels: { app: 'sim-e2e' } },
      spec: {
        nodeName: `${PREFIX}${String(i).padStart(2, '0')}`,
        containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }],
      },
    }));
    // A stream of JSON objects: kubectl's validation of `kind: List` trips on Shoal's OpenAPI v2 (a known gap).
    await kubectl(['apply', '-f', '-'], pods.map((p) => JSON.stringify(p)).join('\n'));
    const status = await eventually(
      'every pod Running and Ready',
      async () => {
        const out = await kubectl([
          'get',
          'pods',
          '-l',
          'app=sim-e2e',
          '-o',
          'jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.status.conditions[?(@.type=="Ready")].status} {.status.podIP} {.spec.nodeName}{"\\n"}{end}',
        ]);
        const rows = out.trim().split('\n').filter(Boolean);
        return rows.length === NODES && rows.every((r) => / Running True /.test(r)) ? rows : undefined;
      },
      { timeoutMs: 60_000, context: () => sim.output() },
    );
    assert.equal(new Set(status.map((r) => r.split(' ')[3])).size, NODES, 'each pod has its own IP');
    const wide = await kubectl(['get', 'pods', '-l', 'app=sim-e2e', '--no-headers']);
    assert.match(wide, /hollow-0\s+1\/1\s+Running\s+0/);

    // kubectl waits for the objects to be gone: the hollow nodes must send the final DELETE.
    await kubectl(['delete', 'pods', '-l', 'app=sim-e2e', '--timeout=60s']);
    assert.equal((await kubectl(['get', 'pods', '-l', 'app=sim-e2e', '-o', 'name'])).trim(), '');
  });

  it('stops renewing leases on SIGTERM and leaves the nodes as last reported', async () => {
    const before = await leases();
    // Renewals happen (every 10 s at this size, spread over the interval) while it runs...
    await eventually('a lease renewal', async () => ((await leases()) !== before ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 500,
    });
    await sim.stop();
    assert.equal(sim.child.exitCode, 0, sim.output());
    const stopped = await leases();
    // ...and none after the stop: a full interval and more later, every renewTime is the same.
    await new Promise((r) => setTimeout(r, 11_000));
    assert.equal(await leases(), stopped);
    const out = await kubectl(['get', 'nodes', '--no-headers']);
    assert.equal(out.trim().split('\n').length, NODES);
    assert.ok(
      out
        .trim()
        .split('\n')
        .every((l) => /\sReady\s/.test(l)),
      out,
    );
  });
});
