/**
 * Builders for scheduler table tests: a node or pod from the few fields a test cares about.
 * Test-only (imported by *.test.ts files).
 */
import type { Container, Node, Pod, PodSpec, Taint } from 'kubernetes-types/core/v1.js';
import { NodeInfo, PodInfo } from './node-info.js';
import type { Snapshot } from './types.js';

export interface NodeOptions {
  cpu?: string;
  memory?: string;
  pods?: number;
  ephemeralStorage?: string;
  /** Extra allocatable resources, e.g. `{ 'nvidia.com/gpu': '2' }`. */
  extra?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  images?: { names: string[]; sizeBytes: number }[];
}

export function makeNode(name: string, o: NodeOptions = {}): Node {
  const allocatable: Record<string, string> = {
    cpu: o.cpu ?? '4',
    memory: o.memory ?? '8Gi',
    pods: String(o.pods ?? 110),
    'ephemeral-storage': o.ephemeralStorage ?? '100Gi',
    ...(o.extra ?? {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `node-${name}`, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: { allocatable, capacity: allocatable, ...(o.images ? { images: o.images } : {}) },
  };
}

export interface PodOptions {
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  /** Requests of the single container, e.g. `{ cpu: '500m', memory: '1Gi' }`. */
  requests?: Record<string, string>;
  nodeName?: string;
  priority?: number;
  image?: string;
  /** Merged over the built spec (affinity, tolerations, topologySpreadConstraints, containers, ...). */
  spec?: Partial<PodSpec>;
}

let uidCounter = 0;

export function makePod(name: string, o: PodOptions = {}): Pod {
  const container: Container = {
    name: 'c',
    image: o.image ?? 'busybox',
    ...(o.requests ? { resources: { requests: o.requests } } : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      uid: o.uid ?? `uid-${name}-${++uidCounter}`,
      ...(o.labels ? { labels: o.labels } : {}),
    },
    spec: {
      containers: [container],
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
      ...(o.spec ?? {}),
    },
  };
}

/** A NodeInfo for `node` holding `pods`. */
export function nodeInfo(node: Node, ...pods: Pod[]): NodeInfo {
  const info = new NodeInfo(node);
  for (const p of pods) info.addPod(new PodInfo(p));
  return info;
}

/**
 * A Snapshot of `nodes` (the real one is the scheduler cache's); `namespaces` gives namespace
 * labels for namespaceSelector terms.
 */
export function testSnapshot(
  nodes: NodeInfo[],
  namespaces: Record<string, Record<string, string>> = {},
): Snapshot {
  return {
    nodes,
    get: (name) => nodes.find((n) => n.name === name),
    // Getters, so a test that adds pods to a NodeInfo after building the snapshot still sees them.
    get nodesWithAffinityPods() {
      return nodes.filter((n) => n.podsWithAffinity.length > 0);
    },
    get nodesWithRequiredAntiAffinityPods() {
      return nodes.filter((n) => n.podsWithRequiredAntiAffinity.length > 0);
    },
    namespaceLabels: (ns) => namespaces[ns],
  };
}
