import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { storeContract } from '../contract.js';
import { eventKey, eventRevision, type Store } from '../store.js';
import { openSqliteStore, type SqliteStore } from './sqlite-store.js';

const dirs: string[] = [];
const open: Store[] = [];
after(async () => {
  await Promise.all(open.map((s) => s.close().catch(() => undefined)));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

storeContract({
  name: 'sqlite',
  async open() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-store-'));
    dirs.push(dir);
    const store = await openSqliteStore({ dataDir: dir });
    open.push(store);
    return store;
  },
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
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-store-'));
    dirs.push(dir);
    const store = await openSqliteStore({ dataDir: dir, maxBatch: 7 });
    open.push(store);
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
