/**
 * The Deployment controller against a real cluster (server + two agents on Docker) and the real
 * kubectl: replicas become Running pods, a killed container is restarted in place, a deleted pod
 * is replaced, a rolling update never drops
 * below replicas - maxUnavailable Ready pods (checked on every event of a pod watch) and ends with
 * only new pods, a version that never gets Ready stalls (and `kubectl rollout status` fails) while
 * the old pods keep serving, `rollout undo|history|pause|resume|restart` and `kubectl scale` work,
 * and with `shoal.dev/rollback-on-failure` a stalled rollout rolls back by itself.
 *
 * Versions differ by an env var: any template change is a new revision, and the busybox test
 * image serves them all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { lookupKind } from '../../src/api/resources.js';
import { LABEL_CONTAINER_NAME, LABEL_POD_UID } from '../../src/runtime/driver.js';
import { sleepingWorkload, startCluster, type TestCluster } from '../support/cluster.js';
import { podReady } from '../support/cluster-probe.js';

const NS = 'default';
const PODS = lookupKind('v1', 'Pod')!;
let cluster: TestCluster;

function deployment(
  name: string,
  replicas: number,
  version: string,
  annotations: Record<string, string> = {},
) {
  return sleepingWorkload({
    kind: 'Deployment',
    name,
    namespace: NS,
    replicas,
    image: cluster.image,
    annotations,
    spec: {
      progressDeadlineSeconds: 8,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
    },
    container: { env: [{ name: 'VERSION', value: version }] },
  });
}

/** A JSON patch making the template a version whose readiness probe always fails. */
const NEVER_READY = JSON.stringify([
  { op: 'replace', path: '/spec/template/spec/containers/0/env/0/value', value: 'broken' },
  {
    op: 'add',
    path: '/spec/template/spec/containers/0/readinessProbe',
    value: { exec: { command: ['false'] }, periodSeconds: 1 },
  },
]);

const live = (app: string): Promise<Pod[]> => cluster.livePods(NS, `app=${app}`);

const versionOf = (p: Pod) => p.spec?.containers[0]?.env?.find((e) => e.name === 'VERSION')?.value;

/** Resolves once exactly `n` live pods of `app` exist, all Ready and of `version`. */
function readyPods(app: string, n: number, version: string, timeoutMs?: number): Promise<Pod[]> {
  return cluster.eventually(
    `${n} ready ${version} pods of ${app}`,
    async () => {
      const pods = await live(app);
      return pods.length === n && pods.every((p) => podReady(p) && versionOf(p) === version)
        ? pods
        : undefined;
    },
    timeoutMs,
  );
}

async function getDeployment(name: string): Promise<Deployment> {
  return JSON.parse(await cluster.kubectl(['get', 'deployment', name, '-n', NS, '-o', 'json'])) as Deployment;
}

async function replicaSetsOf(app: string): Promise<ReplicaSet[]> {
  const out = await cluster.kubectl(['get', 'rs', '-n', NS, '-l', `app=${app}`, '-o', 'json']);
  return (JSON.parse(out) as { items: ReplicaSet[] }).items;
}

/** `kubectl rollout status`: its exit code and output. */
async function rolloutStatus(name: string, timeout = '60s') {
  const r = await cluster.server.kubectl(
    ['rollout', 'status', `deployment/${name}`, '-n', NS, `--timeout=${timeout}`],
    {
      timeoutMs: 90_000,
    },
  );
  return { code: r.code, out: r.stdout + r.stderr };
}

/**
 * Watch the pods of `app` and remember the fewest that were Ready (and not terminating) after
 * any single event: every state the API server went through, not samples of it.
 */
function watchReady(app: string) {
  const abort = new AbortController();
  const ready = new Map<string, boolean>();
  let min = Number.POSITIVE_INFINITY;
  let events = 0;
  const started = (async () => {
    const list = await cluster.client.list(PODS, NS, { labelSelector: `app=${app}` });
    for (const p of list.items as Pod[]) {
      ready.set(p.metadata!.name!, podReady(p) && !p.metadata?.deletionTimestamp);
    }
    min = [...ready.values()].filter(Boolean).length;
    return list.metadata.resourceVersion;
  })();
  const done = started.then(async (resourceVersion) => {
    for await (const ev of cluster.client.watch<Pod>(PODS, NS, {
      labelSelector: `app=${app}`,
      ...(resourceVersion ? { resourceVersion } : {}),
      signal: abort.signal,
    })) {
      if (ev.type === 'BOOKMARK') continue;
      const name = ev.object.metadata!.name!;
      if (ev.type === 'DELETED') ready.delete(name);
      else ready.set(name, podReady(ev.object) && !ev.object.metadata?.deletionTimestamp);
      events++;
      min = Math.min(min, [...ready.values()].filter(Boolean).length);
    }
  });
  return {
    started,
    async stop() {
      abort.abort();
      await done.catch(() => undefined);
      return { min, events };
    },
  };
}

