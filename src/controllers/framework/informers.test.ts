/** Shared informers: one cache per kind, whole objects unless every reader wants only metadata. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lookupKind } from '../../api/resources.js';
import type { Client } from '../../client/rest.js';
import { SharedInformers } from './informers.js';
import { startFakeApi, type TestApi } from './testing.js';

const CM = lookupKind('v1', 'ConfigMap')!;
const SECRETS = lookupKind('v1', 'Secret')!;

describe('SharedInformers', () => {
  let api: TestApi;
  let client: Client;

  before(async () => {
    api = await startFakeApi(['default']);
    client = api.client;
    await client.create(CM, 'default', { metadata: { name: 'c', ownerReferences: [] }, data: { k: 'v' } });
    await client.create(SECRETS, 'default', { metadata: { name: 's' }, stringData: { k: 'v' } });
  });
  after(() => api.close());

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
