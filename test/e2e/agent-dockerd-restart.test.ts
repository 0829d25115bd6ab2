/**
 * dockerd restarts under a real `shoal agent`: the node must turn NotReady while the engine is
 * gone (saying why) and Ready once it is back, and the agent must make the runtime match the
 * declared pods again on its own — Shoal gives Docker no restart policy, so nothing else will.
 *
 * The engine is a private dockerd (test/support/private-dockerd.ts): restarting the machine's
 * shared one would break every other test running on it.
 *
 * What a dockerd restart does, and what the agent reports (as kubelet does with dockershim or
 * cri-dockerd): a dockerd shutdown without live-restore stops every container, so after the
 * restart each pod's sandbox and containers are there but exited. The agent sees the dead
 * sandbox, makes a new one (a new pod IP) and starts every container anew as its next attempt:
 * `restartCount` goes from 0 to 1 and `lastState.terminated` shows how the old instance ended
 * (killed by the shutdown: exit code 137 or 143).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { podNetworkName } from '../../src/runtime/docker/driver.js';
import { cidrContains, parseCidr, parseIPv4 } from '../../src/util/ipv4.js';
import {
  findPod,
  getPod,
  kubectlOk,
  nodeIsReady,
  nodeReadyCondition,
  podFullyUp,
  podManifest as podManifestFor,
  podUp,
  runtimeObjects,
  sleeper,
} from '../support/cluster-probe.js';
import { ensureTestImage, uniqueNodeName } from '../support/docker.js';
import { eventuallyShowing } from '../support/eventually.js';
import { type PrivateDockerd, startPrivateDockerd } from '../support/private-dockerd.js';
import { type ShoalAgent, shoalAgent } from '../support/shoal-agent.js';
import { type ShoalServer, startShoalServer } from '../support/shoal-server.js';

const NODE = uniqueNodeName('e2e-dockerd');
const NS = 'default';
/** The agent checks the runtime every 10 s (node-status.ts); allow one missed check. */
const NODE_STATUS_MS = 25_000;

let dockerd: PrivateDockerd;
let server: ShoalServer;
let agent: ShoalAgent;
let image: string;

const eventually = eventuallyShowing(
  { agent: () => agent.output(), dockerd: () => dockerd.output() },
  { timeoutMs: 30_000, intervalMs: 500 },
);

const podManifest = (name: string, containers: unknown[]) => podManifestFor(NODE, name, containers, NS);

const web = () => ({
  name: 'web',
  image,
  imagePullPolicy: 'Never',
  command: [
    'sh',
    '-c',
    'mkdir -p /tmp/www && echo ok > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www',
  ],
  readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
});

async function waitUp(name: string, ms = 30_000): Promise<Pod> {
  return eventually(`${name} to run and be Ready`, () => podUp(server, NS, name), ms);
}

