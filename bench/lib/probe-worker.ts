/**
 * The cluster benchmark's write probe, on a thread of its own: one ConfigMap created, patched and
 * deleted every 100 ms until told to stop, each call timed at the client. On the benchmark's
 * main thread its timings would include that thread's own stalls (parsing a 3 MB list of
 * Deployments every second while it waits for them to be ready), which are the benchmark's and
 * not the server's.
 *
 * workerData: { kubeconfig, namespace }. Messages: 'stop' in; the latencies in ms (number[]) out,
 * once stopped.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { lookupKind } from '../../src/api/resources.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { Client } from '../../src/client/rest.js';

const { kubeconfig, namespace } = workerData as { kubeconfig: string; namespace: string };
const CONFIGMAPS = lookupKind('v1', 'ConfigMap')!;
const client = Client.fromKubeconfig(loadKubeconfig({ path: kubeconfig }), { userAgent: 'bench:cluster' });
let probing = true;
parentPort!.once('message', () => {
  probing = false;
});

const latencies: number[] = [];
const timed = async (call: () => Promise<unknown>) => {
  const t0 = performance.now();
  await call();
  latencies.push(performance.now() - t0);
};
for (let i = 0; probing; i++) {
  const name = `probe-${i}`;
  await timed(() =>
    client.create(CONFIGMAPS, namespace, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name },
      data: { i: String(i) },
    }),
  );
  await timed(() => client.patch(CONFIGMAPS, namespace, name, 'merge', { data: { i: 'patched' } }));
  await timed(() => client.delete(CONFIGMAPS, namespace, name));
  await new Promise((r) => setTimeout(r, 100));
}
client.close();
parentPort!.postMessage(latencies);
