/**
 * The plain etcd figure for the store benchmark's write workload, without Shoal's store layer:
 * N concurrent writers, each doing sequential plain puts (etcd3 client `put`, no transaction, no
 * compare) of a value of the same size to distinct keys, for a fixed time.
 *
 *   node dist/bench/etcd-reference.js [--seconds 5] [--writers 100] [--value-bytes 200] [--endpoints URL,...]
 *
 * Without --endpoints it starts a throwaway etcd (test/support/etcd.ts). Prints one JSON line:
 * {"tool":"etcd3-plain-put","writesPerSec":...,"writeP99Ms":...}. bench/store.ts calls
 * `measurePlainEtcdPuts` against the same server in the same run.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Etcd3 } from 'etcd3';
import { Histogram, round } from './lib/histogram.js';

export interface PlainPutOptions {
  writers: number;
  durationMs: number;
  valueBytes: number;
}

export interface PlainPutResult {
  writes: number;
  writesPerSec: number;
  writeP50Ms: number;
  writeP99Ms: number;
}

export async function measurePlainEtcdPuts(
  endpoints: string[],
  options: PlainPutOptions,
): Promise<PlainPutResult> {
  const client = new Etcd3({ hosts: endpoints });
  const value = 'x'.repeat(options.valueBytes);
  const prefix = `/bench-plain/${process.pid}-${Date.now().toString(36)}/`;
  try {
    // Warm up the connection (and the JIT) before measuring, as the store benchmark does.
    await Promise.all(Array.from({ length: 200 }, (_, i) => client.put(`${prefix}warm/${i}`).value(value)));
    const latency = new Histogram();
    let writes = 0;
    const started = performance.now();
    const deadline = started + options.durationMs;
    const writer = async (w: number) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const t0 = performance.now();
        await client.put(`${prefix}${w}/${n}`).value(value);
        latency.record(performance.now() - t0);
        writes += 1;
      }
    };
    await Promise.all(Array.from({ length: options.writers }, (_, w) => writer(w)));
    const elapsedSec = (performance.now() - started) / 1000;
    await client.delete().prefix(prefix);
    return {
      writes,
      writesPerSec: round(writes / elapsedSec, 0),
      writeP50Ms: round(latency.quantile(0.5)),
      writeP99Ms: round(latency.quantile(0.99)),
    };
  } finally {
    client.close();
  }
}

async function main(): Promise<void> {
  const { values: flags } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      writers: { type: 'string', default: '100' },
      'value-bytes': { type: 'string', default: '200' },
      endpoints: { type: 'string' },
    },
  });
  const options = {
    writers: Number(flags.writers),
    durationMs: Number(flags.seconds) * 1000,
    valueBytes: Number(flags['value-bytes']),
  };
  let endpoints = flags.endpoints?.split(',').filter(Boolean);
  let stop: (() => Promise<void>) | undefined;
  if (!endpoints) {
    const { startEtcd } = await import('../test/support/etcd.js');
    const etcd = await startEtcd();
    endpoints = etcd.endpoints;
    stop = () => etcd.stop();
  }
  try {
    const r = await measurePlainEtcdPuts(endpoints, options);
    console.log(
      JSON.stringify({
        tool: 'etcd3-plain-put',
        writers: options.writers,
        seconds: options.durationMs / 1000,
        valueBytes: options.valueBytes,
        ...r,
      }),
    );
  } finally {
    await stop?.();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
