/**
 * The store contract: one suite of behaviours every backend must show. contract.test.ts runs it
 * against SQLite and against a real etcd; a new backend earns its place by passing it unchanged.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  eventRevision,
  isStoreError,
  type KeyValue,
  MAX_VALUE_BYTES,
  type Store,
  type StoreError,
  type Watch,
  type WatchEvent,
} from './store.js';

export interface ContractBackend {
  name: string;
  /** A store; tests use disjoint key prefixes, so it may be shared with earlier tests. */
  open(): Promise<Store>;
  /** Close `store` and open the same data again, as after a process restart. */
  restart(store: Store): Promise<Store>;
}

let prefixCounter = 0;
function freshPrefix(): string {
  prefixCounter += 1;
  return `/contract/${process.pid}-${Date.now().toString(36)}-${prefixCounter}/`;
}

/** Read events from `watch` until one at or past `untilRevision`, or fail after `timeoutMs`. */
export async function collectUntil(
  watch: Watch,
  untilRevision: number,
  timeoutMs = 10_000,
): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  const timer = setTimeout(() => watch.close(), timeoutMs);
  try {
    for await (const batch of watch) {
      events.push(...batch);
      if (events.length > 0 && eventRevision(events[events.length - 1]!) >= untilRevision) break;
    }
  } finally {
    clearTimeout(timer);
    watch.close();
  }
  const last = events[events.length - 1];
  if (untilRevision > 0 && (!last || eventRevision(last) < untilRevision)) {
    assert.fail(
      `watch ended before revision ${untilRevision}; last seen ${last ? eventRevision(last) : 'none'}`,
    );
  }
  return events;
}

