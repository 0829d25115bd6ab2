/** The informer's `transform` option: objects are cached and handed out as it returns them. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../test/support/api-test-server.js';
import type { KubeObject } from '../api/object.js';
import { lookupResource } from '../api/resources.js';
import { Informer, withoutManagedFields } from './informer.js';
import { loadKubeconfig } from './kubeconfig.js';
import { Client } from './rest.js';

const NS = lookupResource('', 'v1', 'namespaces')!;
const CM = lookupResource('', 'v1', 'configmaps')!;

describe('informer transform', () => {
  let srv: TestServer;
  let client: Client;

  before(async () => {
    srv = await startTestServer();
    client = Client.fromKubeconfig(loadKubeconfig({ path: srv.kubeconfig() }));
    await client.create(NS, undefined, { metadata: { name: 'tr' } });
  });

  after(async () => {
    client.close();
    await srv.close();
  });

  it('applies to listed and watched objects, before they are cached and frozen', async () => {
    await client.create(CM, 'tr', {
      metadata: { name: 'listed' },
      data: { big: 'x'.repeat(100), keep: '1' },
    });
    const strip = (o: KubeObject) => {
      const { big: _, ...data } = (o as { data?: Record<string, string> }).data ?? {};
      return { ...o, data } as KubeObject;
    };
    const inf = new Informer(client, CM, { namespace: 'tr', transform: strip });
    const seen: string[] = [];
    inf.onAdd((o) => seen.push(`${o.metadata.name} ${JSON.stringify((o as { data?: unknown }).data)}`));
    const ac = new AbortController();
    const running = inf.run(ac.signal);
    try {
      assert.equal(await inf.waitForSync(), true);
      await client.create(CM, 'tr', { metadata: { name: 'watched' }, data: { big: 'y', keep: '2' } });
      const deadline = Date.now() + 5000;
      while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(seen, ['listed {"keep":"1"}', 'watched {"keep":"2"}']);
      assert.ok(Object.isFrozen(inf.get('watched', 'tr')));
    } finally {
      ac.abort();
      await running;
    }
  });
});

describe('withoutManagedFields', () => {
  it('drops managedFields and keeps the rest', () => {
    const pod = {
      metadata: { name: 'p', uid: 'u', managedFields: [{ manager: 'kubectl' }] },
      spec: { nodeName: 'n' },
    };
    assert.deepEqual(withoutManagedFields(pod), {
      metadata: { name: 'p', uid: 'u' },
      spec: { nodeName: 'n' },
    });
    const plain: { metadata: { name: string; managedFields?: unknown } } = { metadata: { name: 'q' } };
    assert.equal(withoutManagedFields(plain), plain);
  });
});
