/**
 * What the fault-injection tests read back from a test cluster: pods, the node's Ready condition
 * and Lease through kubectl, and a pod's runtime objects straight from a dockerd (by the labels
 * the agent puts on them), so a test can tell "the same container kept running" from "an
 * identical one was made".
 */

import type Docker from 'dockerode';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition, Pod } from 'kubernetes-types/core/v1.js';
import {
  LABEL_ATTEMPT,
  LABEL_CONTAINER_NAME,
  LABEL_KIND,
  LABEL_NODE,
  LABEL_POD_UID,
} from '../../src/runtime/driver.js';
import type { ShoalServer } from './shoal-server.js';

/** kubectl against the server's admin kubeconfig; rejects with its stderr on a non-zero exit. */
export async function kubectlOk(server: ShoalServer, args: string[], input?: string): Promise<string> {
  const r = await server.kubectl(args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

export async function getPod(server: ShoalServer, namespace: string, name: string): Promise<Pod> {
  return JSON.parse(await kubectlOk(server, ['get', 'pod', name, '-n', namespace, '-o', 'json'])) as Pod;
}

/** A pod bound to `node` (no scheduler involved), as JSON for `kubectl apply -f -`. */
export function podManifest(
  node: string,
  name: string,
  containers: unknown[],
  namespace = 'default',
): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { nodeName: node, terminationGracePeriodSeconds: 2, containers },
  });
}

/** The pod, or undefined once the API server no longer has it. */
export async function findPod(
  server: ShoalServer,
  namespace: string,
  name: string,
): Promise<Pod | undefined> {
  const r = await server.kubectl(['get', 'pod', name, '-n', namespace, '-o', 'json', '--ignore-not-found']);
  if (r.code !== 0) throw new Error(`kubectl get pod ${name} failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim() ? (JSON.parse(r.stdout) as Pod) : undefined;
}

export function podReady(pod: Pod): boolean {
  return pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

/** Every container of the pod running and ready, and the pod Ready. */
export function podFullyUp(pod: Pod): boolean {
  const statuses = pod.status?.containerStatuses ?? [];
  return (
    podReady(pod) &&
    statuses.length === (pod.spec?.containers.length ?? 0) &&
    statuses.every((s) => s.ready && s.state?.running)
  );
}

/** The pod once podFullyUp, else undefined: a check for `eventually`. */
export async function podUp(server: ShoalServer, namespace: string, name: string): Promise<Pod | undefined> {
  const p = await getPod(server, namespace, name);
  return podFullyUp(p) ? p : undefined;
}

/** A container of the test image (there already: never pulled) that sleeps. */
export function sleeper(image: string, name = 'app') {
  return { name, image, imagePullPolicy: 'Never', command: ['sh', '-c', 'exec sleep 3600'] };
}

/** True once the node is Ready, else undefined: a check for `eventually`. */
export async function nodeIsReady(server: ShoalServer, node: string): Promise<true | undefined> {
  return (await nodeReadyCondition(server, node))?.status === 'True' ? true : undefined;
}

export async function nodeReadyCondition(
  server: ShoalServer,
  node: string,
): Promise<NodeCondition | undefined> {
  const n = JSON.parse(await kubectlOk(server, ['get', 'node', node, '-o', 'json'])) as Node;
  return n.status?.conditions?.find((c) => c.type === 'Ready');
}

export async function nodeLease(server: ShoalServer, node: string): Promise<Lease> {
  return JSON.parse(
    await kubectlOk(server, ['get', 'lease', node, '-n', 'kube-node-lease', '-o', 'json']),
  ) as Lease;
}

/** One sandbox or container of a pod as its dockerd reports it. */
export interface RuntimeObject {
  id: string;
  kind: string;
  /** Container name in the pod spec (empty for the sandbox). */
  name: string;
  /** The agent's restart count for this instance (its attempt label). */
  attempt: number;
  running: boolean;
  startedAt: string;
  /** Docker's own restart count: Shoal sets no restart policy, so it must stay 0. */
  dockerRestarts: number;
}

/** The pod's sandbox and containers on `docker` made by the agent of `node`, by kind and name. */
export async function runtimeObjects(docker: Docker, node: string, podUid: string): Promise<RuntimeObject[]> {
  const found = await docker.listContainers({
    all: true,
    filters: { label: [`${LABEL_NODE}=${node}`, `${LABEL_POD_UID}=${podUid}`] },
  });
  const objects = await Promise.all(
    found.map(async (c) => {
      const info = await docker.getContainer(c.Id).inspect();
      const labels = info.Config.Labels ?? {};
      return {
        id: info.Id,
        kind: labels[LABEL_KIND] ?? '',
        name: labels[LABEL_CONTAINER_NAME] ?? '',
        attempt: Number(labels[LABEL_ATTEMPT] ?? 0),
        running: info.State.Running,
        startedAt: info.State.StartedAt,
        dockerRestarts: info.RestartCount,
      };
    }),
  );
  return objects.sort((a, b) => `${a.kind}/${a.name}/${a.id}`.localeCompare(`${b.kind}/${b.name}/${b.id}`));
}
