/**
 * npm run bench:store — durable write throughput and watch latency of each store backend.
 *
 * Workload, per backend: 100 concurrent writers each creating keys back to back (≈200-byte
 * values) for a fixed time, while 1,000 watchers watch the same prefix. Prints one JSON line per
 * backend: writesPerSec, writeP99Ms (request → durable acknowledgement), watchP99Ms
 * (acknowledgement → delivery, for every event at every watcher; an event delivered before its
 * writer heard back would count as 0). The etcd line also carries the plain etcd3-client figure for
 * the same put workload, measured in the same run against the same server.
 *
 * Flags: --seconds N (default 5), --writers N (100), --watchers N (1000), --backend sqlite|etcd|all.
 */
import { setMaxListeners } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { eventRevision, type Store } from '../src/store/store.js';
import { startEtcd } from '../test/support/etcd.js';
import { Histogram, round } from './lib/histogram.js';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    writers: { type: 'string', default: '100' },
    watchers: { type: 'string', default: '1000' },
    backend: { type: 'string', default: 'all' },
  },
});
const seconds = Number(flags.seconds);
const writers = Number(flags.writers);
const watchers = Number(flags.watchers);
const VALUE = JSON.stringify({
  kind: 'Pod',
  metadata: { name: 'x'.repeat(40) },
  spec: { nodeName: 'n'.repeat(100) },
});

interface Result {
  writes: number;
  writesPerSec: number;
  writeP50Ms: number;
  writeP99Ms: number;
  watchP50Ms: number;
  watchP99Ms: number;
  watchDeliveries: number;
}

async function measure(store: Store): Promise<Result> {
  const prefix = `/bench/${Date.now().toString(36)}/`;
  // Warm up the write path (and the JIT) before measuring.
  await Promise.all(Array.from({ length: 200 }, (_, i) => store.create(`${prefix}warm/${i}`, VALUE)));
  const start = await store.currentRevision();
  // Acknowledgement time by revision offset; NaN until acknowledged.
  const ackAt = new Float64Array(seconds * 200_000 + 10_000).fill(Number.NaN);
  const watchLatency = new Histogram();
  const controller = new AbortController();
  // Every watcher listens on this one signal.
  setMaxListeners(0, controller.signal);
  const watching = Array.from({ length: watchers }, async () => {
    const watch = store.watch(`${prefix}w/`, start, { maxPending: 1_000_000, signal: controller.signal });
    for await (const batch of watch) {
      const now = performance.now();
      for (const e of batch) {
        const acked = ackAt[eventRevision(e) - start]!;
        watchLatency.record(Number.isNaN(acked) ? 0 : now - acked);
      }
    }
  });

  const writeLatency = new Histogram();
  let writes = 0;
  const began = performance.now();
  const deadline = began + seconds * 1000;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const t0 = performance.now();
        // Note the acknowledgement in the first callback on the store's own promise, so the time
        // is taken when the store answers, before anything else queued behind it runs.
        await store
          .txn([{ op: 'create', key: `${prefix}w/${w}/${n}`, value: VALUE }])
          .then(({ revision }) => {
            const t1 = performance.now();
            ackAt[revision - start] = t1;
            writeLatency.record(t1 - t0);
          });
        writes += 1;
      }
    }),
  );
  const elapsed = (performance.now() - began) / 1000;
  // Let watchers drain what was written, then stop them.
  const expected = writes * watchers;
  const drainUntil = performance.now() + 30_000;
  while (watchLatency.count < expected && performance.now() < drainUntil)
    await new Promise((r) => setTimeout(r, 20));
  controller.abort();
  await Promise.all(watching);
  if (watchLatency.count < expected) {
    throw new Error(`watchers received ${watchLatency.count} of ${expected} events`);
  }
  return {
    writes,
    writesPerSec: Math.round(writes / elapsed),
    writeP50Ms: round(writeLatency.quantile(0.5)),
    writeP99Ms: round(writeLatency.quantile(0.99)),
    watchP50Ms: round(watchLatency.quantile(0.5)),
    watchP99Ms: round(watchLatency.quantile(0.99)),
    watchDeliveries: watchLatency.count,
  };
}

async function benchSqlite(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-bench-store-'));
  const store = await openSqliteStore({ dataDir: dir });
  try {
    const r = await measure(store);
    console.log(
      JSON.stringify({ backend: 'sqlite', durable: 'synchronous=FULL', writers, watchers, seconds, ...r }),
    );
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function benchEtcd(): Promise<void> {
  const { openEtcdStore } = await import('../src/store/etcd/etcd-store.js');
  const { measurePlainEtcdPuts } = await import('./etcd-reference.js');
  const etcd = await startEtcd();
  try {
    const store = await openEtcdStore({ endpoints: etcd.endpoints });
    let r: Result;
    try {
      r = await measure(store);
    } finally {
      await store.close();
    }
    const plain = await measurePlainEtcdPuts(etcd.endpoints, {
      writers,
      durationMs: seconds * 1000,
      valueBytes: VALUE.length,
    });
    console.log(
      JSON.stringify({
        backend: 'etcd',
        writers,
        watchers,
        seconds,
        ...r,
        plainEtcdWritesPerSec: plain.writesPerSec,
        plainEtcdWriteP99Ms: plain.writeP99Ms,
      }),
    );
  } finally {
    await etcd.stop();
  }
}

if (flags.backend === 'all' || flags.backend === 'sqlite') await benchSqlite();
if (flags.backend === 'all' || flags.backend === 'etcd') await benchEtcd();