async function expectStoreError(promise: Promise<unknown>, code: StoreError['code']): Promise<StoreError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isStoreError(err), `expected StoreError(${code}), got ${String(err)}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    return err;
  }
  assert.fail(`expected StoreError(${code}), but the call succeeded`);
}

function valueOfKv(kv: KeyValue | undefined): string | undefined {
  return kv?.value;
}

export function storeContract(backend: ContractBackend): void {
  describe(`store contract: ${backend.name}`, () => {
    it('creates, reads, updates and deletes with per-key revisions', async () => {
      const store = await backend.open();
      const p = freshPrefix();
      const before = await store.currentRevision();
      const created = await store.create(`${p}a`, 'one');
      assert.ok(created.modRevision > before);
      assert.equal(created.createRevision, created.modRevision);
      assert.deepEqual(await store.get(`${p}a`), created);

      const updated = await store.update(`${p}a`, 'two', created.modRevision);
      assert.ok(updated.modRevision > created.modRevision);
      assert.equal(updated.createRevision, created.createRevision);
      assert.equal(valueOfKv(await store.get(`${p}a`)), 'two');
      assert.equal(await store.currentRevision(), updated.modRevision);

      const deleted = await store.delete(`${p}a`, updated.modRevision);
      assert.equal(deleted.value, 'two');
      assert.equal(await store.get(`${p}a`), undefined);
      assert.ok((await store.currentRevision()) > updated.modRevision);

      // A key created again starts a new incarnation.
      const again = await store.create(`${p}a`, 'three');
      assert.equal(again.createRevision, again.modRevision);
      assert.ok(again.createRevision > updated.modRevision);
    });

    it('turns every stale or impossible write into a precise error and writes nothing', async () => {
      const store = await backend.open();
      const p = freshPrefix();
      const kv = await store.create(`${p}k`, 'v1');
      const v2 = await store.update(`${p}k`, 'v2', kv.modRevision);
      const rev = await store.currentRevision();

      await expectStoreError(store.create(`${p}k`, 'again'), 'AlreadyExists');
      const stale = await expectStoreError(store.update(`${p}k`, 'stale', kv.modRevision), 'Conflict');
      assert.match(stale.message, /modified/);
      await expectStoreError(store.update(`${p}missing`, 'x', 1), 'NotFound');
      await expectStoreError(store.delete(`${p}k`, kv.modRevision), 'Conflict');
      await expectStoreError(store.delete(`${p}missing`), 'NotFound');

      assert.equal(await store.currentRevision(), rev, 'failed writes must not take a revision');
      assert.deepEqual(await store.get(`${p}k`), v2);
    });

    it('applies a multi-key transaction whole or not at all, at one revision', async () => {
      const store = await backend.open();
      const p = freshPrefix();
      const a = await store.create(`${p}a`, 'a1');
      const result = await store.txn([
        { op: 'update', key: `${p}a`, value: 'a2', modRevision: a.modRevision },
        { op: 'create', key: `${p}b`, value: 'b1' },
        { op: 'check', key: `${p}c`, modRevision: 0 },
      ]);
      assert.equal(result.results[0]?.modRevision, result.revision);
      assert.equal(result.results[1]?.modRevision, result.revision);
      assert.equal(result.results[2], undefined);

      const rev = await store.currentRevision();
      await expectStoreError(
        store.txn([
          { op: 'create', key: `${p}d`, value: 'd1' },
          { op: 'delete', key: `${p}b` },
          { op: 'update', key: `${p}a`, value: 'stale', modRevision: a.modRevision },
        ]),
        'Conflict',
      );
      assert.equal(await store.currentRevision(), rev);
      assert.equal(await store.get(`${p}d`), undefined, 'no op of a failed transaction may be applied');
      assert.equal(valueOfKv(await store.get(`${p}b`)), 'b1');
      assert.equal(valueOfKv(await store.get(`${p}a`)), 'a2');

      await expectStoreError(
        store.txn([
          { op: 'create', key: `${p}x`, value: '1' },
          { op: 'create', key: `${p}x`, value: '2' },
        ]),
        'InvalidArgument',
      );
    });

    it('keeps 50 concurrent read-modify-write clients on one key exact', async () => {
      const store = await backend.open();
      const key = `${freshPrefix()}counter`;
      await store.create(key, '0');
      let successes = 0;
      let conflicts = 0;
      const client = async () => {
        for (let attempt = 0; attempt < 12; attempt++) {
          const kv = await store.get(key);
          assert.ok(kv);
          try {
            await store.update(key, String(Number(kv.value) + 1), kv.modRevision);
            successes += 1;
          } catch (err) {
            if (!isStoreError(err, 'Conflict')) throw err;
            conflicts += 1;
          }
        }
      };
      await Promise.all(Array.from({ length: 50 }, client));
      assert.equal(successes + conflicts, 600);
      assert.ok(successes > 0);
      assert.equal(Number((await store.get(key))?.value), successes);
    });

    it('lists by prefix in key order, in pages pinned to one revision', async () => {
      const store = await backend.open();
      const p = freshPrefix();
      for (let i = 0; i < 25; i++) await store.create(`${p}${String(i).padStart(3, '0')}`, `v${i}`);
      await store.create(`${p.slice(0, -1)}x/outside`, 'not listed');

      const all = await store.list(p);
      assert.equal(all.items.length, 25);
      assert.equal(all.continue, undefined);
      assert.deepEqual(
        all.items.map((kv) => kv.key),
        [...all.items.map((kv) => kv.key)].sort(),
      );
      assert.equal(await store.count(p), 25);

      const first = await store.list(p, { limit: 10 });
      assert.equal(first.items.length, 10);
      assert.ok(first.continue);
      // Changes after the first page must not show in later pages.
      await store.delete(`${p}015`);
      await store.create(`${p}0125`, 'new');
      const second = await store.list(p, { limit: 10, continue: first.continue });
      assert.equal(second.revision, first.revision);
      const third = await store.list(p, { limit: 10, continue: second.continue });
      assert.equal(third.continue, undefined);
      const keys = [...first.items, ...second.items, ...third.items].map((kv) => kv.key);
      assert.deepEqual(
        keys,
        all.items.map((kv) => kv.key),
      );

      await expectStoreError(store.list(p, { continue: 'not-a-token' }), 'InvalidArgument');
      await expectStoreError(store.list(`${p}other/`, { continue: first.continue }), 'InvalidArgument');
    });

    it('reads the state as of an older revision', async () => {
      const store = await backend.open();
      const p = freshPrefix();
      const a0 = await store.create(`${p}a`, 'a0');
      const a = await store.update(`${p}a`, 'a1', a0.modRevision);
      await store.create(`${p}b`, 'b1');
      const gone = await store.create(`${p}gone`, 'g');
      await store.delete(`${p}gone`, gone.modRevision);
      const rev = await store.currentRevision();
      await store.update(`${p}a`, 'a2', a.modRevision);
      await store.delete(`${p}b`);
      await store.create(`${p}c`, 'c1');

      const then = await store.list(p, { revision: rev });
      assert.equal(then.revision, rev);
      assert.deepEqual(
        then.items.map((kv) => [kv.key, kv.value]),
        [
          [`${p}a`, 'a1'],
          [`${p}b`, 'b1'],
        ],
      );
      const now = await store.list(p);
      assert.deepEqual(
        now.items.map((kv) => [kv.key, kv.value]),
        [
          [`${p}a`, 'a2'],
          [`${p}c`, 'c1'],
        ],
      );
    });

    it('list then watch from the list revision misses nothing under concurrent writes', async () => {
      const store = await backend.open();
      const p = freshPrefix();
      const keys = Array.from({ length: 20 }, (_, i) => `${p}${i}`);
      let stop = false;
      let lastWrite = 0;
      const writer = async (key: string) => {
        let kv: KeyValue | undefined;
        let n = 0;
        while (!stop && n < 200) {
          n += 1;
          if (kv && n % 7 === 0) {
            const { revision } = await store.txn([{ op: 'delete', key, modRevision: kv.modRevision }]);
            lastWrite = Math.max(lastWrite, revision);
            kv = undefined;
          } else {
            kv = kv ? await store.update(key, `v${n}`, kv.modRevision) : await store.create(key, `v${n}`);
            lastWrite = Math.max(lastWrite, kv.modRevision);
          }
        }
      };
      const writing = Promise.all(keys.map(writer));
      await new Promise((r) => setTimeout(r, 20));
      const listed = await store.list(p, { limit: 7 });
      let page = listed;
      const state = new Map(page.items.map((kv) => [kv.key, kv.value]));
      while (page.continue) {
        page = await store.list(p, { limit: 7, continue: page.continue });
        for (const kv of page.items) state.set(kv.key, kv.value);
      }
      const watch = store.watch(p, listed.revision);
      await new Promise((r) => setTimeout(r, 30));
      stop = true;
      await writing;
      const finalList = await store.list(p);
      const events = lastWrite > listed.revision ? await collectUntil(watch, lastWrite) : [];
      watch.close();
      let prevRev = listed.revision;
      for (const e of events) {
        assert.ok(eventRevision(e) >= prevRev, 'events must arrive in revision order');
        assert.ok(eventRevision(e) > listed.revision, 'no event at or before the listed revision');
        prevRev = eventRevision(e);
        if (e.type === 'put') state.set(e.kv.key, e.kv.value);
        else state.delete(e.key);
      }
      assert.deepEqual(
        [...state.entries()].sort(),
        finalList.items.map((kv) => [kv.key, kv.value]),
      );
    });

    it('resumes from any retained revision with exactly the missing events', async () => {
      const store = await backend.open();
      const p = freshPrefix();
      const written: { rev: number; key: string; type: 'put' | 'delete' }[] = [];
      const kvs = new Map<string, KeyValue>();
      for (let i = 0; i < 60; i++) {
        const key = `${p}${i % 6}`;
        const current = kvs.get(key);
        if (current && i % 5 === 0) {
          const { revision, results } = await store.txn([
            { op: 'delete', key, modRevision: current.modRevision },
          ]);
          assert.equal(results[0]?.key, key);
          kvs.delete(key);
          written.push({ rev: revision, key, type: 'delete' });
        } else {
          const kv = current
            ? await store.update(key, `v${i}`, current.modRevision)
            : await store.create(key, `v${i}`);
          kvs.set(key, kv);
          written.push({ rev: kv.modRevision, key, type: 'put' });
        }
      }
      const last = written[written.length - 1]!.rev;
      for (const start of [written[0]!.rev - 1, written[10]!.rev, written[33]!.rev, last - 1]) {
        const events = await collectUntil(store.watch(p, start), last);
        assert.deepEqual(
          events.map((e) => ({
            rev: eventRevision(e),
            key: e.type === 'put' ? e.kv.key : e.key,
            type: e.type,
          })),
          written.filter((w) => w.rev > start),
          `resume after ${start}`,
        );
      }
      // Resuming at the newest revision replays nothing and streams what comes next.
      const upToDate = store.watch(p, last);
      const next = await store.create(`${p}next`, 'n');
      const tail = await collectUntil(upToDate, next.modRevision);
      assert.deepEqual(
        tail.map((e) => eventRevision(e)),
        [next.modRevision],
      );
      // Delete events carry the state that was removed.
      const deletes = await collectUntil(store.watch(p, written[0]!.rev - 1), last);
      for (const e of deletes) {
        if (e.type === 'delete') {
          assert.equal(e.prev.key, e.key);
          assert.ok(e.prev.modRevision < e.revision);
        }
      }
    });

    it('streams live events to many watchers, filtered by prefix', async () => {
      const store = await backend.open();
      const p = freshPrefix();
      const rev = await store.currentRevision();
      const watchers = Array.from({ length: 20 }, (_, i) =>
        store.watch(i % 2 ? `${p}odd/` : `${p}even/`, rev),
      );
      const a = await store.create(`${p}odd/1`, 'x');
      const b = await store.create(`${p}even/1`, 'y');
      const c = await store.update(`${p}odd/1`, 'x2', a.modRevision);
      const results = await Promise.all(
        watchers.map((w, i) => collectUntil(w, i % 2 ? c.modRevision : b.modRevision)),
      );
      for (const [i, events] of results.entries()) {
        if (i % 2) {
          assert.deepEqual(
            events.map((e) => (e.type === 'put' ? [e.kv.key, e.kv.value, e.prev?.value] : [])),
            [
              [`${p}odd/1`, 'x', undefined],
              [`${p}odd/1`, 'x2', 'x'],
            ],
          );
        } else {
          assert.deepEqual(
            events.map((e) => (e.type === 'put' ? e.kv.key : '')),
            [`${p}even/1`],
          );
        }
      }
    });

    it('ends a watcher that cannot keep up with an error instead of skipping events', async () => {
      const store = await backend.open();
      const p = freshPrefix();
      const watch = store.watch(p, await store.currentRevision(), { maxPending: 5 });
      for (let i = 0; i < 20; i++) await store.create(`${p}${i}`, 'v');
      await new Promise((r) => setTimeout(r, 300));
      const err = await (async () => {
        try {
          for await (const _ of watch) {
            // A consumer that only starts reading now is far behind.
          }
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      assert.ok(isStoreError(err, 'WatcherTooSlow'), `expected WatcherTooSlow, got ${String(err)}`);
    });

    it('compacts history: older revisions are Expired, newer ones still readable and watchable', async () => {
      const store = await backend.open();
      const p = freshPrefix();
      const a = await store.create(`${p}a`, 'a1');
      const b = await store.create(`${p}b`, 'b1');
      await store.delete(`${p}b`, b.modRevision);
      const a2 = await store.update(`${p}a`, 'a2', a.modRevision);
      const compactAt = a2.modRevision;
      const after = await store.update(`${p}a`, 'a3', a2.modRevision);
      await store.compact(compactAt);
      assert.ok((await store.compactedRevision()) >= compactAt);

      const err = await expectStoreError(store.list(p, { revision: a.modRevision }), 'Expired');
      assert.match(err.message, /compact/i);
      const watchErr = await collectUntil(store.watch(p, a.modRevision), after.modRevision, 5_000).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(isStoreError(watchErr, 'Expired'), `expected Expired, got ${String(watchErr)}`);

      const atCompaction = await store.list(p, { revision: compactAt });
      assert.deepEqual(
        atCompaction.items.map((kv) => [kv.key, kv.value]),
        [[`${p}a`, 'a2']],
      );
      const events = await collectUntil(store.watch(p, compactAt), after.modRevision);
      assert.deepEqual(
        events.map((e) => eventRevision(e)),
        [after.modRevision],
      );
      // Compacting again to an older revision is harmless.
      await store.compact(a.modRevision);
      assert.deepEqual(await store.get(`${p}a`), after);
    });

    it('never moves the revision backwards across restart and compaction', async () => {
      let store = await backend.open();
      const p = freshPrefix();
      const kv = await store.create(`${p}a`, '1');
      await store.delete(`${p}a`, kv.modRevision);
      const rev = await store.currentRevision();
      await store.compact(rev);
      store = await backend.restart(store);
      assert.ok((await store.currentRevision()) >= rev);
      const next = await store.create(`${p}b`, '2');
      assert.ok(next.modRevision > rev);
      store = await backend.restart(store);
      assert.ok((await store.currentRevision()) >= next.modRevision);
      assert.equal(valueOfKv(await store.get(`${p}b`)), '2');
      assert.equal(await store.get(`${p}a`), undefined);
    });

    it('accepts values up to 1.5 MiB and rejects larger ones clearly', async () => {
      const store = await backend.open();
      const p = freshPrefix();
      const big = 'x'.repeat(MAX_VALUE_BYTES);
      const kv = await store.create(`${p}big`, big);
      assert.equal((await store.get(`${p}big`))?.value.length, MAX_VALUE_BYTES);
      const err = await expectStoreError(store.create(`${p}huge`, `${big}y`), 'TooLarge');
      assert.match(err.message, /1\.5 MiB/);
      // Multi-byte characters count as bytes, not characters.
      await expectStoreError(
        store.update(`${p}big`, 'é'.repeat(MAX_VALUE_BYTES / 2 + 1), kv.modRevision),
        'TooLarge',
      );
      assert.equal(await store.get(`${p}huge`), undefined);
    });
  });
}
