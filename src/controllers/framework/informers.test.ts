/** Shared informers: one cache per kind, whole objects unless every reader wants only metadata. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../../test/support/api-test-server.js';
import { lookupKind } from '../../api/resources.js';
import { loadKubeconfig } from '../../client/kubeconfig.js';
import { Client } from '../../client/rest.js';
import { SharedInformers } from './informers.js';

const CM = lookupKind('v1', 'ConfigMap')!;
const SECRETS = lookupKind('v1', 'Secret')!;
const NAMESPACES = lookupKind('v1', 'Namespace')!;

describe('SharedInformers', () => {
  let srv: TestServer;
  let client: Client;

  before(async () => {
    srv = await startTestServer();
    client = Client.fromKubeconfig(loadKubeconfig({ path: srv.kubeconfig() }));
    await client.create(NAMESPACES, undefined, { metadata: { name: 'default' } });
    await client.create(CM, 'default', { metadata: { name: 'c', ownerReferences: [] }, data: { k: 'v' } });
    await client.create(SECRETS, 'default', { metadata: { name: 's' }, stringData: { k: 'v' } });
  });
  after(async () => {
    client.close();
    await srv.close();
  });

  it('shares one informer per kind and keeps whole objects when any reader wants them', async () => {
    const informers = new SharedInformers(client);
    const cmMeta = informers.for(CM, { metadataOnly: true });
    const cmWhole = informers.for(CM);
    assert.equal(cmMeta, cmWhole);
    const secrets = informers.for(SECRETS, { metadataOnly: true });
    const ac = new AbortController();
    const running = informers.run(ac.signal);
    try {
      assert.equal(await informers.waitForSync(ac.signal), true);
      assert.deepEqual((cmWhole.get('c', 'default') as { data?: unknown }).data, { k: 'v' });
      const secret = secrets.get('s', 'default')!;
      assert.equal(secret.metadata.name, 's');
      assert.equal((secret as { data?: unknown }).data, undefined, 'a metadata-only cache holds no data');
      assert.equal(secret.kind, 'Secret');
      assert.equal(secret.metadata.managedFields, undefined);
      assert.throws(() => informers.for(lookupKind('v1', 'Pod')!), /after the informers started/);
    } finally {
      ac.abort();
      await running;
    }
  });
});
