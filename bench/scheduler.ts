/**
 * npm run bench:scheduler — the scheduler's throughput, in the shape of Kubernetes' scheduler_perf.
 *
 * An in-process API server (HTTPS, SQLite) gets --nodes Node objects (32 CPUs, 256Gi, 110 pods,
 * spread over 3 zones) and --pods pods with requests (100m, 128Mi), all created through the API
 * before the scheduler starts, so the measurement is the scheduler's alone: from the moment its
 * informers have synced to the last binding acknowledged by the API server. Everything runs in
 * this one process, as `shoal server` does.
 *
 * Prints one JSON line: nodes, pods, workload, podsPerSecond, p99ScheduleMs (a pod's scheduling
 * cycle start to its binding's reply), seconds.
 *
 * Flags: --nodes N (5000), --pods N (10000), --workload basic|spread|antiaffinity (basic):
 *   spread:       hard topology spread over the zones (maxSkew 1, DoNotSchedule);
 *   antiaffinity: required pod anti-affinity per hostname (needs pods ≤ nodes).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lookupResource } from '../src/api/resources.js';
import { startApiServer } from '../src/apiserver/serve.js';
import { Client } from '../src/client/rest.js';
import { Scheduler } from '../src/scheduler/scheduler.js';
import { benchFail } from './lib/fail.js';
import { Histogram, round } from './lib/histogram.js';
import { benchNode, benchPod, parseWorkloadFlags } from './lib/scheduler-workload.js';

const BENCH = 'bench:scheduler';
const { numNodes, numPods, workload } = parseWorkloadFlags(BENCH);

const NODES = lookupResource('', 'v1', 'nodes')!;
const PODS = lookupResource('', 'v1', 'pods')!;

/** Runs `make(i)` for i in [0, n), `concurrency` at a time. */
async function inParallel(
  n: number,
  concurrency: number,
  make: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) await make(i);
    }),
  );
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-bench-scheduler-'));
const server = await startApiServer({
  dataDir,
  host: '127.0.0.1',
  port: 0,
  store: { kind: 'sqlite', dataDir: path.join(dataDir, 'store') },
  log: () => undefined,
});
const client = new Client({ ...server.loopback, userAgent: 'bench-scheduler' });
const schedulerClient = new Client({ ...server.loopback, userAgent: 'default-scheduler' });
try {
  await inParallel(numNodes, 64, (i) => client.create(NODES, undefined, benchNode(i)));
  await inParallel(numPods, 64, (i) => client.create(PODS, 'default', benchPod(i, workload)));

  const latency = new Histogram();
  let bound = 0;
  let started = 0;
  let finished = 0;
  const stop = new AbortController();
  const done = new Promise<void>((resolve) => {
    const scheduler = new Scheduler(schedulerClient, {
      onSynced: () => {
        started = performance.now();
      },
      onBound: (_pod, _node, cycleStart) => {
        latency.record(performance.now() - cycleStart);
        if (++bound === numPods) {
          finished = performance.now();
          resolve();
        }
      },
    });
    void scheduler.run(stop.signal);
  });
  const timeout = setTimeout(
    () => benchFail(BENCH, `only ${bound}/${numPods} pods bound after 10 minutes`),
    600_000,
  );
  await done;
  clearTimeout(timeout);
  stop.abort();
  const seconds = (finished - started) / 1000;
  console.log(
    JSON.stringify({
      nodes: numNodes,
      pods: numPods,
      workload,
      podsPerSecond: round(numPods / seconds, 0),
      p99ScheduleMs: round(latency.quantile(0.99)),
      seconds: round(seconds),
    }),
  );
} finally {
  client.close();
  schedulerClient.close();
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
