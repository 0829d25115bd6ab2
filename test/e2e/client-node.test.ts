/**
 * The official JavaScript client (@kubernetes/client-node) against a real `shoal server`: typed
 * CRUD, and an informer (list + watch) that sees every change.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { type ShoalServer, startShoalServer } from '../support/shoal-server.js';

let shoal: ShoalServer;
let kc: k8s.KubeConfig;

before(async () => {
  shoal = await startShoalServer();
  kc = new k8s.KubeConfig();
  kc.loadFromFile(shoal.kubeconfig);
});

after(async () => {
  await shoal?.stop();
});

describe('@kubernetes/client-node against shoal server', { timeout: 120_000 }, () => {
  it('creates, reads, lists, replaces, patches and deletes', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: 'client' } } });
    const cm = await core.createNamespacedConfigMap({
      namespace: 'client',
      body: { metadata: { name: 'settings', labels: { app: 'demo' } }, data: { color: 'blue' } },
    });
    assert.ok(cm.metadata?.uid);
    const read = await core.readNamespacedConfigMap({ name: 'settings', namespace: 'client' });
    assert.equal(read.data?.color, 'blue');
    const list = await core.listNamespacedConfigMap({ namespace: 'client', labelSelector: 'app=demo' });
    assert.deepEqual(
      list.items.map((i) => i.metadata?.name),
      ['settings'],
    );
    read.data = { color: 'green' };
    const replaced = await core.replaceNamespacedConfigMap({
      name: 'settings',
      namespace: 'client',
      body: read,
    });
    assert.equal(replaced.data?.color, 'green');
    // The version we replaced is now stale.
    await assert.rejects(
      core.replaceNamespacedConfigMap({ name: 'settings', namespace: 'client', body: read }),
      (err: { code?: number }) => err.code === 409,
    );

    const dep = await apps.createNamespacedDeployment({
      namespace: 'client',
      body: {
        metadata: { name: 'api' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'api' } },
          template: {
            metadata: { labels: { app: 'api' } },
            spec: { containers: [{ name: 'api', image: 'api:1' }] },
          },
        },
      },
    });
    assert.equal(dep.spec?.strategy?.type, 'RollingUpdate', 'defaults are filled');
    const patched = await apps.patchNamespacedDeployment(
      { name: 'api', namespace: 'client', body: [{ op: 'replace', path: '/spec/replicas', value: 3 }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    assert.equal(patched.spec?.replicas, 3);
    const scale = await apps.readNamespacedDeploymentScale({ name: 'api', namespace: 'client' });
    assert.equal(scale.spec?.replicas, 3);

    await core.deleteNamespacedConfigMap({ name: 'settings', namespace: 'client' });
    await assert.rejects(
      core.readNamespacedConfigMap({ name: 'settings', namespace: 'client' }),
      (err: { code?: number }) => err.code === 404,
    );
  });

  it('runs an informer that sees every add, update and delete', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'informed' } } });
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/informed/configmaps', () =>
      core.listNamespacedConfigMap({ namespace: 'informed' }),
    );
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name} ${o.data?.v}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    await core.createNamespacedConfigMap({
      namespace: 'informed',
      body: { metadata: { name: 'before' }, data: { v: '0' } },
    });
    await informer.start();
    for (let i = 0; i < 5; i++) {
      await core.createNamespacedConfigMap({
        namespace: 'informed',
        body: { metadata: { name: `cm${i}` }, data: { v: '1' } },
      });
    }
    for (let i = 0; i < 5; i++) {
      await core.patchNamespacedConfigMap(
        { name: `cm${i}`, namespace: 'informed', body: { data: { v: '2' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    }
    await core.deleteNamespacedConfigMap({ name: 'cm0', namespace: 'informed' });
    const expected = [
      'add before',
      ...[0, 1, 2, 3, 4].map((i) => `add cm${i}`),
      ...[0, 1, 2, 3, 4].map((i) => `update cm${i} 2`),
      'delete cm0',
    ];
    const deadline = Date.now() + 15_000;
    while (seen.length < expected.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await informer.stop();
    assert.deepEqual(seen, expected);
    assert.deepEqual(
      (informer as unknown as k8s.ObjectCache<k8s.V1ConfigMap>)
        .list()
        .map((o) => o.metadata?.name)
        .sort(),
      ['before', 'cm1', 'cm2', 'cm3', 'cm4'],
    );
  });
});
