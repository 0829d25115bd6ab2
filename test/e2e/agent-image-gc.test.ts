/**
 * Image garbage collection against a real disk: a real `shoal agent` on a private dockerd
 * (test/support/private-dockerd.ts; the shared one must not lose anyone's images) with thresholds
 * set so that the disk always counts as too full. The agent must remove the image no container
 * uses, keep the one a running pod uses and the sandbox image, and say on the Node that it could
 * not free enough (the disk holds far more than images).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getPod, kubectlOk, nodeIsReady, podUp } from '../support/cluster-probe.js';
import { ensureTestImage, uniqueNodeName } from '../support/docker.js';
import { eventuallyShowing } from '../support/eventually.js';
import { type PrivateDockerd, startPrivateDockerd } from '../support/private-dockerd.js';
import { type ShoalAgent, shoalAgent } from '../support/shoal-agent.js';
import { type ShoalServer, startShoalServer } from '../support/shoal-server.js';

const NODE = uniqueNodeName('e2e-imagegc');
const VICTIM = 'shoal-test/gc-victim:1';

let dockerd: PrivateDockerd;
let server: ShoalServer;
let agent: ShoalAgent;
let image: string;

const eventually = eventuallyShowing({ agent: () => agent.output() }, { timeoutMs: 45_000, intervalMs: 500 });

const present = async (ref: string) => (await dockerd.cli(['images', '-q', ref])).trim() !== '';

describe('agent image garbage collection', { timeout: 170_000 }, () => {
  before(async () => {
    image = await ensureTestImage();
    dockerd = await startPrivateDockerd();
    await dockerd.loadImage(image);
    // An image of its own (a commit makes a new image ID) that nothing will use.
    const name = `gc-victim-${process.pid}`;
    await dockerd.cli(['create', '--name', name, image, 'true']);
    await dockerd.cli(['commit', name, VICTIM]);
    await dockerd.cli(['rm', name]);
    assert.ok(await present(VICTIM));

    server = await startShoalServer();
    // The pod exists before the agent starts, so it runs before any image is old enough to remove.
    await kubectlOk(
      server,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'user', namespace: 'default' },
        spec: {
          nodeName: NODE,
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'app', image, imagePullPolicy: 'Never', command: ['sleep', '3600'] }],
        },
      }),
    );
    agent = shoalAgent(server, NODE, [
      '--docker-socket',
      dockerd.socketPath,
      // Any disk is above 1 % used, and 0 % can never be reached: every run must free what it can.
      '--image-gc-high-threshold',
      '1',
      '--image-gc-low-threshold',
      '0',
      // Images become removable 15 s after the agent first sees them: by then the pod (created
      // before the agent starts) runs, and its image is in use. Without this the first round
      // would remove the pod's image too, as kubelet would.
      '--image-minimum-gc-age',
      '15',
      '--image-gc-period',
      '2',
    ]);
    await agent.start();
    await eventually('the node to be Ready', () => nodeIsReady(server, NODE));
    await eventually('the pod to run', () => podUp(server, 'default', 'user'));
  });

  after(async () => {
    await agent?.stop();
    await server?.stop();
    await dockerd?.destroy();
  });

  it('removes the unused image and keeps the used one and the sandbox image', async () => {
    await eventually('the unused image to be removed', async () =>
      (await present(VICTIM)) ? undefined : true,
    );
    assert.ok(await present(image), 'the image the running pod uses stays');
    assert.ok(await present('shoal/pause:1'), 'the sandbox image stays');
    const pod = await getPod(server, 'default', 'user');
    assert.equal(pod?.status?.containerStatuses?.[0]?.restartCount, 0);
  });

  it('says on the Node that it could not free enough', async () => {
    const message = await eventually('a FreeDiskSpaceFailed event', async () => {
      const r = await server.kubectl([
        'get',
        'events',
        '--field-selector',
        `reason=FreeDiskSpaceFailed,involvedObject.name=${NODE}`,
        '-o',
        'jsonpath={.items[*].message}',
      ]);
      return r.code === 0 && r.stdout.trim() ? r.stdout : undefined;
    });
    assert.match(message, /Failed to garbage collect required amount of images/);
  });
});
