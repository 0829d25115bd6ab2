/**
 * etcd-specific behaviour of the etcd store, against a real throwaway etcd: key prefix isolation,
 * replay from etcd's history (no in-memory window), the single global watch surviving a broken
 * connection without losing or repeating events, compaction while disconnected, and errors.
 * The shared behaviour is in ../contract.ts (run by ../contract.test.ts); it also runs here once
 * with the recent-events window disabled, so every replay goes through an etcd watch.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { type EtcdServer, startEtcd } from '../../../test/support/etcd.js';
import { eventually } from '../../../test/support/eventually.js';
import { collectUntil, storeContract } from '../contract.js';
import { eventRevision, isStoreError, type Store, type WatchEvent } from '../store.js';
import { type EtcdStore, type EtcdStoreOptions, openEtcdStore } from './etcd-store.js';

let etcd: EtcdServer;
const opened = new Set<EtcdStore>();

before(async () => {
  etcd = await startEtcd();
});

after(async () => {
  for (const store of opened) await store.close();
  await etcd.stop();
});

async function open(options: Partial<EtcdStoreOptions> = {}): Promise<EtcdStore> {
  const store = await openEtcdStore({ endpoints: etcd.endpoints, ...options });
  opened.add(store);
  return store;
}

async function close(store: EtcdStore): Promise<void> {
  opened.delete(store);
  await store.close();
}

let counter = 0;
function freshPrefix(): string {
  counter += 1;
  return `/etcd-test/${process.pid}-${counter}/`;
}

function summary(events: WatchEvent[]): string[] {
  return events.map((e) => `${eventRevision(e)} ${e.type} ${e.type === 'put' ? e.kv.key : e.key}`);
}

function waitFor(what: string, condition: () => boolean | Promise<boolean>): Promise<true> {
  return eventually(what, async () => ((await condition()) ? true : undefined), {
    timeoutMs: 10_000,
    intervalMs: 20,
  });
}

/** A TCP proxy in front of etcd whose connections the test can cut and restore. */
async function startProxy(
  target: string,
): Promise<{ endpoint: string; cut(): void; restore(): void; close(): Promise<void> }> {
  const url = new URL(target);
  const sockets = new Set<Socket>();
  let up = true;
  const server: Server = createServer((client) => {
    if (!up) {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    upstream.connect(Number(url.port), url.hostname);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    cut() {
      up = false;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      up = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

storeContract({
  name: 'etcd, replaying only from etcd history',
  async open() {
    return open({ prefix: '/no-window', recentEvents: 0 });
  },
  async restart(store: Store) {
    await close(store as EtcdStore);
    return open({ prefix: '/no-window', recentEvents: 0 });
  },
});

describe('etcd store', () => {
  it('keeps stores with different key prefixes apart, on shared revisions', async () => {
    const a = await open({ prefix: 'tenant-a' });
    const b = await open({ prefix: 'tenant-b' });
    const p = freshPrefix();
    const start = await a.currentRevision();
    const watchB = b.watch(p, start);

    const inA = await a.create(`${p}x`, 'from a');
    assert.equal(await b.get(`${p}x`), undefined);
    assert.equal((await b.list(p)).items.length, 0);
    assert.equal(await b.count(''), 0);
    const inB = await b.create(`${p}x`, 'from b');
    assert.ok(inB.modRevision > inA.modRevision, 'both stores use etcd’s one revision');
    assert.equal((await a.get(`${p}x`))?.value, 'from a');
    assert.deepEqual(
      (await a.list('')).items.map((kv) => kv.key),
      [`${p}x`],
    );

    // The etcd keys are the prefix followed by the store key.
    const raw = new Etcd3({ hosts: etcd.endpoints });
    try {
      assert.equal(await raw.get(`tenant-a${p}x`).string(), 'from a');
      assert.equal(await raw.get(`tenant-b${p}x`).string(), 'from b');
    } finally {
      raw.close();
    }

    const events = await collectUntil(watchB, inB.modRevision);
    assert.deepEqual(summary(events), [`${inB.modRevision} put ${p}x`]);
  });

  it('replays from etcd for a store opened after the writes, past etcd’s 1000-revision batches', async () => {
    const writer = await open({ prefix: 'replay' });
    const p = freshPrefix();
    const start = await writer.currentRevision();
    const keys = Array.from({ length: 1500 }, (_, i) => `${p}${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 100) {
      await Promise.all(keys.slice(i, i + 100).map((k) => writer.create(k, 'v')));
    }
    const last = await writer.currentRevision();
    const reader = await open({ prefix: 'replay' });
    const events = await collectUntil(reader.watch(p, start), last);
    assert.equal(events.length, 1500);
    for (let i = 1; i < events.length; i++)
      assert.ok(eventRevision(events[i]!) > eventRevision(events[i - 1]!));
    assert.equal(eventRevision(events[events.length - 1]!), last);
  });

  it('replays catch-up responses larger than gRPC’s default 4 MiB message limit', async () => {
    const writer = await open({ prefix: 'big' });
    const p = freshPrefix();
    const start = await writer.currentRevision();
    const big = 'x'.repeat(1024 * 1024);
    let last = 0;
    for (let i = 0; i < 6; i++) last = (await writer.create(`${p}${i}`, big)).modRevision;
    const reader = await open({ prefix: 'big' });
    const events = await collectUntil(reader.watch(p, start), last);
    assert.equal(events.length, 6);
    assert.ok(events.every((e) => e.type === 'put' && e.kv.value.length === big.length));
  });

  it('rejects reads at a future revision as InvalidArgument', async () => {
    const store = await open({ prefix: 'future' });
    const current = await store.currentRevision();
    await assert.rejects(store.list('', { revision: current + 1000 }), (err: unknown) =>
      isStoreError(err, 'InvalidArgument'),
    );
  });

  it('ends a replay with nothing under the prefix at the next event there', async () => {
    const store = await open({ prefix: 'quiet', recentEvents: 0 });
    const p = freshPrefix();
    const elsewhere = await store.create(`${freshPrefix()}other`, 'x');
    const watch = store.watch(p, elsewhere.modRevision - 1);
    await new Promise((r) => setTimeout(r, 100));
    const mine = await store.create(`${p}mine`, 'y');
    assert.deepEqual(summary(await collectUntil(watch, mine.modRevision)), [
      `${mine.modRevision} put ${p}mine`,
    ]);
  });

  it('resumes the global watch after its connection breaks, losing and repeating nothing', async (t) => {
    const proxy = await startProxy(etcd.endpoints[0]!);
    t.after(() => proxy.close());
    const store = await open({ endpoints: [proxy.endpoint], prefix: 'reconnect' });
    const direct = await open({ prefix: 'reconnect' });
    const p = freshPrefix();
    const start = await store.currentRevision();
    const watch = store.watch(p, start);
    const before = await store.create(`${p}a`, '1');
    await waitFor('the first event', () => store.watchStatus().lastRevision >= before.modRevision);

    proxy.cut();
    // Writes while the store is cut off from etcd.
    const during = [];
    for (let i = 0; i < 5; i++) during.push(await direct.create(`${p}during-${i}`, String(i)));
    await assert.rejects(store.get(`${p}a`), (err: unknown) => {
      assert.ok(isStoreError(err, 'Unavailable'), String(err));
      assert.match(err.message, new RegExp(proxy.endpoint.replace(/[.:/]/g, '\\$&')));
      return true;
    });
    proxy.restore();
    const after = await direct.update(`${p}a`, '2', before.modRevision);

    const events = await collectUntil(watch, after.modRevision);
    assert.deepEqual(summary(events), [
      `${before.modRevision} put ${p}a`,
      ...during.map((kv) => `${kv.modRevision} put ${kv.key}`),
      `${after.modRevision} put ${p}a`,
    ]);
    const status = store.watchStatus();
    assert.ok(status.reconnects > 0, 'the global watch reconnected');
    assert.equal(status.resyncs, 0);
    assert.equal((await store.get(`${p}a`))?.value, '2');
  });

  it('ends every watcher with Expired when etcd compacted past the global watch while cut off', async (t) => {
    const proxy = await startProxy(etcd.endpoints[0]!);
    t.after(() => proxy.close());
    const store = await open({ endpoints: [proxy.endpoint], prefix: 'resync' });
    const direct = await open({ prefix: 'resync' });
    const p = freshPrefix();
    const watch = store.watch(p, await store.currentRevision());
    const first = await store.create(`${p}a`, '1');
    await waitFor('the first event', () => store.watchStatus().lastRevision >= first.modRevision);

    proxy.cut();
    await direct.create(`${p}b`, '1');
    const latest = await direct.create(`${p}c`, '1');
    await direct.compact(latest.modRevision);
    proxy.restore();

    const err = await collectUntil(watch, latest.modRevision).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isStoreError(err, 'Expired'), `expected Expired, got ${String(err)}`);
    assert.match(err.message, /compacted/);
    await waitFor('the resync', () => store.watchStatus().resyncs === 1 && store.watchStatus().connected);

    // Relist and watch again: everything works from there.
    const listed = await store.list(p);
    assert.deepEqual(
      listed.items.map((kv) => kv.key),
      [`${p}a`, `${p}b`, `${p}c`],
    );
    const again = store.watch(p, listed.revision);
    const next = await direct.create(`${p}d`, '1');
    assert.deepEqual(summary(await collectUntil(again, next.modRevision)), [`${next.modRevision} put ${p}d`]);
    assert.ok((await store.compactedRevision()) >= latest.modRevision);
  });

  it('finds a compaction made by another client', async () => {
    const store = await open({ prefix: 'compaction' });
    const other = await open({ prefix: 'compaction' });
    const p = freshPrefix();
    const kv = await store.create(`${p}a`, '1');
    await store.update(`${p}a`, '2', kv.modRevision);
    const target = await store.currentRevision();
    await store.create(`${p}b`, '1');
    await other.compact(target);
    assert.equal(await store.compactedRevision(), target);
    // Compacting to an older revision than etcd's is harmless.
    await store.compact(target - 1);
    await assert.rejects(store.compact((await store.currentRevision()) + 10), (err: unknown) =>
      isStoreError(err, 'InvalidArgument'),
    );
  });

  it('reports an unreachable etcd as Unavailable, naming the endpoints', async () => {
    const dead = 'http://127.0.0.1:1';
    await assert.rejects(openEtcdStore({ endpoints: [dead] }), (err: unknown) => {
      assert.ok(isStoreError(err, 'Unavailable'), String(err));
      assert.match(err.message, /127\.0\.0\.1:1\b/);
      return true;
    });
    await assert.rejects(openEtcdStore({ endpoints: [] }), (err: unknown) =>
      isStoreError(err, 'InvalidArgument'),
    );
  });

  it('works through a dead endpoint next to a live one', async () => {
    const store = await open({ endpoints: ['http://127.0.0.1:1', ...etcd.endpoints], prefix: 'failover' });
    const p = freshPrefix();
    const watch = store.watch(p, await store.currentRevision());
    let last = 0;
    for (let i = 0; i < 40; i++) {
      const kv = await store.create(`${p}${i}`, String(i));
      assert.equal((await store.get(kv.key))?.value, String(i));
      last = kv.modRevision;
    }
    assert.equal((await collectUntil(watch, last)).length, 40);
  });

  it('ends watchers and refuses calls with Closed once closed', async () => {
    const store = await open({ prefix: 'closing' });
    const p = freshPrefix();
    const watch = store.watch(p, await store.currentRevision());
    const ended = collectUntil(watch, Number.MAX_SAFE_INTEGER, 5_000).then(
      () => undefined,
      (e: unknown) => e,
    );
    await close(store);
    assert.ok(isStoreError(await ended, 'Closed'));
    await assert.rejects(store.get(`${p}a`), (err: unknown) => isStoreError(err, 'Closed'));
    await assert.rejects(store.create(`${p}a`, 'x'), (err: unknown) => isStoreError(err, 'Closed'));
    const late = store.watch(p, 0);
    await assert.rejects(collectUntil(late, 1, 1_000), (err: unknown) => isStoreError(err, 'Closed'));
  });
});
