/**
 * The StatefulSet controller in a real `shoal server` with real agents on Docker: web-0, web-1,
 * web-2 start in order (each only once the one before is Running and Ready), `kubectl scale`
 * down removes web-2 first, a deleted web-1 comes back under the same name, and a rolling update
 * with a partition updates only the pods at or above it; `kubectl rollout status sts/web` follows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../src/api/object.js';
import { lookupKind } from '../../src/api/resources.js';
import { startCluster, type TestCluster } from '../support/cluster.js';

const PODS = lookupKind('v1', 'Pod')!;

const isReady = (p: Pod | undefined) =>
  !!p &&
  p.status?.phase === 'Running' &&
  !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

describe('StatefulSet', { timeout: 115_000 }, () => {
  let cluster: TestCluster;

  const pods = async (): Promise<Map<string, Pod>> => {
    const list = await cluster.client.list<KubeObject>(PODS, 'default', { labelSelector: 'app=web' });
    return new Map((list.items as unknown as Pod[]).map((p) => [p.metadata!.name!, p]));
  };
  const statefulSet = (message: string, partition = 0) => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 3,
      serviceName: 'web',
      selector: { matchLabels: { app: 'web' } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'c',
              image: cluster.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['sh', '-c', `echo ${message}; sleep 3600`],
            },
          ],
        },
      },
    },
  });

  before(async () => {
    cluster = await startCluster({ agents: 2, nodePrefix: 'e2e-sts' });
  });

  after(async () => {
    await cluster?.stop();
  });

  it('starts web-0, web-1, web-2 in order, each after the previous is Ready', async () => {
    await cluster.apply(statefulSet('v1'));
    await cluster.eventually(
      'web-0..2 Running and Ready, never one before the previous was Ready',
      async () => {
        const now = await pods();
        for (const [later, earlier] of [
          ['web-1', 'web-0'],
          ['web-2', 'web-1'],
        ] as const) {
          // Checked on every poll: a later pod never exists while an earlier one is not Ready.
          if (now.has(later))
            assert.ok(isReady(now.get(earlier)), `${later} exists but ${earlier} is not Ready`);
        }
        return ['web-0', 'web-1', 'web-2'].every((n) => isReady(now.get(n))) ? now : undefined;
      },
      90_000,
    );
    const now = await pods();
    const created = (n: string) => Date.parse(now.get(n)!.metadata!.creationTimestamp!);
    assert.ok(created('web-0') <= created('web-1') && created('web-1') <= created('web-2'));
    const web1 = now.get('web-1')!;
    assert.equal(web1.spec?.hostname, 'web-1');
    assert.equal(web1.spec?.subdomain, 'web');
    assert.equal(web1.metadata?.labels?.['statefulset.kubernetes.io/pod-name'], 'web-1');
    assert.equal(web1.metadata?.labels?.['apps.kubernetes.io/pod-index'], '1');
    const status = await cluster.kubectl(['rollout', 'status', 'sts/web', '--timeout=30s']);
    // Defaulting sets partition 0, so kubectl reports a partitioned rollout, as against Kubernetes.
    assert.match(status, /partitioned roll out complete: 3 new pods have been updated/);
  });

  it('scales down from the highest ordinal and recreates a deleted pod under its name', async () => {
    await cluster.kubectl(['scale', 'sts', 'web', '--replicas=2']);
    await cluster.eventually('web-2 gone, web-0 and web-1 kept', async () => {
      const now = await pods();
      assert.ok(!now.get('web-1')?.metadata?.deletionTimestamp, 'web-1 is being deleted');
      return !now.has('web-2') && now.has('web-0') && now.has('web-1') ? true : undefined;
    });

    const before = (await pods()).get('web-1')!.metadata!.uid;
    await cluster.kubectl(['delete', 'pod', 'web-1', '--wait=false']);
    await cluster.eventually('web-1 recreated and Ready', async () => {
      const p = (await pods()).get('web-1');
      return p && p.metadata!.uid !== before && isReady(p) ? true : undefined;
    });
  });

  it('rolls out a new template only to the ordinals at or above the partition', async () => {
    await cluster.kubectl(['scale', 'sts', 'web', '--replicas=3']);
    await cluster.eventually('web-2 back', async () =>
      isReady((await pods()).get('web-2')) ? true : undefined,
    );
    const oldRev = (await pods()).get('web-0')!.metadata!.labels!['controller-revision-hash'];

    await cluster.apply(statefulSet('v2', 1));
    const revisionOf = (p: Pod | undefined) => p?.metadata?.labels?.['controller-revision-hash'];
    const updated = await cluster.eventually('web-2 and web-1 updated and Ready', async () => {
      const now = await pods();
      const rev = revisionOf(now.get('web-2'));
      if (!rev || rev === oldRev) return undefined;
      return ['web-1', 'web-2'].every((n) => revisionOf(now.get(n)) === rev && isReady(now.get(n)))
        ? rev
        : undefined;
    });
    const partitioned = await cluster.kubectl(['rollout', 'status', 'sts/web', '--timeout=30s']);
    assert.match(partitioned, /partitioned roll out complete: 2 new pods have been updated/);
    assert.equal(revisionOf((await pods()).get('web-0')), oldRev, 'web-0 is below the partition');

    await cluster.kubectl([
      'patch',
      'sts',
      'web',
      '--type=merge',
      '-p',
      '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}',
    ]);
    const done = await cluster.kubectl(['rollout', 'status', 'sts/web', '--timeout=60s']);
    assert.match(done, /partitioned roll out complete: 3 new pods have been updated/);
    assert.equal(revisionOf((await pods()).get('web-0')), updated);
    const status = await cluster.eventually('the update revision becomes the current one', async () => {
      const s = JSON.parse(await cluster.kubectl(['get', 'sts', 'web', '-o', 'json'])).status;
      return s.currentRevision === updated ? s : undefined;
    });
    assert.deepEqual(
      [
        status.updateRevision,
        status.replicas,
        status.readyReplicas,
        status.currentReplicas,
        status.updatedReplicas,
      ],
      [updated, 3, 3, 3, 3],
    );
    await cluster.kubectl(['delete', 'sts', 'web', '--wait=false']);
  });
});
