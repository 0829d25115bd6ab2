/**
 * npm run bench:cluster — the whole control plane at Kubernetes' scalability envelope.
 *
 * Starts a real `shoal server` (HTTPS, SQLite, controllers, scheduler) and `shoal simulate` with
 * --nodes hollow nodes, then creates --pods pods through the API as Deployments of
 * --per-deployment replicas each (100m / 128Mi requests), as a user would, and waits until
 * every Deployment reports all its replicas ready. While that runs, a probe on a thread of its own
 * writes a ConfigMap (create, patch, delete) every 100 ms; those writes and the Deployment
 * creations are the mutating calls whose latency is reported, measured at the client over HTTPS.
 *
 * Prints one JSON line: nodes, pods, deployments, allRunningSeconds (first Deployment created →
 * every replica ready), mutatingP99Ms, mutatingCalls, serverRssMb (the server process's resident
 * memory once all pods run), running (pods in phase Running, counted at the end).
 *
 * Flags: --nodes N (5000), --pods N (150000), --per-deployment N (100),
 *        --kind Deployment|ReplicaSet (Deployment), --timeout-seconds N (1800).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { KubeObject } from '../src/api/object.js';
import { lookupKind } from '../src/api/resources.js';
import { loadKubeconfig } from '../src/client/kubeconfig.js';
import { Client } from '../src/client/rest.js';
import { freePort } from '../test/support/ports.js';
import { benchFail, positiveInt } from './lib/fail.js';
import { Histogram, round } from './lib/histogram.js';
import { memoryMb } from './lib/proc.js';

const BENCH = 'bench:cluster';
const { values: flags } = parseArgs({
  options: {
    nodes: { type: 'string', default: '5000' },
    pods: { type: 'string', default: '150000' },
    'per-deployment': { type: 'string', default: '100' },
    kind: { type: 'string', default: 'Deployment' },
    'timeout-seconds': { type: 'string', default: '1800' },
  },
});
const numNodes = positiveInt(BENCH, 'nodes', flags.nodes);
const numPods = positiveInt(BENCH, 'pods', flags.pods);
const perDeployment = positiveInt(BENCH, 'per-deployment', flags['per-deployment']);
const timeoutMs = positiveInt(BENCH, 'timeout-seconds', flags['timeout-seconds']) * 1000;
if (flags.kind !== 'Deployment' && flags.kind !== 'ReplicaSet') {
  benchFail(BENCH, `--kind must be Deployment or ReplicaSet, got ${flags.kind}`);
}
const KIND = lookupKind('apps/v1', flags.kind)!;
const NODES = lookupKind('v1', 'Node')!;
const PODS = lookupKind('v1', 'Pod')!;
const NAMESPACES = lookupKind('v1', 'Namespace')!;
const NS = 'bench';

const SHOAL = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/shoal.js');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-bench-cluster-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children)
    if (c.exitCode === null) c.kill(process.env.SHOAL_NODE_ARGS ? 'SIGINT' : 'SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});
const deadline = Date.now() + timeoutMs;
const overdue = (what: string) => {
  if (Date.now() > deadline) benchFail(BENCH, `timed out after ${timeoutMs / 1000} s ${what}`);
};

/** Start `shoal ARGS`; resolves with the process once its output contains `ready` (at once without). */
function startShoal(args: string[], ready?: string): Promise<ChildProcess> {
  // SHOAL_NODE_ARGS passes node flags to the processes, e.g. "--cpu-prof" to profile them.
  const nodeArgs = (process.env.SHOAL_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, SHOAL, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve) => {
    if (ready === undefined) resolve(child);
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
      if (ready !== undefined && output.includes(ready)) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => benchFail(BENCH, `shoal ${args[0]} exited (${code}):\n${output}`));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function workload(i: number): KubeObject {
  const name = `load-${i}`;
  const replicas = Math.min(perDeployment, numPods - i * perDeployment);
  return {
    apiVersion: 'apps/v1',
    kind: KIND.kind,
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'registry.invalid/app:1',
              resources: { requests: { cpu: '100m', memory: '128Mi' } },
            },
          ],
        },
      },
    },
  };
}

const port = await freePort();
const server = await startShoal(
  ['server', '--data-dir', path.join(dataDir, 'server'), '--listen', `127.0.0.1:${port}`],
  'API server listening on',
);
const client = Client.fromKubeconfig(
  loadKubeconfig({ path: path.join(dataDir, 'server', 'admin.kubeconfig') }),
  {
    userAgent: BENCH,
  },
);
await startShoal([
  'simulate',
  '--server',
  `https://127.0.0.1:${port}`,
  '--token-file',
  path.join(dataDir, 'server', 'node-token'),
  '--nodes',
  String(numNodes),
  '--data-dir',
  path.join(dataDir, 'simulate'),
]);
for (;;) {
  const nodes = await client.listAll(NODES, undefined, {
    labelSelector: 'shoal.dev/simulated=true',
    pageSize: 5000,
  });
  const ready = nodes.items.filter((n) =>
    (n.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some(
      (c) => c.type === 'Ready' && c.status === 'True',
    ),
  ).length;
  if (ready >= numNodes) break;
  overdue(`waiting for ${numNodes} nodes (${ready} Ready)`);
  await sleep(1000);
}
await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });

// The probe: one mutating call every 100 ms while the cluster converges, on a thread of its own
// (bench/lib/probe-worker.ts) so that this thread's waiting loop does not stall its timings.
const mutating = new Histogram();
const timed = async <T>(call: () => Promise<T>): Promise<T> => {
  const t0 = performance.now();
  const result = await call();
  mutating.record(performance.now() - t0);
  return result;
};
const probe = new Worker(new URL('./lib/probe-worker.js', import.meta.url), {
  workerData: { kubeconfig: path.join(dataDir, 'server', 'admin.kubeconfig'), namespace: NS },
});
probe.once('error', (err) => benchFail(BENCH, `the write probe failed: ${err.message}`));
const probed = new Promise<number[]>((resolve) => probe.once('message', resolve));

const numDeployments = Math.ceil(numPods / perDeployment);
const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    for (let i = next++; i < numDeployments; i = next++)
      await timed(() => client.create(KIND, NS, workload(i)));
  }),
);
let readyReplicas = 0;
for (;;) {
  const list = await client.listAll(KIND, NS, { pageSize: 5000 });
  readyReplicas = list.items.reduce(
    (n, d) => n + ((d.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0),
    0,
  );
  if (readyReplicas >= numPods) break;
  overdue(`waiting for ${numPods} replicas ready (${readyReplicas} so far)`);
  await sleep(1000);
}
const allRunningSeconds = (performance.now() - started) / 1000;
probe.postMessage('stop');
for (const ms of await probed) mutating.record(ms);
const serverRssMb = memoryMb(server.pid!).rssMb;
const running = (await client.listAll(PODS, NS, { fieldSelector: 'status.phase=Running', pageSize: 5000 }))
  .items.length;
console.log(
  JSON.stringify({
    nodes: numNodes,
    pods: numPods,
    kind: KIND.kind,
    deployments: numDeployments,
    allRunningSeconds: round(allRunningSeconds, 1),
    mutatingP99Ms: round(mutating.quantile(0.99)),
    mutatingCalls: mutating.count,
    serverRssMb,
    running,
  }),
);
client.close();
process.exit(0);
