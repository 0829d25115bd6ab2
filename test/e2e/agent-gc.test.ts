/**
 * Container garbage collection by a real `shoal agent` on the real (shared) Docker Engine: dead
 * instances beyond a container's newest two go, what `kubectl logs --previous` reads stays. The
 * agent runs container GC every second here (`--container-gc-period 1`); image GC stays off, as
 * the fixture has it, since on a shared dockerd it would remove other people's images (it is
 * tested with fakes in src/agent/gc/). Only this run's containers are listed or touched: they
 * carry `shoal.dev/node=<this run's node>`.
 *
 * The Docker driver's image calls that image GC relies on are checked on an image this test makes
 * under a name of its own (and removes): listing with `pinned`, removal of a multi-tag image, and
 * refusal while a container uses it.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { DockerDriver } from '../../src/runtime/docker/driver.js';
import { pauseImageTar } from '../../src/runtime/docker/pause-image.js';
import { LABEL_ATTEMPT, LABEL_CONTAINER_NAME, LABEL_NODE, LABEL_POD_UID } from '../../src/runtime/driver.js';
import { getPod as getPodOf, kubectlOk } from '../support/cluster-probe.js';
import { ensureTestImage, uniqueNodeName } from '../support/docker.js';
import { eventuallyShowing } from '../support/eventually.js';
import { type ShoalAgent, shoalAgent } from '../support/shoal-agent.js';
import { type ShoalServer, startShoalServer } from '../support/shoal-server.js';

let server: ShoalServer;
let agent: ShoalAgent;
let image: string;
const docker = new Docker();
const NODE = uniqueNodeName('e2e-gc');
const NS = 'default';

const eventually = eventuallyShowing({ agent: () => agent.output() }, { timeoutMs: 40_000, intervalMs: 250 });

const kubectl = (args: string[], input?: string) => kubectlOk(server, args, input);
const getPod = (name: string): Promise<Pod> => getPodOf(server, NS, name);

async function createPod(name: string, spec: Record<string, unknown>): Promise<Pod> {
  const manifest = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: { nodeName: NODE, terminationGracePeriodSeconds: 2, ...spec },
  };
  await kubectl(['apply', '-f', '-'], JSON.stringify(manifest));
  return getPod(name);
}

/** Attempts of container `name` of the pod that Docker still has, newest first. */
async function attemptsInDocker(pod: Pod, name: string): Promise<number[]> {
  const found = await docker.listContainers({
    all: true,
    filters: {
      label: [
        `${LABEL_NODE}=${NODE}`,
        `${LABEL_POD_UID}=${pod.metadata?.uid}`,
        `${LABEL_CONTAINER_NAME}=${name}`,
      ],
    },
  });
  return found.map((c) => Number(c.Labels[LABEL_ATTEMPT])).sort((a, b) => b - a);
}

