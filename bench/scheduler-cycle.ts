/**
 * npm run bench:scheduler-cycle — the scheduler's own CPU: scheduling cycles alone, without the
 * API server. Builds a SchedulerCache of --nodes nodes and runs --pods pods through
 * `Pipeline.schedule` one after another, each then assumed on its node and confirmed as the
 * informer would (a new PodInfo of the bound pod replaces the assumed one), so the cache grows as
 * in bench:scheduler. Same nodes, pods and workloads as bench:scheduler (bench/lib/scheduler-workload.ts).
 *
 * Prints one JSON line: nodes, pods, workload, podsPerSecond (every pod's PodInfo, cycle, assume
 * and confirm), p99CycleMs (`Pipeline.schedule` alone), seconds.
 *
 * Flags: --nodes N (5000), --pods N (10000), --workload basic|spread|antiaffinity (basic).
 */
import { SchedulerCache } from '../src/scheduler/cache.js';
import { PodInfo } from '../src/scheduler/framework/node-info.js';
import { Pipeline, registrations } from '../src/scheduler/pipeline.js';
import { benchFail } from './lib/fail.js';
import { Histogram, round } from './lib/histogram.js';
import { benchNode, benchPod, parseWorkloadFlags } from './lib/scheduler-workload.js';

const BENCH = 'bench:scheduler-cycle';
const { numNodes, numPods, workload } = parseWorkloadFlags(BENCH);

const cache = new SchedulerCache();
for (let i = 0; i < numNodes; i++) cache.setNode(benchNode(i));
const pods = Array.from({ length: numPods }, (_, i) => {
  const pod = benchPod(i, workload);
  pod.metadata = { ...pod.metadata, namespace: 'default', uid: `uid-${i}` };
  return pod;
});
const pipeline = new Pipeline(registrations());

const latency = new Histogram();
const started = performance.now();
for (const pod of pods) {
  const info = new PodInfo(pod);
  const cycleStart = performance.now();
  const result = pipeline.schedule(info, cache);
  latency.record(performance.now() - cycleStart);
  if (result.kind !== 'scheduled') {
    const why = result.kind === 'error' ? result.message : result.error.message;
    benchFail(BENCH, `${pod.metadata?.name} was not scheduled: ${why}`);
  }
  cache.assume(info, result.nodeName);
  cache.setPod({ ...pod, spec: { ...pod.spec!, nodeName: result.nodeName } });
}
const seconds = (performance.now() - started) / 1000;
console.log(
  JSON.stringify({
    nodes: numNodes,
    pods: numPods,
    workload,
    podsPerSecond: round(numPods / seconds, 0),
    p99CycleMs: round(latency.quantile(0.99)),
    seconds: round(seconds),
  }),
);
