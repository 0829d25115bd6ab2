/**
 * npm run bench:api — the API server under load, over HTTPS with client certificates, as kubectl
 * and controllers reach it.
 *
 * A real `shoal server` (SQLite store) is filled with 10,000 pods (10 namespaces × 1,000), then
 * 50 concurrent clients run, one phase after another:
 *   mutating: create, patch (merge), then delete pods in a fresh namespace, for --seconds, first
 *             as fast as the 50 clients go (writesPerSec, mutatingP99AtMaxMs), then paced at
 *             --rate writes/s (mutatingP99Ms: latency from each write's scheduled start, so
 *             queueing behind a slow write counts);
 *   get:      GET of random existing pods;
 *   list:     LIST of one namespace's 1,000 pods.
 * Prints one JSON line: writesPerSec, mutatingP50Ms, mutatingP99Ms, getP99Ms, listP99Ms, ...
 *
 * Flags: --pods N (10000), --clients N (50), --seconds N (10 for each mutating phase, a third of it
 * for the others), --rate N (1000).
 */
import { execFile } from 'node:child_process';
import { parseArgs } from 'node:util';
import { loadKubeconfig } from '../src/client/kubeconfig.js';
import { Client } from '../src/client/rest.js';
import { startShoalServer } from '../test/support/shoal-server.js';
import { Histogram, round } from './lib/histogram.js';

const { values: flags } = parseArgs({
  options: {
    pods: { type: 'string', default: '10000' },
    clients: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '1000' },
  },
});
const totalPods = Number(flags.pods);
const clients = Number(flags.clients);
const seconds = Number(flags.seconds);
const rate = Number(flags.rate);
const namespaces = 10;
const perNamespace = Math.ceil(totalPods / namespaces);

function pod(name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'bench', tier: 'web' } },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'registry.local/app:1.0',
          ports: [{ containerPort: 8080, name: 'http' }],
          resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
          env: [{ name: 'MODE', value: 'bench' }],
        },
      ],
    },
  };
}

const shoal = await startShoalServer();
// The project's own client (keep-alive, client certificate), as controllers reach the server.
const client = Client.fromKubeconfig(loadKubeconfig({ path: shoal.kubeconfig }), {
  maxSockets: clients,
  timeoutMs: 0,
});

async function request(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<number> {
  const res = await client.request(method, path, {
    headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': contentType }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode}`);
  return res.statusCode;
}

async function pool(count: number, worker: (i: number) => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => worker(i)));
}

try {
  // Fill: namespaces, then pods, 50 at a time.
  for (let n = 0; n < namespaces; n++)
    await request('POST', '/api/v1/namespaces', { metadata: { name: `fill-${n}` } });
  await request('POST', '/api/v1/namespaces', { metadata: { name: 'churn' } });
  let next = 0;
  const fillStart = performance.now();
  await pool(clients, async () => {
    for (let i = next++; i < totalPods; i = next++) {
      await request('POST', `/api/v1/namespaces/fill-${i % namespaces}/pods`, pod(`pod-${i}`));
    }
  });
  const fillSeconds = (performance.now() - fillStart) / 1000;

  // Mutating: create → patch → delete, each a separate timed request.
  const churn = async (
    c: number,
    i: number,
    run: (method: string, path: string, body?: unknown, ct?: string) => Promise<void>,
  ) => {
    const name = `churn-${c}-${i}`;
    const path = `/api/v1/namespaces/churn/pods/${name}`;
    await run('POST', '/api/v1/namespaces/churn/pods', pod(name));
    await run('PATCH', path, { metadata: { labels: { step: 'patched' } } }, 'application/merge-patch+json');
    await run('DELETE', path);
  };
  const atMax = new Histogram();
  let writes = 0;
  const mutStart = performance.now();
  const mutEnd = mutStart + seconds * 1000;
  await pool(clients, async (c) => {
    for (let i = 0; performance.now() < mutEnd; i++) {
      await churn(c, i, async (method, path, body, ct) => {
        const t0 = performance.now();
        await request(method, path, body, ct);
        atMax.record(performance.now() - t0);
        writes += 1;
      });
    }
  });
  const writesPerSec = writes / ((performance.now() - mutStart) / 1000);

  // Paced: writes start on a fixed schedule; each is timed from its slot, not from when a client got to it.
  const paced = new Histogram();
  const interval = 1000 / rate;
  const pacedStart = performance.now() + 100;
  const pacedEnd = pacedStart + seconds * 1000;
  let nextSlot = pacedStart;
  let pacedWrites = 0;
  await pool(clients, async (c) => {
    for (let i = 0; nextSlot < pacedEnd; i++) {
      await churn(c + clients, i, async (method, path, body, ct) => {
        const slot = nextSlot;
        nextSlot += interval;
        const wait = slot - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        await request(method, path, body, ct);
        paced.record(performance.now() - slot);
        pacedWrites += 1;
      });
    }
  });
  const pacedRate = pacedWrites / ((performance.now() - pacedStart) / 1000);

  const timed = async (h: Histogram, ms: number, op: () => Promise<unknown>) => {
    const end = performance.now() + ms;
    await pool(clients, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await op();
        h.record(performance.now() - t0);
      }
    });
  };
  const gets = new Histogram();
  await timed(gets, (seconds * 1000) / 3, () => {
    const i = Math.floor(Math.random() * totalPods);
    return request('GET', `/api/v1/namespaces/fill-${i % namespaces}/pods/pod-${i}`);
  });
  const lists = new Histogram();
  await timed(lists, (seconds * 1000) / 3, () =>
    request('GET', `/api/v1/namespaces/fill-${Math.floor(Math.random() * namespaces)}/pods`),
  );

  const rss = await new Promise<number>((resolve) =>
    execFile('ps', ['-o', 'rss=', '-p', String(shoal.process.pid)], (_e, out) =>
      resolve(Number(out.trim()) / 1024),
    ),
  );
  console.log(
    JSON.stringify({
      pods: totalPods,
      clients,
      podsPerList: perNamespace,
      fillPodsPerSec: Math.round(totalPods / fillSeconds),
      writesPerSec: Math.round(writesPerSec),
      mutatingP99AtMaxMs: round(atMax.quantile(0.99)),
      pacedWritesPerSec: Math.round(pacedRate),
      mutatingP50Ms: round(paced.quantile(0.5)),
      mutatingP99Ms: round(paced.quantile(0.99)),
      getP50Ms: round(gets.quantile(0.5)),
      getP99Ms: round(gets.quantile(0.99)),
      listP50Ms: round(lists.quantile(0.5)),
      listP99Ms: round(lists.quantile(0.99)),
      lists: lists.count,
      serverRssMb: Math.round(rss),
    }),
  );
} finally {
  client.close();
  await shoal.stop();
}
