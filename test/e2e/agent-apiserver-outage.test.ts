/**
 * The API server goes away while a real `shoal agent` runs pods on the real dockerd: the pods
 * must keep running untouched (same containers, never restarted), the agent must keep retrying
 * with capped backoff, and once a `shoal server` is back on the same data directory and port the
 * agent must reconnect on its own: Lease renewed, node Ready, pod status current, new pods run,
 * deleted pods torn down.
 *
 * Why about a minute stands for "minutes": every retry loop of the agent has a capped backoff
 * (informers 30 s — src/client/informer.ts with src/client/backoff.ts' defaults; lease and node
 * status 7 s — src/agent/node-lease.ts, node-status.ts), and the outage lasts until even the
 * longest of them has reached its cap (0.8 s doubling, +20% jitter at most: the 7th retry, the
 * first at 30 s, comes within 61 s). From then on the agent is in the state it would keep for any
 * longer outage: retrying at the caps. Nothing in the agent acts on how long the API server has
 * been gone (no eviction, no deadline), so a ten-minute outage differs only in the count of
 * retries.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import type { Pod } from 'kubernetes-types/core/v1.js';
import {
  findPod,
  getPod,
  kubectlOk,
  nodeIsReady,
  nodeLease,
  nodeReadyCondition,
  podFullyUp,
  podManifest as podManifestFor,
  podReady,
  podUp,
  type RuntimeObject,
  runtimeObjects,
  sleeper,
} from '../support/cluster-probe.js';
import { ensureTestImage, uniqueNodeName } from '../support/docker.js';
import { eventuallyShowing } from '../support/eventually.js';
import { type ShoalAgent, shoalAgent } from '../support/shoal-agent.js';
import { type ShoalServer, startShoalServer } from '../support/shoal-server.js';

const NODE = uniqueNodeName('e2e-outage');
const NS = 'default';
/** Long enough for every backoff of the agent to reach its cap (see the module comment). */
const OUTAGE_MS = 62_000;
/** The informer's capped retry (30 s, +jitter within the cap) plus the time to act on it. */
const RECONNECT_MS = 45_000;
const LEASE_BACKOFF_CAP_MS = 7_000;
/** After a 3 s outage: retries at 0.8, 1.6, 3.2 s, then a pod's start. */
const BLIP_RECOVERY_MS = 20_000;

const docker = new Docker();
let server: ShoalServer;
let agent: ShoalAgent;
let image: string;

const eventually = eventuallyShowing(
  { agent: () => agent.output(), server: () => server.output() },
  { timeoutMs: 30_000, intervalMs: 500 },
);

const podManifest = (name: string, containers: unknown[]) => podManifestFor(NODE, name, containers, NS);

/** An httpd whose readiness follows the file /tmp/www/ready. */
const web = () => ({
  name: 'web',
  image,
  imagePullPolicy: 'Never',
  command: ['sh', '-c', 'mkdir -p /tmp/www && echo ok > /tmp/www/ready && exec httpd -f -p 8080 -h /tmp/www'],
  readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 2, failureThreshold: 1 },
});

async function createPod(name: string, containers: unknown[], ms = 30_000): Promise<Pod> {
  await kubectlOk(server, ['apply', '-f', '-'], podManifest(name, containers));
  return eventually(`${name} to run and be Ready`, () => podUp(server, NS, name), ms);
}

async function dockerExec(id: string, script: string): Promise<void> {
  await promisify(execFile)('docker', ['exec', id, 'sh', '-c', script], { timeout: 15_000 });
}

function containerIds(p: Pod): Record<string, string> {
  return Object.fromEntries((p.status?.containerStatuses ?? []).map((s) => [s.name, s.containerID ?? '']));
}

