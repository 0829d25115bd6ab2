/**
 * npm run bench:scheduler — the scheduler's throughput, in the shape of Kubernetes' scheduler_perf.
 *
 * An in-process API server (HTTPS, SQLite) gets --nodes Node objects (32 CPUs, 256Gi, 110 pods,
 * spread over 3 zones) and --pods pods with requests (100m, 128Mi), all created through the API
 * before the scheduler starts, so the measurement is the scheduler's alone: from the moment its
 * informers have synced to the last binding acknowledged by the API server. Everything runs in
 * this one process, as `shoal server` does: the scheduler in a worker thread of its own
 * (lib/scheduler-worker.ts), talking to the API server through its loopback socket.
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
import { Worker } from 'node:worker_threads';
import { lookupResource } from '../src/api/resources.js';
import { startApiServer } from '../src/apiserver/serve.js';
import { Client } from '../src/client/rest.js';
import { benchFail } from './lib/fail.js';
import { round } from './lib/histogram.js';
import type { SchedulerRun } from './lib/scheduler-worker.js';
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
let worker: Worker | undefined;
try {
  await inParallel(numNodes, 64, (i) => client.create(NODES, undefined, benchNode(i)));
  await inParallel(numPods, 64, (i) => client.create(PODS, 'default', benchPod(i, workload)));

  worker = new Worker(new URL('./lib/scheduler-worker.js', import.meta.url), {
    workerData: { loopback: server.loopback, pods: numPods },
  });
  const scheduling = worker;
  const run = await new Promise<SchedulerRun>((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error('not every pod was bound after 10 minutes')), 600_000);
    scheduling.once('message', (m: SchedulerRun) => {
      clearTimeout(timeout);
      resolve(m);
    });
    scheduling.once('error', reject);
    scheduling.once('exit', (code) => reject(new Error(`the scheduler thread exited (code ${code})`)));
  }).catch((err: Error) => benchFail(BENCH, err.message));
  console.log(
    JSON.stringify({
      nodes: numNodes,
      pods: numPods,
      workload,
      podsPerSecond: round(numPods / run.seconds, 0),
      p99ScheduleMs: run.p99ScheduleMs,
      seconds: round(run.seconds),
    }),
  );
} finally {
  await worker?.terminate();
  client.close();
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
