/**
 * npm run bench:podstart — pod start latency on one node, against plain `docker run` in the same
 * run.
 *
 * Shoal: a real `shoal server` and `shoal agent` (Docker runtime); N pods (default 50) already bound
 * to the node are created at once through the API; each pod serves HTTP (busybox httpd). Latency =
 * create request sent → the watch shows the pod Running and Ready. With --probe each pod also has
 * an HTTP readiness probe (periodSeconds 1), so Ready means "answers", at the cost of the probe
 * period's granularity (a first probe that comes before httpd listens waits a whole period).
 * Docker: the same image and command, N concurrent `docker run -d`; latency = command started →
 * the container answers HTTP on its address (polled every 20 ms).
 * Then the agent's resident memory with the N pods running, once settled (45 s), and its peak.
 *
 * Prints one JSON line: pods, shoalP50Ms, shoalP99Ms, dockerP50Ms, dockerP99Ms, ratioP99, agentRssMb,
 * agentPeakRssMb,
 * and cpuSeconds (agent, server, dockerd and the whole machine while the pods started; dockerd and
 * the whole machine during the docker runs).
 * Flags: --pods N (50), --probe.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import { parseArgs, promisify } from 'node:util';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { lookupKind } from '../src/api/resources.js';
import { loadKubeconfig } from '../src/client/kubeconfig.js';
import { Client } from '../src/client/rest.js';
import { ensureTestImage, uniqueNodeName } from '../test/support/docker.js';
import { shoalAgent } from '../test/support/shoal-agent.js';
import { startShoalServer } from '../test/support/shoal-server.js';
import { round } from './lib/histogram.js';
import { machineBusySeconds, memoryMb, pidNamed, processCpuSeconds } from './lib/proc.js';

const run = promisify(execFile);
const { values: flags } = parseArgs({
  options: { pods: { type: 'string', default: '50' }, probe: { type: 'boolean', default: false } },
});
const count = Number(flags.pods);
const SETTLE_MS = 45_000;
const SCRIPT = 'mkdir -p /tmp/www && echo ok > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www';

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

function answers(ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: ip, port: 8080, path: '/', timeout: 500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

async function dockerRun(image: string, label: string): Promise<number[]> {
  const one = async (i: number): Promise<number> => {
    const start = performance.now();
    const { stdout } = await run('docker', [
      'run',
      '-d',
      '--label',
      label,
      '--name',
      `${label.split('=')[1]}-${i}`,
      image,
      'sh',
      '-c',
      SCRIPT,
    ]);
    const id = stdout.trim();
    const { stdout: ip } = await run('docker', ['inspect', '-f', '{{.NetworkSettings.IPAddress}}', id]);
    const deadline = Date.now() + 30_000;
    while (!(await answers(ip.trim()))) {
      if (Date.now() > deadline) throw new Error(`docker container ${id} did not answer within 30 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return performance.now() - start;
  };
  return Promise.all(Array.from({ length: count }, (_, i) => one(i)));
}

async function removeLabelled(label: string): Promise<void> {
  const { stdout } = await run('docker', ['ps', '-aq', '--filter', `label=${label}`]);
  const ids = stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await run('docker', ['rm', '-f', ...ids]);
}

interface CpuUse {
  agent: number;
  server: number;
  dockerd: number;
  machine: number;
}

async function shoalRun(
  image: string,
): Promise<{ latencies: number[]; agentRssMb: number; agentPeakRssMb: number; cpu: CpuUse }> {
  const server = await startShoalServer();
  const node = uniqueNodeName('bench-podstart');
  const agent = shoalAgent(server, node);
  try {
    await agent.start();
    const client = Client.fromKubeconfig(loadKubeconfig({ path: server.kubeconfig }));
    const nodes = lookupKind('v1', 'Node')!;
    const pods = lookupKind('v1', 'Pod')!;
    for (let i = 0; ; i++) {
      const n = await client.get(nodes, undefined, node).catch(() => undefined);
      if (
        (n?.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions?.some(
          (c) => c.type === 'Ready' && c.status === 'True',
        )
      )
        break;
      if (i > 300) throw new Error('the node never became Ready');
      await new Promise((r) => setTimeout(r, 100));
    }
    const started = new Map<string, number>();
    const done = new Map<string, number>();
    const abort = new AbortController();
    const watching = (async () => {
      for await (const ev of client.watch<Pod>(pods, 'default', { signal: abort.signal })) {
        const p = ev.object as Pod;
        const name = p.metadata?.name ?? '';
        const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        if (ready && p.status?.phase === 'Running' && started.has(name) && !done.has(name)) {
          done.set(name, performance.now() - started.get(name)!);
          if (done.size === count) abort.abort();
        }
      }
    })().catch((err) => {
      if (!abort.signal.aborted) throw err;
    });
    await new Promise((r) => setTimeout(r, 200));
    const dockerd = pidNamed('dockerd');
    const cpuBefore: CpuUse = {
      agent: processCpuSeconds(agent.process?.pid),
      server: processCpuSeconds(server.process.pid),
      dockerd: processCpuSeconds(dockerd),
      machine: machineBusySeconds(),
    };
    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const name = `web-${i}`;
        started.set(name, performance.now());
        await client.create(pods, 'default', {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, namespace: 'default' },
          spec: {
            nodeName: node,
            containers: [
              {
                name: 'web',
                image,
                imagePullPolicy: 'Never',
                command: ['sh', '-c', SCRIPT],
                ...(flags.probe
                  ? { readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 } }
                  : {}),
              },
            ],
          },
        });
      }),
    );
    const timeout = setTimeout(() => abort.abort(), 120_000);
    await watching;
    clearTimeout(timeout);
    if (done.size < count) throw new Error(`only ${done.size}/${count} pods became Ready within 120 s`);
    const cpu: CpuUse = {
      agent: processCpuSeconds(agent.process?.pid) - cpuBefore.agent,
      server: processCpuSeconds(server.process.pid) - cpuBefore.server,
      dockerd: processCpuSeconds(dockerd) - cpuBefore.dockerd,
      machine: machineBusySeconds() - cpuBefore.machine,
    };
    // The agent's memory running the N pods, once settled: V8 collects lazily, so right after the
    // burst the heap still holds the start-up garbage until its idle-time collection (~30 s) runs.
    // The peak (VmHWM) is reported too.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const memory = memoryMb(agent.process!.pid!);
    client.close();
    return {
      latencies: [...done.values()],
      agentRssMb: memory.rssMb,
      agentPeakRssMb: memory.peakMb,
      cpu,
    };
  } finally {
    // stop() also removes the node's containers.
    await agent.stop();
    await server.stop();
  }
}

const image = await ensureTestImage();
const label = `shoal.dev/bench=podstart-${process.pid}`;
let docker: number[];
const dockerdBefore = processCpuSeconds(pidNamed('dockerd'));
const machineBefore = machineBusySeconds();
let dockerCpu = 0;
let dockerMachineCpu = 0;
try {
  docker = (await dockerRun(image, label)).sort((a, b) => a - b);
  dockerCpu = processCpuSeconds(pidNamed('dockerd')) - dockerdBefore;
  dockerMachineCpu = machineBusySeconds() - machineBefore;
} finally {
  await removeLabelled(label);
}
const shoal = await shoalRun(image);
const s = shoal.latencies.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    pods: count,
    readinessProbe: flags.probe,
    shoalP50Ms: round(quantile(s, 0.5), 1),
    shoalP99Ms: round(quantile(s, 0.99), 1),
    dockerP50Ms: round(quantile(docker, 0.5), 1),
    dockerP99Ms: round(quantile(docker, 0.99), 1),
    ratioP99: round(quantile(s, 0.99) / quantile(docker, 0.99)),
    agentRssMb: shoal.agentRssMb,
    agentPeakRssMb: shoal.agentPeakRssMb,
    // Where the CPU went while the pods started (informative): the two sides share 2 cores.
    cpuSeconds: {
      agent: round(shoal.cpu.agent, 2),
      server: round(shoal.cpu.server, 2),
      dockerd: round(shoal.cpu.dockerd, 2),
      dockerdDuringDockerRun: round(dockerCpu, 2),
      // The whole machine (engine, shims, runc, kernel included) while each side ran: with the
      // cores saturated on both sides, the p99 ratio follows the ratio of these.
      machine: round(shoal.cpu.machine, 2),
      machineDuringDockerRun: round(dockerMachineCpu, 2),
    },
  }),
);