describe('agent while the API server is unreachable', { timeout: 170_000 }, () => {
  const before_: Record<string, { pod: Pod; runtime: RuntimeObject[] }> = {};
  let downAt = 0;
  let upAt = 0;

  before(async () => {
    image = await ensureTestImage();
    server = await startShoalServer();
    agent = shoalAgent(server, NODE);
    await agent.start();
    await eventually('the node to be Ready', () => nodeIsReady(server, NODE));
    const pods = await Promise.all([
      createPod('steady', [sleeper(image, 'a'), sleeper(image, 'b')]),
      createPod('probed', [web()]),
      createPod('doomed', [sleeper(image)]),
    ]);
    for (const p of pods) {
      before_[p.metadata!.name!] = { pod: p, runtime: await runtimeObjects(docker, NODE, p.metadata!.uid!) };
    }
  });

  after(async () => {
    await agent?.stop();
    await server?.stop();
  });

  it('keeps every pod running untouched while the API server is down', async (t) => {
    const outputBefore = agent.output().length;
    await server.kill('SIGKILL');
    downAt = Date.now();
    // Make something happen that the agent can see but not report: the readiness file goes away.
    const webId = before_.probed!.runtime.find((o) => o.name === 'web')!.id;
    await dockerExec(webId, 'rm /tmp/www/ready');
    await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - downAt)));

    assert.equal(agent.process?.exitCode, null, 'the agent is still running');
    for (const [name, { pod, runtime }] of Object.entries(before_)) {
      const now = await runtimeObjects(docker, NODE, pod.metadata!.uid!);
      assert.deepEqual(
        now,
        runtime,
        `${name}: the same sandbox and containers, still running, never restarted`,
      );
      assert.ok(now.every((o) => o.running && o.dockerRestarts === 0 && o.attempt === 0));
    }

    // The heartbeat backed off to its cap and not beyond (the informers log no delays).
    const during = agent.output().slice(outputBefore);
    const leaseDelays = [...during.matchAll(/renewing the node lease failed \(retrying in (\d+) ms\)/g)].map(
      (m) => Number(m[1]),
    );
    assert.ok(leaseDelays.length > 0, `the agent retried its lease:\n${during.slice(-2000)}`);
    assert.equal(
      Math.max(...leaseDelays),
      LEASE_BACKOFF_CAP_MS,
      `lease retry delays: ${leaseDelays.join(', ')}`,
    );
    // Every failed request is logged once: a retry loop without backoff would show thousands.
    const failures = during.split('\n').filter((l) => /warning:|failed/.test(l)).length;
    t.diagnostic(`${failures} failed requests logged; lease retry delays ${leaseDelays.join(', ')} ms`);
    assert.ok(
      failures < 150,
      `${failures} failed requests in ${OUTAGE_MS / 1000} s:\n${during.slice(-3000)}`,
    );
  });

  it('renews its Lease and is Ready again once the API server is back', async () => {
    await server.start();
    upAt = Date.now();
    const lease = await eventually('a lease renewed after the restart', async () => {
      const l = await nodeLease(server, NODE);
      return Date.parse(l.spec?.renewTime ?? '') > upAt ? l : undefined;
    });
    assert.equal(lease.spec?.holderIdentity, NODE);
    const ready = await nodeReadyCondition(server, NODE);
    assert.equal(ready?.status, 'True', JSON.stringify(ready));
  });

  it('reports the pod status the runtime shows now, and keeps following it', async () => {
    const probed = await eventually(
      'probed to be reported not Ready (its readiness file went away during the outage)',
      async () => {
        const p = await getPod(server, NS, 'probed');
        return podReady(p) ? undefined : p;
      },
      RECONNECT_MS,
    );
    const status = probed.status?.containerStatuses?.[0];
    assert.equal(status?.ready, false);
    assert.ok(status?.state?.running, 'not ready, but still running');
    assert.deepEqual(containerIds(probed), containerIds(before_.probed!.pod), 'the same container');
    assert.equal(status?.restartCount, 0);

    const webId = before_.probed!.runtime.find((o) => o.name === 'web')!.id;
    await dockerExec(webId, 'echo ok > /tmp/www/ready');
    await eventually('probed to be Ready again', async () =>
      podFullyUp(await getPod(server, NS, 'probed')) ? true : undefined,
    );

    const steady = await getPod(server, NS, 'steady');
    assert.ok(podFullyUp(steady));
    assert.deepEqual(containerIds(steady), containerIds(before_.steady!.pod));
    assert.deepEqual(
      steady.status?.containerStatuses?.map((s) => s.restartCount),
      [0, 0],
    );
  });

  it('runs a pod created after the outage', async () => {
    const fresh = await createPod('fresh', [sleeper(image)], RECONNECT_MS);
    assert.equal(fresh.status?.phase, 'Running');
  });

  it('tears down a pod deleted after the outage', async () => {
    const uid = before_.doomed!.pod.metadata!.uid!;
    await kubectlOk(server, ['delete', 'pod', 'doomed', '-n', NS, '--wait=false']);
    await eventually(
      'doomed to be gone from the API server and the runtime',
      async () => {
        const p = await findPod(server, NS, 'doomed');
        const left = await runtimeObjects(docker, NODE, uid);
        return p === undefined && left.length === 0 ? true : undefined;
      },
      RECONNECT_MS,
    );
    // Pods that were not deleted are still the ones from before the outage.
    const steady = await runtimeObjects(docker, NODE, before_.steady!.pod.metadata!.uid!);
    assert.deepEqual(steady, before_.steady!.runtime);
    assert.ok(upAt - downAt >= OUTAGE_MS);
  });

  it('comes back quickly from a short, graceful stop of the API server', async () => {
    await server.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 3000));
    await server.start();
    const restartedAt = Date.now();
    await eventually('a lease renewed after the second restart', async () =>
      Date.parse((await nodeLease(server, NODE)).spec?.renewTime ?? '') > restartedAt ? true : undefined,
    );
    // The watches had been healthy since the long outage, so their backoff started over: a short
    // blip costs seconds, not the 30 s the long outage had grown the delay to.
    await createPod('after-sigterm', [sleeper(image)], BLIP_RECOVERY_MS);
    const steady = await runtimeObjects(docker, NODE, before_.steady!.pod.metadata!.uid!);
    assert.deepEqual(steady, before_.steady!.runtime);
  });
});