describe('agent while dockerd restarts', { timeout: 170_000 }, () => {
  let before_: Pod;
  let doomedUid: string;

  before(async () => {
    image = await ensureTestImage();
    dockerd = await startPrivateDockerd();
    await dockerd.loadImage(image);
    server = await startShoalServer();
    agent = shoalAgent(server, NODE, ['--docker-socket', dockerd.socketPath]);
    await agent.start();
    await eventually('the node to be Ready', () => nodeIsReady(server, NODE));
    await kubectlOk(server, ['apply', '-f', '-'], podManifest('app', [web(), sleeper(image, 'side')]));
    await kubectlOk(server, ['apply', '-f', '-'], podManifest('doomed', [sleeper(image)]));
    before_ = await waitUp('app');
    doomedUid = (await waitUp('doomed')).metadata!.uid!;
  });

  after(async () => {
    await agent?.stop();
    await server?.stop();
    await dockerd?.destroy();
  });

  it("runs the pods on the private dockerd, on the node's pod network there", async () => {
    const node = JSON.parse(await kubectlOk(server, ['get', 'node', NODE, '-o', 'json'])) as Node;
    const podCIDR = node.spec?.podCIDR ?? '';
    const network = await dockerd.docker.getNetwork(podNetworkName(NODE)).inspect();
    assert.equal(network.IPAM?.Config?.[0]?.Subnet, podCIDR, 'the pod network is on the podCIDR');
    assert.ok(
      cidrContains(parseCidr(podCIDR), parseIPv4(before_.status?.podIP ?? '') ?? -1),
      `pod IP ${before_.status?.podIP} in ${podCIDR}`,
    );
    const objects = await runtimeObjects(dockerd.docker, NODE, before_.metadata!.uid!);
    assert.deepEqual(
      objects.map((o) => `${o.kind}/${o.name}`),
      ['container/side', 'container/web', 'sandbox/'],
    );
  });

  it('turns the node NotReady while dockerd is down, saying why', async () => {
    await dockerd.stop();
    const ready = await eventually(
      'the node to be NotReady',
      async () => {
        const c = await nodeReadyCondition(server, NODE);
        return c?.status === 'False' ? c : undefined;
      },
      NODE_STATUS_MS,
    );
    assert.equal(ready.reason, 'KubeletNotReady');
    assert.match(ready.message ?? '', /cannot connect to the Docker daemon at unix:\/\/.*docker\.sock/);
    // Changes made meanwhile wait for the runtime: a pod created, a pod deleted.
    await kubectlOk(server, ['apply', '-f', '-'], podManifest('late', [sleeper(image)]));
    await kubectlOk(server, ['delete', 'pod', 'doomed', '-n', NS, '--wait=false']);
    assert.equal(agent.process?.exitCode, null, 'the agent is still running');
    // The containers died with the engine: web's readiness probe fails, and that is reported
    // although the runtime cannot be listed (side has no probe: it stays ready until the engine
    // says otherwise, as with kubelet).
    const app = await eventually('app to be reported not Ready', async () => {
      const p = await getPod(server, NS, 'app');
      return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False' ? p : undefined;
    });
    assert.deepEqual(
      app.status?.containerStatuses?.map((s) => [s.name, s.ready, s.restartCount]),
      [
        ['web', false, 0],
        ['side', true, 0],
      ],
    );
  });

  it('is Ready again once dockerd is back, and restores every pod', async () => {
    await dockerd.start();
    await eventually('the node to be Ready again', () => nodeIsReady(server, NODE), NODE_STATUS_MS);
    const app = await eventually('app to run again with new containers', async () => {
      const p = await getPod(server, NS, 'app');
      const restarted = p.status?.containerStatuses?.every((s) => s.restartCount === 1);
      return podFullyUp(p) && restarted ? p : undefined;
    });
    const beforeIds = new Map(before_.status!.containerStatuses!.map((s) => [s.name, s.containerID]));
    for (const s of app.status!.containerStatuses!) {
      assert.notEqual(s.containerID, beforeIds.get(s.name), `${s.name} is a new container`);
      const ended = s.lastState?.terminated;
      assert.ok(ended, `${s.name}: lastState.terminated says how the old one ended`);
      assert.ok([137, 143].includes(ended.exitCode), `${s.name} exit code ${ended.exitCode}`);
      assert.equal(ended.containerID, beforeIds.get(s.name));
    }
    // Each container's new instance runs in a new sandbox; the old sandbox is gone, the old
    // instances stay (stopped) for `kubectl logs --previous`.
    const objects = await runtimeObjects(dockerd.docker, NODE, app.metadata!.uid!);
    const show = (o: { kind: string; name: string; attempt: number; running: boolean }) =>
      `${o.kind}/${o.name}/${o.attempt}/${o.running ? 'running' : 'exited'}`;
    assert.deepEqual(objects.map(show).sort(), [
      'container/side/0/exited',
      'container/side/1/running',
      'container/web/0/exited',
      'container/web/1/running',
      'sandbox//0/running',
    ]);
    assert.ok(
      objects.every((o) => o.dockerRestarts === 0),
      'Docker itself restarted nothing',
    );

    await waitUp('late');
    await eventually('doomed to be gone from the API server and the runtime', async () => {
      const p = await findPod(server, NS, 'doomed');
      const left = await runtimeObjects(dockerd.docker, NODE, doomedUid);
      return p === undefined && left.length === 0 ? true : undefined;
    });
  });
});
