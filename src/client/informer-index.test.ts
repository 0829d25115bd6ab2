/** The informer's secondary indexes: kept current through list, update (values moving) and delete. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../test/support/api-test-server.js';
import type { KubeObject } from '../api/object.js';
import { lookupResource } from '../api/resources.js';
import { Informer } from './informer.js';
import { loadKubeconfig } from './kubeconfig.js';
import { Client } from './rest.js';

const NS = lookupResource('', 'v1', 'namespaces')!;
const CM = lookupResource('', 'v1', 'configmaps')!;

const byTeam = (o: KubeObject) => (o.metadata.labels?.team ? [o.metadata.labels.team] : []);
const names = (objs: KubeObject[]) => objs.map((o) => o.metadata.name).sort();

describe('informer index', () => {
  let srv: TestServer;
  let client: Client;

  before(async () => {
    srv = await startTestServer();
    client = Client.fromKubeconfig(loadKubeconfig({ path: srv.kubeconfig() }));
    await client.create(NS, undefined, { metadata: { name: 'ix' } });
  });

  after(async () => {
    client.close();
    await srv.close();
  });

  it('files objects under their values as they are listed, move and go', async () => {
    await client.create(CM, 'ix', { metadata: { name: 'a', labels: { team: 'red' } } });
    await client.create(CM, 'ix', { metadata: { name: 'b', labels: { team: 'blue' } } });
    const inf = new Informer(client, CM, { namespace: 'ix' });
    const ac = new AbortController();
    const running = inf.run(ac.signal);
    const settle = async (check: () => boolean) => {
      const deadline = Date.now() + 5000;
      while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    };
    try {
      assert.equal(await inf.waitForSync(), true);
      inf.addIndex('team', byTeam);
      inf.addIndex('team', () => ['ignored']); // the first definition stays
      assert.deepEqual(names(inf.byIndex('team', 'red')), ['a']);
      await client.create(CM, 'ix', { metadata: { name: 'c', labels: { team: 'red' } } });
      await client.patch(CM, 'ix', 'a', 'merge', { metadata: { labels: { team: 'blue' } } });
      await settle(() => inf.byIndex('team', 'blue').length === 2 && inf.byIndex('team', 'red').length === 1);
      assert.deepEqual(names(inf.byIndex('team', 'blue')), ['a', 'b']);
      assert.deepEqual(names(inf.byIndex('team', 'red')), ['c']);
      await client.delete(CM, 'ix', 'b');
      await settle(() => inf.byIndex('team', 'blue').length === 1);
      assert.deepEqual(names(inf.byIndex('team', 'blue')), ['a']);
      assert.deepEqual(inf.byIndex('team', 'green'), []);
      assert.throws(() => inf.byIndex('nope', 'x'), /has no index nope/);
    } finally {
      ac.abort();
      await running;
    }
  });
});
