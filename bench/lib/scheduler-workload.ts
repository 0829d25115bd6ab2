/**
 * The objects both scheduler benches create (bench/scheduler.ts through the API server,
 * bench/scheduler-cycle.ts straight into the scheduler cache), so their figures compare:
 * Kubernetes scheduler_perf's shapes with nodes of 32 CPUs / 256Gi / 110 pods over 3 zones and
 * pods requesting 100m / 128Mi. Their flags are parsed here too, so they mean the same in both.
 */
import { parseArgs } from 'node:util';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../src/api/object.js';
import { benchFail, positiveInt } from './fail.js';

const WORKLOADS = ['basic', 'spread', 'antiaffinity'] as const;
export type Workload = (typeof WORKLOADS)[number];

function isWorkload(name: string): name is Workload {
  return (WORKLOADS as readonly string[]).includes(name);
}

/** Both benches' flags, checked: --nodes N (5000), --pods N (10000), --workload (basic). */
export function parseWorkloadFlags(bench: string): { numNodes: number; numPods: number; workload: Workload } {
  const { values: flags } = parseArgs({
    options: {
      nodes: { type: 'string', default: '5000' },
      pods: { type: 'string', default: '10000' },
      workload: { type: 'string', default: 'basic' },
    },
  });
  const numNodes = positiveInt(bench, 'nodes', flags.nodes);
  const numPods = positiveInt(bench, 'pods', flags.pods);
  const workload = flags.workload ?? 'basic';
  if (!isWorkload(workload))
    return benchFail(bench, `--workload must be basic, spread or antiaffinity, got ${workload}`);
  if (workload === 'antiaffinity' && numPods > numNodes)
    benchFail(bench, '--workload antiaffinity places at most one pod per node: use --pods ≤ --nodes');
  return { numNodes, numPods, workload };
}

const ZONES = ['zone-a', 'zone-b', 'zone-c'];

export function benchNode(i: number): Node & KubeObject {
  const name = `node-${i}`;
  const capacity = { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': ZONES[i % ZONES.length]! },
    },
    status: { capacity, allocatable: capacity },
  };
}

/**
 * spread: hard topology spread over the zones (maxSkew 1, DoNotSchedule);
 * antiaffinity: required pod anti-affinity per hostname (one pod per node).
 */
export function benchPod(i: number, workload: Workload): Pod & KubeObject {
  const labels = { app: 'bench' };
  const selector = { matchLabels: labels };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod-${i}`, labels },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'registry.local/app:1',
          resources: { requests: { cpu: '100m', memory: '128Mi' } },
        },
      ],
      ...(workload === 'spread'
        ? {
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: 'topology.kubernetes.io/zone',
                whenUnsatisfiable: 'DoNotSchedule',
                labelSelector: selector,
              },
            ],
          }
        : {}),
      ...(workload === 'antiaffinity'
        ? {
            affinity: {
              podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                  { labelSelector: selector, topologyKey: 'kubernetes.io/hostname' },
                ],
              },
            },
          }
        : {}),
    },
  };
}
