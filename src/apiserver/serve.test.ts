import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startRealApiServer } from '../../test/support/real-api-server.js';
import { lookupResource } from '../api/resources.js';
import { Client } from '../client/rest.js';
import { startApiServer } from './serve.js';

const INGRESS_CLASSES = lookupResource('networking.k8s.io', 'v1', 'ingressclasses')!;

describe('startApiServer bootstrap objects', () => {
  let root: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'shoal-serve-'));
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const start = () =>
    startApiServer({ dataDir: root, host: '127.0.0.1', port: 0, store: { kind: 'sqlite', dataDir: root } });

  it('creates the default shoal IngressClass once and leaves a user-edited one alone', async () => {
    const first = await start();
    const client = new Client({ ...first.loopback });
    try {
      const ic = await client.get(INGRESS_CLASSES, undefined, 'shoal');
      assert.deepEqual(ic.spec, { controller: 'shoal.dev/ingress' });
      assert.deepEqual(ic.metadata.annotations, { 'ingressclass.kubernetes.io/is-default-class': 'true' });
      // The user makes another class the default: a restart must not undo it.
      ic.metadata.annotations = { 'ingressclass.kubernetes.io/is-default-class': 'false' };
      await client.update(INGRESS_CLASSES, undefined, ic);
    } finally {
      client.close();
      await first.close();
    }

    const second = await start();
    const again = new Client({ ...second.loopback });
    try {
      const ic = await again.get(INGRESS_CLASSES, undefined, 'shoal');
      assert.equal(ic.metadata.annotations?.['ingressclass.kubernetes.io/is-default-class'], 'false');
    } finally {
      again.close();
      await second.close();
    }
  });
});

describe('startApiServer loopback socket', () => {
  it('serves plain HTTP on a Unix socket to the loopback token only, and is gone once closed', async () => {
    const server = await startRealApiServer('serve-loopback');
    const { socketPath, token } = server.loopback;
    const trusted = new Client({ server: 'http://localhost', socketPath, token });
    const stranger = new Client({ server: 'http://localhost', socketPath, token: 'not-the-token' });
    const anonymous = new Client({ server: 'http://localhost', socketPath });
    try {
      const ns = await trusted.get(lookupResource('', 'v1', 'namespaces')!, undefined, 'kube-system');
      assert.equal(ns.metadata.name, 'kube-system');
      assert.equal((await stranger.request('GET', '/api/v1/namespaces')).statusCode, 401);
      // No client certificate can be shown over a Unix socket, and anonymous requests are refused.
      assert.equal((await anonymous.request('GET', '/api/v1/namespaces')).statusCode, 401);
    } finally {
      trusted.close();
      stranger.close();
      anonymous.close();
      await server.close();
    }
    const after = new Client({ server: 'http://localhost', socketPath, token });
    await assert.rejects(after.request('GET', '/version'), /unable to connect/);
    after.close();
  });
});

describe('pod priority admission on the real server', () => {
  it('sees every PriorityClass write of this server on the next pod, though it keeps the classes', async () => {
    const server = await startRealApiServer('serve-priority');
    const client = new Client({ ...server.loopback });
    const classes = lookupResource('scheduling.k8s.io', 'v1', 'priorityclasses')!;
    const pods = lookupResource('', 'v1', 'pods')!;
    let n = 0;
    const podPriority = async () => {
      const pod = await client.create(pods, 'default', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `p${n++}` },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      });
      return (pod.spec as { priority?: number; priorityClassName?: string }) ?? {};
    };
    try {
      assert.equal((await podPriority()).priority, 0);
      const pc = await client.create(classes, undefined, {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name: 'everyone' },
        value: 7,
        globalDefault: true,
      });
      const spec = await podPriority();
      assert.deepEqual([spec.priority, spec.priorityClassName], [7, 'everyone']);
      await client.update(classes, undefined, { ...pc, globalDefault: false });
      assert.equal((await podPriority()).priority, 0);
      await client.patch(classes, undefined, 'everyone', 'merge', { globalDefault: true });
      assert.equal((await podPriority()).priority, 7);
      await client.delete(classes, undefined, 'everyone');
      assert.equal((await podPriority()).priority, 0);
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('status writes on the real server', () => {
  it('credit the status writer with status alone and leave the stored spec as it was', async () => {
    const server = await startRealApiServer('status-write');
    const client = new Client({ ...server.loopback });
    const DEPLOYMENTS = lookupResource('apps', 'v1', 'deployments')!;
    try {
      const created = await client.create(
        DEPLOYMENTS,
        'default',
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web' },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] },
            },
          },
        },
        { fieldManager: 'maker' },
      );
      const reported = await client.update(
        DEPLOYMENTS,
        'default',
        { ...created, spec: { replicas: 9 }, status: { replicas: 2, observedGeneration: 1 } },
        { subresource: 'status', fieldManager: 'reporter' },
      );
      type Entry = { manager: string; subresource?: string; fieldsV1: Record<string, unknown> };
      const entries = reported.metadata.managedFields as Entry[];
      const reporter = entries.find((e) => e.manager === 'reporter');
      assert.equal(reporter?.subresource, 'status');
      assert.deepEqual(Object.keys(reporter.fieldsV1), ['f:status']);
      assert.ok(entries.find((e) => e.manager === 'maker')?.fieldsV1['f:spec'], 'the spec stays the maker’s');
      const stored = await client.get(DEPLOYMENTS, 'default', 'web');
      assert.deepEqual(stored.spec, created.spec);
      assert.equal(stored.metadata.generation, 1);
      assert.deepEqual((stored.status as { replicas?: number }).replicas, 2);
    } finally {
      client.close();
      await server.close();
    }
  });
});
