import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventRevision, isStoreError, StoreError, type WatchEvent } from './store.js';
import { type HistorySource, WatchHub } from './watch-hub.js';

function put(key: string, rev: number): WatchEvent {
  return { type: 'put', kv: { key, value: `v${rev}`, createRevision: rev, modRevision: rev } };
}

/** A history that serves `events` and lets the test decide when each replay batch is released. */
function fakeHistory(events: WatchEvent[], options: { compacted?: number; overrun?: boolean } = {}) {
  const gates: (() => void)[] = [];
  const source: HistorySource = {
    async checkRetained(after) {
      if (after < (options.compacted ?? 0)) throw new StoreError('Expired', `revision ${after} compacted`);
    },
    async *replay(prefix, after, upTo) {
      const wanted = events.filter(
        (e) =>
          eventRevision(e) > after &&
          (options.overrun || eventRevision(e) <= upTo) &&
          e.type === 'put' &&
          e.kv.key.startsWith(prefix),
      );
      for (const e of wanted) {
        await new Promise<void>((r) => gates.push(r));
        yield [e];
      }
    },
  };
  const releaseAll = async () => {
    for (let i = 0; i < 100; i++) {
      while (gates.length) gates.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { source, releaseAll };
}

async function take(watch: AsyncIterable<WatchEvent[]>, n: number): Promise<number[]> {
  const revs: number[] = [];
  for await (const batch of watch) {
    revs.push(...batch.map(eventRevision));
    if (revs.length >= n) break;
  }
  return revs;
}

describe('WatchHub', () => {
  it('replays history, buffers live events meanwhile, and delivers each revision once', async () => {
    const history = [put('/a/1', 2), put('/a/2', 3), put('/a/3', 4)];
    // The source runs past the hub's revision and repeats what the hub publishes live.
    const { source, releaseAll } = fakeHistory([...history, put('/a/4', 5)], { overrun: true });
    const hub = new WatchHub(4, source);
    const watch = hub.watch('/a/', 1);
    hub.publish([put('/a/4', 5)]);
    hub.publish([put('/b/1', 6)]);
    hub.publish([put('/a/5', 7)]);
    const got = take(watch, 4);
    await releaseAll();
    assert.deepEqual(await got, [2, 3, 4, 5, 7]);
  });

  it('ignores events at or below the start revision when the hub lags behind it', async () => {
    const { source } = fakeHistory([]);
    const hub = new WatchHub(3, source);
    const watch = hub.watch('/', 5);
    hub.publish([put('/x', 4)]);
    hub.publish([put('/x', 5)]);
    hub.publish([put('/x', 6)]);
    assert.deepEqual(await take(watch, 1), [6]);
  });

  it('fails with Expired when the history is compacted', async () => {
    const { source } = fakeHistory([], { compacted: 10 });
    const hub = new WatchHub(20, source);
    await assert.rejects(take(hub.watch('/', 5), 1), (e) => isStoreError(e, 'Expired'));
  });

  it('ends a consumer that falls behind, even while replaying', async () => {
    const { source } = fakeHistory([put('/a', 2)]);
    const hub = new WatchHub(2, source);
    const watch = hub.watch('/', 1, { maxPending: 3 });
    for (let r = 3; r < 10; r++) hub.publish([put('/a', r)]);
    await assert.rejects(take(watch, 100), (e) => isStoreError(e, 'WatcherTooSlow'));
    assert.equal(hub.watcherCount, 0);
  });

  it('stops on abort and on close, and refuses watchers after close', async () => {
    const { source } = fakeHistory([]);
    const hub = new WatchHub(1, source);
    const ac = new AbortController();
    const watch = hub.watch('/', 1, { signal: ac.signal });
    const done = take(watch, 1);
    ac.abort();
    assert.deepEqual(await done, []);
    hub.close();
    await assert.rejects(take(hub.watch('/', 1), 1), (e) => isStoreError(e, 'Closed'));
  });

  it('rejects a second concurrent consumer of one watch', async () => {
    const { source } = fakeHistory([]);
    const hub = new WatchHub(1, source);
    const watch = hub.watch('/', 1);
    const it1 = watch[Symbol.asyncIterator]();
    const first = it1.next();
    await assert.rejects(it1.next(), (e) => isStoreError(e, 'InvalidArgument'));
    hub.publish([put('/z', 2)]);
    assert.equal((await first).value?.length, 1);
  });
});