describe('agent container garbage collection on Docker', { timeout: 180_000 }, () => {
  before(async () => {
    image = await ensureTestImage();
    server = await startShoalServer();
    agent = shoalAgent(server, NODE, ['--container-gc-period', '1']);
    await agent.start();
  });

  after(async () => {
    await agent?.stop();
    await server?.stop();
  });

  it('keeps a crash-looping container’s newest two instances, so logs --previous still works', async () => {
    const pod = await createPod('crasher', {
      containers: [
        {
          name: 'app',
          image,
          imagePullPolicy: 'Never',
          command: ['sh', '-c', 'echo run-$(cat /proc/sys/kernel/random/uuid); exit 1'],
        },
      ],
    });
    // Instances 0 and 1 run at once, 2 after the 10 s backoff: from then on one is garbage.
    const kept = await eventually('three runs, and only the newest two instances left', async () => {
      const restarts = (await getPod('crasher')).status?.containerStatuses?.[0]?.restartCount ?? 0;
      if (restarts < 2) return undefined;
      const attempts = await attemptsInDocker(pod, 'app');
      return attempts.length === 2 && attempts[0]! >= 2 && attempts[1] === attempts[0]! - 1
        ? attempts
        : undefined;
    });
    assert.ok(kept[0]! >= 2);
    const current = await kubectl(['logs', 'crasher']);
    const previous = await kubectl(['logs', 'crasher', '--previous']);
    assert.match(current, /^run-[0-9a-f-]{36}\n$/);
    assert.match(previous, /^run-[0-9a-f-]{36}\n$/);
    assert.notEqual(current, previous);
  });

  it('collects dead instances of a pod that has finished and will not run again', async () => {
    // OnFailure: fails twice (the second run at once, the third after 10 s), then succeeds. The
    // run count lives in an emptyDir, which outlives the pod's containers.
    const script =
      'n=$(cat /state/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /state/n; echo run-$n; [ $n -ge 3 ]';
    const pod = await createPod('finisher', {
      restartPolicy: 'OnFailure',
      containers: [
        {
          name: 'job',
          image,
          imagePullPolicy: 'Never',
          command: ['sh', '-c', script],
          volumeMounts: [{ name: 'state', mountPath: '/state' }],
        },
      ],
      volumes: [{ name: 'state', emptyDir: {} }],
    });
    await eventually('finisher to succeed', async () =>
      (await getPod('finisher')).status?.phase === 'Succeeded' ? true : undefined,
    );
    const attempts = await eventually('the first run to be collected', async () => {
      const a = await attemptsInDocker(pod, 'job');
      return a.length === 2 ? a : undefined;
    });
    assert.deepEqual(attempts, [2, 1]);
    assert.equal((await kubectl(['logs', 'finisher'])).trim(), 'run-3');
    assert.equal((await kubectl(['logs', 'finisher', '--previous'])).trim(), 'run-2');
    const status = (await getPod('finisher')).status?.containerStatuses?.[0];
    assert.equal(status?.restartCount, 2);
    assert.equal(status?.state?.terminated?.exitCode, 0);
    assert.equal(status?.lastState?.terminated?.exitCode, 1);
  });
});

describe('Docker driver image calls used by image GC', { timeout: 60_000 }, () => {
  const node = uniqueNodeName('e2e-gc-images');
  const repo = `shoal-e2e-gc/${node}`;
  // Image calls only: the driver writes nothing under its state directory here.
  const driver = new DockerDriver({ nodeName: node, stateDir: join(tmpdir(), node) });
  let id = '';

  before(async () => {
    // A fresh image of our own: the pause program imported under this run's name.
    const stream = await docker.importImage(Readable.from([pauseImageTar()]) as never, {
      repo,
      tag: 'a',
      changes: ['CMD ["/pause"]'],
    });
    for await (const _ of stream as unknown as AsyncIterable<unknown>);
    id = (await docker.getImage(`${repo}:a`).inspect()).Id;
    await docker.getImage(id).tag({ repo, tag: 'b' });
  });

  after(async () => {
    for (const c of await docker.listContainers({ all: true, filters: { label: [`${LABEL_NODE}=${node}`] } }))
      await docker.getContainer(c.Id).remove({ force: true });
    await docker
      .getImage(id)
      .remove({ force: true })
      .catch(() => undefined);
  });

  it('reports where images live, and pins only the sandbox image', async () => {
    assert.ok((await driver.info()).imageStorePath?.startsWith('/'));
    await driver.runSandbox({
      podUid: 'u',
      podName: 'p',
      namespace: 'ns',
      labels: {},
      hostname: 'p',
      hostNetwork: false,
      ports: [],
    });
    const images = await driver.listImages();
    const ours = images.find((i) => i.id === id);
    assert.deepEqual(ours?.tags.sort(), [`${repo}:a`, `${repo}:b`]);
    assert.equal(ours?.pinned, undefined);
    assert.deepEqual(
      images.filter((i) => i.pinned).map((i) => i.tags),
      [['shoal/pause:1']],
    );
  });

  it('refuses to remove an image a container uses, then removes it with all its tags', async () => {
    const user = await docker.createContainer({ Image: id, Labels: { [LABEL_NODE]: node } });
    await assert.rejects(driver.removeImage(id), /image is being used by container/);
    assert.equal((await docker.getImage(id).inspect()).RepoTags?.length, 2, 'no tag was taken off');
    await user.remove({ force: true });
    await driver.removeImage(id);
    await assert.rejects(
      docker.getImage(id).inspect(),
      (err: { statusCode?: number }) => err.statusCode === 404,
    );
    await driver.removeImage(id); // gone already: no error
  });
});
