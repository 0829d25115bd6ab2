/**
 * A whole test cluster: a real `shoal server` (API server, controllers, scheduler) and N real
 * `shoal agent`s on the shared Docker Engine, each node Ready before `startCluster` resolves.
 * Node names are unique to the run, so `stop` removes only this cluster's containers. `client`
 * is Shoal's own REST client with the admin credential, for watches and reads a test makes
 * often; `kubectl` is the real kubectl, for what a user does.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../src/api/object.js';
import { lookupKind } from '../../src/api/resources.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { Client } from '../../src/client/rest.js';
import { kubectlOk } from './cluster-probe.js';
import { ensureTestImage, uniqueNodeName } from './docker.js';
import { eventuallyShowing } from './eventually.js';
import { type ShoalAgent, shoalAgent } from './shoal-agent.js';
import { type ShoalServer, startShoalServer } from './shoal-server.js';

export interface TestCluster {
  server: ShoalServer;
  agents: ShoalAgent[];
  /** The busybox test image (test/support/docker.ts), built if missing. */
  image: string;
  client: Client;
  /** kubectl; rejects with its stderr on a non-zero exit. */
  kubectl(args: string[], input?: string): Promise<string>;
  /** `kubectl apply -f -` of objects given as values. */
  apply(...objects: unknown[]): Promise<string>;
  /** The pods `selector` selects in `namespace`, through kubectl; terminating ones included. */
  pods(namespace: string, selector: string): Promise<Pod[]>;
  /** The pods `selector` selects in `namespace` that are not being deleted. */
  livePods(namespace: string, selector: string): Promise<Pod[]>;
  /** `kubectl get events` in `namespace` matching `fieldSelector`, as kubectl's table. */
  events(namespace: string, fieldSelector: string): Promise<string>;
  /** Poll until `check` gives a value; a timeout names what it waited for and ends with every process's output. */
  eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  agents?: number;
  /** Prefix of the node names (made unique to the run). */
  nodePrefix?: string;
  serverArgs?: string[];
  agentArgs?: string[];
}

const NODES = lookupKind('v1', 'Node')!;

export async function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const image = await ensureTestImage();
  const server = await startShoalServer(options.serverArgs ?? []);
  const agents: ShoalAgent[] = [];
  const client = Client.fromKubeconfig(loadKubeconfig({ path: server.kubeconfig }));
  const cluster: TestCluster = {
    server,
    agents,
    image,
    client,
    kubectl: (args, input) => kubectlOk(server, args, input),
    apply: (...objects) =>
      kubectlOk(server, ['apply', '-f', '-'], objects.map((o) => JSON.stringify(o)).join('\n')),
    async pods(namespace, selector) {
      const out = await kubectlOk(server, ['get', 'pods', '-n', namespace, '-l', selector, '-o', 'json']);
      return (JSON.parse(out) as { items: Pod[] }).items;
    },
    livePods: async (namespace, selector) =>
      (await cluster.pods(namespace, selector)).filter((p) => !p.metadata?.deletionTimestamp),
    events: (namespace, fieldSelector) =>
      kubectlOk(server, ['get', 'events', '-n', namespace, '--field-selector', fieldSelector]),
    eventually: (what, check, timeoutMs) =>
      eventuallyShowing(
        {
          server: () => server.output(),
          ...Object.fromEntries(agents.map((a) => [a.name, () => a.output()])),
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      )(what, check, timeoutMs),
    async stop() {
      client.close();
      await Promise.allSettled(agents.map((a) => a.stop()));
      await server.stop();
    },
  };
  try {
    const prefix = options.nodePrefix ?? 'e2e-node';
    for (let i = 0; i < (options.agents ?? 2); i++) {
      agents.push(shoalAgent(server, uniqueNodeName(`${prefix}${i}`), options.agentArgs ?? []));
    }
    await Promise.all(agents.map((a) => a.start()));
    await cluster.eventually('every node Ready', async () => {
      const ready = await Promise.all(
        agents.map(async (a) => {
          const node = (await client.get<KubeObject>(NODES, undefined, a.name)) as Node;
          return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        }),
      );
      return ready.every(Boolean) ? true : undefined;
    });
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

export interface Workload {
  kind?: 'ReplicaSet' | 'Deployment';
  name: string;
  namespace?: string;
  replicas: number;
  annotations?: Record<string, string>;
  /** More of the workload's spec (a Deployment's strategy, say). */
  spec?: Record<string, unknown>;
  /** The pod template's spec. */
  podSpec: Record<string, unknown>;
}

/** A ReplicaSet (or Deployment) of `replicas` pods labelled `app: <name>`, each of `podSpec`. */
export function workload(w: Workload) {
  return {
    apiVersion: 'apps/v1',
    kind: w.kind ?? 'ReplicaSet',
    metadata: {
      name: w.name,
      namespace: w.namespace ?? 'default',
      ...(w.annotations && { annotations: w.annotations }),
    },
    spec: {
      replicas: w.replicas,
      ...w.spec,
      selector: { matchLabels: { app: w.name } },
      template: { metadata: { labels: { app: w.name } }, spec: w.podSpec },
    },
  };
}

export interface SleepingWorkload extends Omit<Workload, 'podSpec'> {
  /** The cluster's test image. */
  image: string;
  /** More of the pod template's spec (topology spread, say). */
  podSpec?: Record<string, unknown>;
  /** More of the container `main` (env, a readiness probe, say). */
  container?: Record<string, unknown>;
}

/**
 * A workload of pods with one container `main` that sleeps, with a 1 s grace period: the
 * workload the e2e tests and benches move about.
 */
export function sleepingWorkload(w: SleepingWorkload) {
  return workload({
    ...w,
    podSpec: {
      terminationGracePeriodSeconds: 1,
      ...w.podSpec,
      containers: [
        {
          name: 'main',
          image: w.image,
          imagePullPolicy: 'IfNotPresent',
          command: ['sleep', '3600'],
          ...w.container,
        },
      ],
    },
  });
}
