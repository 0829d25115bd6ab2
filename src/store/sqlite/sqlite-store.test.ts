import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { storeContract } from '../contract.js';
import { eventKey, eventRevision, type Store } from '../store.js';
import { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';

const dirs: string[] = [];
const open: Store[] = [];
after(async () => {
  await Promise.all(open.map((s) => s.close().catch(() => undefined)));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A store in a fresh directory, closed and removed after the tests. */
async function openFresh(options: Omit<SqliteStoreOptions, 'dataDir'> = {}): Promise<SqliteStore> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-store-'));
  dirs.push(dir);
  const store = await openSqliteStore({ ...options, dataDir: dir });
  open.push(store);
  return store;
}

storeContract({
  name: 'sqlite',
  open: () => openFresh(),
  async restart(store: Store) {
    const dir = path.dirname((store as SqliteStore).file);
    await store.close();
    const reopened = await openSqliteStore({ dataDir: dir });
    open.push(reopened);
    return reopened;
  },
});

describe('sqlite store: batches', () => {
  it('answers and publishes writes in revision order when they queue behind one another', async () => {
    const store = await openFresh({ maxBatch: 7 });
    const start = await store.currentRevision();
    const watch = store.watch('/batches/', start);
    // Waves started on separate turns without waiting: batches queue up behind one another.
    const writes: Promise<{ key: string; revision: number }>[] = [];
    for (let wave = 0; wave < 20; wave++) {
      await new Promise((r) => setImmediate(r));
      for (let i = 0; i < 25; i++) {
        const key = `/batches/${wave}-${i}`;
        writes.push(store.create(key, `v${wave}-${i}`).then((kv) => ({ key, revision: kv.modRevision })));
      }
    }
    const results = await Promise.all(writes);
    const seen: { key: string; revision: number }[] = [];
    for await (const batch of watch) {
      for (const e of batch) seen.push({ key: eventKey(e), revision: eventRevision(e) });
      if (seen.length >= results.length) break;
    }
    watch.close();
    assert.deepEqual(
      seen.map((s) => s.revision),
      results.map((_, i) => start + i + 1),
      'one revision per write, published in order',
    );
    assert.deepEqual(
      new Map(seen.map((s) => [s.key, s.revision])),
      new Map(results.map((r) => [r.key, r.revision])),
      'each write was answered with the revision its event carries',
    );
  });
});

describe('sqlite store: cached reads', () => {
  it('reads what an uncached store reads through creates, updates, deletes and evictions', async () => {
    // A cache that holds only a few values, so reads mix hits, misses and evicted keys.
    const cached = await openFresh({ cacheChars: 40 });
    const plain = await openFresh({ cacheChars: 0 });
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const outcome = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (err: Error) => err.message,
      );
    for (let step = 0; step < 400; step++) {
      const key = `/cache/k${random(12)}`;
      const value = `v${step}-${'x'.repeat(random(10))}`;
      const op = random(3);
      const [a, b] = await Promise.all(
        [cached, plain].map(async (store) => {
          const current = await store.get(key);
          if (op === 0) return outcome(store.create(key, value));
          if (op === 1 && current) return outcome(store.update(key, value, current.modRevision));
          return outcome(store.delete(key));
        }),
      );
      assert.equal(a, b, `step ${step}: the write had the same outcome`);
      const probe = `/cache/k${random(12)}`;
      assert.deepEqual(await cached.get(probe), await plain.get(probe), `step ${step}: get ${probe}`);
    }
  });

  it('does not serve a value after the key is deleted or replaced', async () => {
    const store = await openFresh({ cacheChars: 1024 });
    const first = await store.create('/cache/a', 'one');
    assert.equal((await store.get('/cache/a'))?.value, 'one');
    await store.update('/cache/a', 'two', first.modRevision);
    assert.equal((await store.get('/cache/a'))?.value, 'two');
    await store.txn([{ op: 'delete', key: '/cache/a' }]);
    assert.equal(await store.get('/cache/a'), undefined);
  });
});
