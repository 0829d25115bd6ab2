import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { startEtcd } from './etcd.js';

describe('startEtcd', () => {
  it('starts a healthy etcd on loopback and stop() ends it and removes its data', async (t) => {
    const etcd = await startEtcd();
    t.after(() => etcd.stop());

    assert.equal(etcd.endpoints.length, 1);
    const endpoint = etcd.endpoints[0]!;
    assert.match(endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(existsSync(etcd.dataDir), 'data dir exists while running');

    const res = await fetch(`${endpoint}/health`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { health: string }).health, 'true');

    await etcd.stop();
    await assert.rejects(fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(2_000) }));
    assert.ok(!existsSync(etcd.dataDir), 'data dir removed after stop()');
    await etcd.stop(); // a second stop is harmless
  });

  it('runs two servers side by side on different ports', async (t) => {
    const [a, b] = await Promise.all([startEtcd(), startEtcd()]);
    t.after(() => Promise.all([a.stop(), b.stop()]));
    assert.notEqual(a.endpoints[0], b.endpoints[0]);
    assert.notEqual(a.dataDir, b.dataDir);
  });

  it('kill() ends the server at once and stop() still cleans up', async () => {
    const etcd = await startEtcd();
    etcd.kill();
    await etcd.stop();
    await assert.rejects(fetch(`${etcd.endpoints[0]}/health`, { signal: AbortSignal.timeout(2_000) }));
    assert.ok(!existsSync(etcd.dataDir));
  });

  it('accepts a 1.5 MiB value with the default request limit', async (t) => {
    const etcd = await startEtcd();
    t.after(() => etcd.stop());
    // etcd's v3 JSON gateway: keys and values are base64.
    const key = Buffer.from('/big').toString('base64');
    const value = Buffer.alloc(1.5 * 1024 * 1024, 'x').toString('base64');
    const res = await fetch(`${etcd.endpoints[0]}/v3/kv/put`, {
      method: 'POST',
      body: JSON.stringify({ key, value }),
    });
    assert.equal(res.status, 200, await res.clone().text());
  });
});