describe('Deployment controller (real server, two agents, real kubectl)', { timeout: 300_000 }, () => {
  before(async () => {
    cluster = await startCluster({ agents: 2, nodePrefix: 'e2e-deploy' });
  });
  after(async () => {
    await cluster?.stop();
  });

  it('runs 3 replicas through a ReplicaSet and replaces a deleted pod', async () => {
    await cluster.apply(deployment('web', 3, 'v1'));
    const pods = await readyPods('web', 3, 'v1');
    const rses = await replicaSetsOf('web');
    assert.equal(rses.length, 1);
    const hash = rses[0]!.metadata!.labels!['pod-template-hash']!;
    assert.equal(rses[0]!.metadata!.name, `web-${hash}`);
    assert.equal(rses[0]!.metadata!.annotations!['deployment.kubernetes.io/revision'], '1');
    for (const p of pods) assert.equal(p.metadata!.labels!['pod-template-hash'], hash);
    const status = await rolloutStatus('web');
    assert.equal(status.code, 0, status.out);
    assert.match(status.out, /successfully rolled out/);

    // A container killed behind the agent's back (as by the kernel) is restarted in its pod.
    const docker = new Docker();
    const [killed] = await docker.listContainers({
      filters: { label: [`${LABEL_POD_UID}=${pods[1]!.metadata!.uid}`, `${LABEL_CONTAINER_NAME}=main`] },
    });
    assert.ok(killed, 'the pod has a running container');
    await docker.getContainer(killed.Id).kill();
    await cluster.eventually('the killed container restarted', async () => {
      const pod = (await cluster.client.get(PODS, NS, pods[1]!.metadata!.name!)) as unknown as Pod;
      const status = pod.status?.containerStatuses?.[0];
      return status?.restartCount === 1 && status.ready ? pod : undefined;
    });

    const victim = pods[0]!.metadata!.name!;
    await cluster.kubectl(['delete', 'pod', victim, '-n', NS, '--wait=false']);
    const replaced = await readyPods('web', 3, 'v1');
    assert.ok(!replaced.some((p) => p.metadata!.name === victim));
    const d = await getDeployment('web');
    assert.equal(d.status?.availableReplicas, 3);
    assert.equal(d.status?.updatedReplicas, 3);
    assert.equal(d.status?.conditions?.find((c) => c.type === 'Available')?.status, 'True');
  });

  it('rolls out a new version keeping replicas - maxUnavailable pods Ready at every moment', async () => {
    const watch = watchReady('web');
    await watch.started;
    await cluster.kubectl(['set', 'env', 'deployment/web', '-n', NS, 'VERSION=v2']);
    const status = await rolloutStatus('web');
    assert.equal(status.code, 0, status.out);
    const pods = await readyPods('web', 3, 'v2');
    const { min, events } = await watch.stop();
    assert.ok(events > 6, `the watch saw the rollout (${events} events)`);
    assert.ok(min >= 2, `at least 3 - maxUnavailable(1) = 2 pods Ready throughout; saw ${min}`);
    const d = await getDeployment('web');
    assert.equal(d.metadata?.annotations?.['deployment.kubernetes.io/revision'], '2');
    const newRS = (await replicaSetsOf('web')).find(
      (r) => r.metadata!.annotations!['deployment.kubernetes.io/revision'] === '2',
    )!;
    for (const p of pods)
      assert.equal(p.metadata!.labels!['pod-template-hash'], newRS.metadata!.labels!['pod-template-hash']);
    const events2 = await cluster.events(NS, 'reason=ScalingReplicaSet');
    assert.match(events2, new RegExp(`Scaled up replica set ${newRS.metadata!.name} from 0 to`));
  });

  it('a version that never gets Ready stalls past its deadline while the old pods keep serving', async () => {
    await cluster.kubectl(['patch', 'deployment', 'web', '-n', NS, '--type=json', '-p', NEVER_READY]);
    const status = await rolloutStatus('web');
    assert.notEqual(status.code, 0, status.out);
    assert.match(status.out, /exceeded its progress deadline/);
    const d = await getDeployment('web');
    const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
    assert.equal(progressing?.reason, 'ProgressDeadlineExceeded');
    const serving = (await live('web')).filter((p) => versionOf(p) === 'v2' && podReady(p));
    assert.ok(serving.length >= 2, `old pods still serving: ${serving.length}`);
  });

  it('kubectl rollout undo restores the previous template; rollout history lists the revisions', async () => {
    await cluster.kubectl(['rollout', 'undo', 'deployment/web', '-n', NS]);
    const status = await rolloutStatus('web');
    assert.equal(status.code, 0, status.out);
    await readyPods('web', 3, 'v2');
    const d = await getDeployment('web');
    assert.equal(d.spec?.template.spec?.containers[0]?.readinessProbe, undefined);
    assert.equal(d.spec?.template.metadata?.labels?.['pod-template-hash'], undefined);
    // v2 came back as revision 4 (it was 2); the broken one is 3.
    assert.equal(d.metadata?.annotations?.['deployment.kubernetes.io/revision'], '4');
    const history = await cluster.kubectl(['rollout', 'history', 'deployment/web', '-n', NS]);
    const revisions = history
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0])
      .filter((r) => /^\d+$/.test(r ?? ''));
    assert.deepEqual(revisions, ['1', '3', '4'], history);
    const rev3 = await cluster.kubectl(['rollout', 'history', 'deployment/web', '-n', NS, '--revision=3']);
    assert.match(rev3, /broken/);
  });

  it('kubectl scale resizes; pause holds a rollout back, resume lets it go', async () => {
    await cluster.kubectl(['scale', 'deployment/web', '-n', NS, '--replicas=4']);
    await readyPods('web', 4, 'v2');

    await cluster.kubectl(['rollout', 'pause', 'deployment/web', '-n', NS]);
    await cluster.kubectl(['set', 'env', 'deployment/web', '-n', NS, 'VERSION=v5']);
    const paused = await cluster.eventually('the paused condition', async () => {
      const d = await getDeployment('web');
      const c = d.status?.conditions?.find((c) => c.type === 'Progressing');
      return c?.reason === 'DeploymentPaused' && d.status?.observedGeneration === d.metadata?.generation
        ? d
        : undefined;
    });
    assert.ok(paused);
    const before = (await replicaSetsOf('web')).length;
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await replicaSetsOf('web')).length, before, 'no new ReplicaSet while paused');
    assert.equal((await live('web')).filter((p) => versionOf(p) === 'v5').length, 0);

    await cluster.kubectl(['rollout', 'resume', 'deployment/web', '-n', NS]);
    const status = await rolloutStatus('web');
    assert.equal(status.code, 0, status.out);
    await readyPods('web', 4, 'v5');

    await cluster.kubectl(['rollout', 'restart', 'deployment/web', '-n', NS]);
    const restarted = await rolloutStatus('web');
    assert.equal(restarted.code, 0, restarted.out);
    const d = await getDeployment('web');
    assert.ok(d.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']);
    const pods = await readyPods('web', 4, 'v5');
    for (const p of pods) assert.ok(p.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']);
  });

  it('with shoal.dev/rollback-on-failure a stalled rollout rolls back by itself and is reported failed', async () => {
    await cluster.apply(deployment('safe', 2, 'v1', { 'shoal.dev/rollback-on-failure': 'true' }));
    await readyPods('safe', 2, 'v1');
    assert.equal((await rolloutStatus('safe')).code, 0);
    const good = await getDeployment('safe');

    await cluster.kubectl(['patch', 'deployment', 'safe', '-n', NS, '--type=json', '-p', NEVER_READY]);
    const status = await rolloutStatus('safe');
    assert.notEqual(status.code, 0, status.out);
    assert.match(status.out, /exceeded its progress deadline/);

    const back = await cluster.eventually('the template rolled back', async () => {
      const d = await getDeployment('safe');
      return d.status?.observedGeneration === d.metadata?.generation &&
        versionOf({ spec: d.spec?.template.spec } as Pod) === 'v1'
        ? d
        : undefined;
    });
    assert.deepEqual(back.spec?.template, good.spec?.template);
    const progressing = back.status?.conditions?.find((c) => c.type === 'Progressing');
    assert.equal(progressing?.status, 'False');
    assert.match(progressing?.message ?? '', /rolled back automatically to the template of revision 1/);
    await readyPods('safe', 2, 'v1');
    const after = await rolloutStatus('safe', '5s');
    assert.notEqual(after.code, 0, `never reported as a success: ${after.out}`);

    const events = await cluster.events(NS, 'reason=RolledBack');
    assert.match(events, /Rolled back from revision 2 to revision 1/);
    const described = await cluster.kubectl(['describe', 'deployment', 'safe', '-n', NS]);
    assert.match(described, /RolledBack/);
  });
});
