/**
 * The deployment controller's wiring against the in-process API server (real storage, CAS,
 * generation, /status), fed by real shared informers. No ReplicaSet controller runs: the test
 * plays it, writing ReplicaSet status, so each step of a rollout happens when the test says.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { KubeObject } from '../../api/object.js';
import type { Client } from '../../client/rest.js';
import { type RecordedEvent, startFakeApi, type TestApi, testContext, until } from '../framework/testing.js';
import { DEPLOYMENTS, DeploymentController, REPLICASETS } from './controller.js';
import { podTemplateHash } from './hash.js';

const events: RecordedEvent[] = [];

function template(app: string, version: string) {
  return {
    metadata: { labels: { app } },
    spec: { containers: [{ name: 'c', image: 'img', env: [{ name: 'V', value: version }] }] },
  };
}

function deployment(name: string, replicas: number) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: template(name, 'v1'),
    },
  };
}

describe('deployment controller wiring', () => {
  let api: TestApi;
  let client: Client;

  const rsNamed = async (name: string) =>
    ((await client.listAll(REPLICASETS, 'dep')).items as ReplicaSet[]).find((r) => r.metadata?.name === name);
  const getD = async (name: string) =>
    (await client.get(DEPLOYMENTS, 'dep', name)) as Deployment & KubeObject;
  /** Play the ReplicaSet controller: `n` pods of `rs` exist and are available. */
  const setAvailable = async (name: string, n: number) => {
    const rs = (await client.get(REPLICASETS, 'dep', name)) as ReplicaSet & KubeObject;
    await client.update(
      REPLICASETS,
      'dep',
      {
        ...rs,
        status: {
          replicas: n,
          readyReplicas: n,
          availableReplicas: n,
          observedGeneration: rs.metadata.generation ?? 1,
        },
      },
      { subresource: 'status' },
    );
  };
  const sizeOf = (name: string, size: number) =>
    until(`${name} at ${size}`, async () => {
      const rs = await rsNamed(name);
      return rs?.spec?.replicas === size ? rs : undefined;
    });

  before(async () => {
    api = await startFakeApi(['dep']);
    client = api.client;
    const ctx = testContext(client, events);
    await api.runController(ctx, new DeploymentController(ctx));
  });

  after(() => api.close());

  it('rolls out step by step, each old pod going only once a new one is available', async () => {
    await client.create(DEPLOYMENTS, 'dep', deployment('web', 2));
    const v1 = `web-${podTemplateHash(template('web', 'v1'))}`;
    await sizeOf(v1, 2);
    await setAvailable(v1, 2);
    const done = await until('the first rollout complete', async () => {
      const d = await getD('web');
      const p = d.status?.conditions?.find((c) => c.type === 'Progressing');
      return p?.reason === 'NewReplicaSetAvailable' ? d : undefined;
    });
    assert.equal(done.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    assert.equal(done.status?.availableReplicas, 2);
    assert.equal((await rsNamed(v1))?.metadata?.annotations?.['shoal.dev/rollout-complete'], 'true');

    await client.patch(DEPLOYMENTS, 'dep', 'web', 'merge', { spec: { template: template('web', 'v2') } });
    const v2 = `web-${podTemplateHash(template('web', 'v2'))}`;
    await sizeOf(v2, 1);
    assert.equal((await rsNamed(v1))?.spec?.replicas, 2, 'no old pod goes before a new one is available');
    await setAvailable(v2, 1);
    await sizeOf(v1, 1);
    await setAvailable(v1, 1);
    await sizeOf(v2, 2);
    await setAvailable(v2, 2);
    await sizeOf(v1, 0);
    await setAvailable(v1, 0);
    const rolled = await until('the second rollout complete', async () => {
      const d = await getD('web');
      const p = d.status?.conditions?.find((c) => c.type === 'Progressing');
      return p?.reason === 'NewReplicaSetAvailable' && d.status?.updatedReplicas === 2 ? d : undefined;
    });
    assert.equal(rolled.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    assert.ok(
      events.some((e) => e.message === `Scaled down replica set ${v1} from 1 to 0`),
      JSON.stringify(events),
    );
  });

  it('a hash collision bumps collisionCount and the ReplicaSet takes the next name', async () => {
    const hash = podTemplateHash(template('clash', 'v1'));
    // Someone else's ReplicaSet already has the name the Deployment's would get.
    await client.create(REPLICASETS, 'dep', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `clash-${hash}` },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'squatter' } },
        template: template('squatter', 'v1'),
      },
    });
    await client.create(DEPLOYMENTS, 'dep', deployment('clash', 1));
    const next = `clash-${podTemplateHash(template('clash', 'v1'), 1)}`;
    const rs = await sizeOf(next, 1);
    assert.equal(
      rs.spec?.template?.metadata?.labels?.['pod-template-hash'],
      podTemplateHash(template('clash', 'v1'), 1),
    );
    assert.equal((await getD('clash')).status?.collisionCount, 1);
    const squatter = await rsNamed(`clash-${hash}`);
    assert.equal(squatter?.metadata?.ownerReferences, undefined, 'the other ReplicaSet is left alone');
  });
});
