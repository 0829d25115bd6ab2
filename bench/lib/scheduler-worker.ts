/**
 * bench:scheduler's scheduler thread: the Scheduler as `shoal server` runs it (a worker thread of
 * its own, default preemption, reaching the API server through its loopback socket), plus the
 * measurement: from the informers' sync to the last binding acknowledged. Posts one
 * SchedulerRun when `pods` pods are bound, then stops.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DEFAULT_SCHEDULER_NAME } from '../../src/api/defaults/pod.js';
import type { Loopback } from '../../src/cli/commands/server-parts.js';
import { Client } from '../../src/client/rest.js';
import { defaultScheduler } from '../../src/scheduler/default-scheduler.js';
import { Histogram, round } from './histogram.js';

export interface SchedulerRun {
  seconds: number;
  p99ScheduleMs: number;
}

const { loopback, pods } = workerData as { loopback: Loopback; pods: number };
const client = new Client({ ...loopback, userAgent: DEFAULT_SCHEDULER_NAME });
const latency = new Histogram();
const stop = new AbortController();
let bound = 0;
let started = 0;
const scheduler = defaultScheduler(client, {
  onSynced: () => {
    started = performance.now();
  },
  onBound: (_pod, _node, cycleStart) => {
    const now = performance.now();
    latency.record(now - cycleStart);
    if (++bound !== pods) return;
    parentPort!.postMessage({
      seconds: (now - started) / 1000,
      p99ScheduleMs: round(latency.quantile(0.99)),
    } satisfies SchedulerRun);
    stop.abort();
  },
});
await scheduler.run(stop.signal);
client.close();
process.exit();
