/**
 * npm run bench:network — what Shoal's data path costs next to going straight to the pod and next
 * to nginx, on one small HTTP backend.
 *
 * A real `shoal server` and one real `shoal agent` on Docker (test/support/cluster.ts), with its
 * service proxy and ingress on free loopback ports; one backend pod (shoal-bench/nginx:1, built
 * by scripts/build-bench-images: nginx answering "ok", far faster than any proxy in front of it)
 * behind a ClusterIP Service and an Ingress. Then, one after another, autocannon (keep-alive,
 * `--connections` connections for `--seconds` each) against:
 *
 *   direct      podIP:8080, no proxy at all
 *   clusterIp   the Service's ClusterIP:80 (the kernel's NAT rules, as the agent programmed them)
 *   ingress     the agent's ingress on 127.0.0.1, Host: bench.local
 *   nginx       Debian's nginx (one worker, upstream keep-alive) on 127.0.0.1, proxying to podIP:8080
 *
 * Prints one JSON line: {"directRps","clusterIpRps","ingressRps","nginxRps", and each one's
 * "...P99Ms"}. Targets: clusterIpRps ≥ 0.9 × directRps; ingressRps ≥ 0.5 × nginxRps with
 * ingressP99Ms ≤ 2 × nginxP99Ms. Traffic goes only to loopback and to the pod this run made.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import autocannon from 'autocannon';
import type { Service } from 'kubernetes-types/core/v1.js';
import { startCluster } from '../test/support/cluster.js';
import { podReady } from '../test/support/cluster-probe.js';
import { get } from '../test/support/load.js';
import { freePorts } from '../test/support/ports.js';
import { webService } from '../test/support/web.js';
import { round } from './lib/histogram.js';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
  },
});
const SECONDS = Number(flags.seconds);
const CONNECTIONS = Number(flags.connections);
if (!(SECONDS > 0 && SECONDS <= 120))
  throw new Error(`--seconds must be in (0, 120], got "${flags.seconds}"`);
if (!(Number.isInteger(CONNECTIONS) && CONNECTIONS > 0 && CONNECTIONS <= 1000)) {
  throw new Error(`--connections must be a whole number 1-1000, got "${flags.connections}"`);
}
const NS = 'default';
const IMAGE = 'shoal-bench/nginx:1';
const HOST = 'bench.local';
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

interface Measured {
  rps: number;
  p99Ms: number;
}

async function measure(what: string, url: string, headers: Record<string, string> = {}): Promise<Measured> {
  process.stderr.write(`bench:network: ${what} (${url}) for ${SECONDS} s ...\n`);
  const result = await autocannon({ url, headers, connections: CONNECTIONS, duration: SECONDS, timeout: 5 });
  if (result.non2xx > 0 || result.errors > 0) {
    process.stderr.write(
      `bench:network: ${what}: ${result.non2xx} non-2xx answers, ${result.errors} errors\n`,
    );
  }
  return { rps: round(result.requests.average, 0), p99Ms: round(result.latency.p99, 2) };
}

/** Debian's nginx as the reference reverse proxy: one worker, keep-alive to the pod. */
function startNginx(port: number, backend: string): { child: ChildProcess; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-bench-nginx-'));
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(
    conf,
    `daemon off;
master_process off;
worker_processes 1;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  upstream backend { server ${backend}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`,
  );
  const child = spawn('/usr/sbin/nginx', ['-c', conf, '-p', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { child, dir };
}

async function main(): Promise<void> {
  await promisify(execFile)(path.join(root, 'scripts/build-bench-images'));
  const [httpPort, httpsPort, nginxPort] = (await freePorts(3)) as [number, number, number];
  const cluster = await startCluster({
    agents: 1,
    nodePrefix: 'benchnet',
    agentArgs: ['--ingress-http-port', String(httpPort), '--ingress-https-port', String(httpsPort)],
  });
  let nginx: { child: ChildProcess; dir: string } | undefined;
  try {
    await cluster.apply(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'backend', namespace: NS, labels: { app: 'backend' } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'nginx',
              image: IMAGE,
              imagePullPolicy: 'Never',
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 1 },
            },
          ],
        },
      },
      webService('backend', NS),
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'backend', namespace: NS },
        spec: {
          rules: [
            {
              host: HOST,
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'Prefix',
                    backend: { service: { name: 'backend', port: { number: 80 } } },
                  },
                ],
              },
            },
          ],
        },
      },
    );
    const pod = await cluster.eventually('the backend pod ready', async () => {
      const [p] = await cluster.livePods(NS, 'app=backend');
      return p && podReady(p) ? p : undefined;
    });
    const podIP = pod.status!.podIP!;
    const svc = JSON.parse(
      await cluster.kubectl(['get', 'service', '-n', NS, 'backend', '-o', 'json']),
    ) as Service;
    const clusterIP = svc.spec!.clusterIP!;
    const ingressUrl = `http://127.0.0.1:${httpPort}/`;
    // Each path answers before it is measured (the proxy's rules and the ingress table follow the
    // endpoints a moment after the pod turns ready).
    for (const [what, url, headers] of [
      ['ClusterIP', `http://${clusterIP}/`, {}],
      ['ingress', ingressUrl, { host: HOST }],
    ] as const) {
      await cluster.eventually(`an answer through the ${what}`, async () => {
        const res = await get(url, headers, 2_000).catch(() => undefined);
        return res?.status === 200 ? true : undefined;
      });
    }
    nginx = startNginx(nginxPort, `${podIP}:8080`);
    await cluster.eventually('nginx answering', async () => {
      const res = await get(`http://127.0.0.1:${nginxPort}/`, {}, 2_000).catch(() => undefined);
      return res?.status === 200 ? true : undefined;
    });

    const direct = await measure('direct', `http://${podIP}:8080/`);
    const clusterIp = await measure('ClusterIP', `http://${clusterIP}/`);
    const ingress = await measure('ingress', ingressUrl, { host: HOST });
    const reference = await measure('nginx', `http://127.0.0.1:${nginxPort}/`, { host: HOST });
    console.log(
      JSON.stringify({
        directRps: direct.rps,
        clusterIpRps: clusterIp.rps,
        ingressRps: ingress.rps,
        nginxRps: reference.rps,
        directP99Ms: direct.p99Ms,
        clusterIpP99Ms: clusterIp.p99Ms,
        ingressP99Ms: ingress.p99Ms,
        nginxP99Ms: reference.p99Ms,
        clusterIpRatio: round(clusterIp.rps / direct.rps, 2),
        ingressRatio: round(ingress.rps / reference.rps, 2),
        seconds: SECONDS,
        connections: CONNECTIONS,
      }),
    );
  } finally {
    if (nginx) {
      nginx.child.kill('SIGTERM');
      fs.rmSync(nginx.dir, { recursive: true, force: true });
    }
    await cluster.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
