import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_MEMORY_REQUEST,
  DEFAULT_MILLI_CPU_REQUEST,
  type NodeInfo,
  PodInfo,
  portsConflict,
} from './node-info.js';
import { makeNode, makePod, nodeInfo } from './testing.js';

describe('PodInfo requests', () => {
  it('sums containers and defaults requests to limits', () => {
    const pi = new PodInfo(
      makePod('p', {
        spec: {
          containers: [
            { name: 'a', resources: { requests: { cpu: '250m', memory: '64Mi' } } },
            { name: 'b', resources: { limits: { cpu: '1', 'nvidia.com/gpu': '1' } } },
          ],
        },
      }),
    );
    assert.equal(pi.requests.milliCpu, 1250);
    assert.equal(pi.requests.memory, 64 * 1024 * 1024);
    assert.equal(pi.requests.scalar['nvidia.com/gpu'], 1);
    assert.deepEqual(pi.nonZeroRequests, {
      milliCpu: 1250,
      memory: 64 * 1024 * 1024 + DEFAULT_MEMORY_REQUEST,
    });
  });

  it('takes the largest init container (with earlier sidecars) when it exceeds the containers', () => {
    const pi = new PodInfo(
      makePod('p', {
        spec: {
          initContainers: [
            { name: 'side', restartPolicy: 'Always', resources: { requests: { cpu: '100m' } } },
            { name: 'init', resources: { requests: { cpu: '2' } } },
          ],
          containers: [{ name: 'a', resources: { requests: { cpu: '500m' } } }],
          overhead: { cpu: '10m' },
        },
      }),
    );
    // max(500m + 100m sidecar, 2 + 100m sidecar) + 10m overhead
    assert.equal(pi.requests.milliCpu, 2110);
  });

  it('counts an empty pod at the scoring defaults', () => {
    const pi = new PodInfo(makePod('p'));
    assert.equal(pi.requests.milliCpu, 0);
    assert.deepEqual(pi.nonZeroRequests, {
      milliCpu: DEFAULT_MILLI_CPU_REQUEST,
      memory: DEFAULT_MEMORY_REQUEST,
    });
  });

  it('compiles affinity terms; a term without namespaces means the pod namespace', () => {
    const pi = new PodInfo(
      makePod('p', {
        namespace: 'shop',
        spec: {
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } } },
              ],
            },
          },
        },
      }),
    );
    assert.equal(pi.requiredAntiAffinityTerms.length, 1);
    assert.deepEqual([...pi.requiredAntiAffinityTerms[0]!.namespaces], ['shop']);
    assert.equal(pi.hasAffinityTerms, true);
  });
});

describe('NodeInfo', () => {
  it('tracks requested resources, ports and affinity pods as pods come and go', () => {
    const withPort = makePod('a', {
      spec: {
        containers: [
          {
            name: 'c',
            resources: { requests: { cpu: '1' } },
            ports: [{ containerPort: 80, hostPort: 8080 }],
          },
        ],
      },
    });
    const info = nodeInfo(
      makeNode('n', { cpu: '4', memory: '8Gi' }),
      withPort,
      makePod('b', { requests: { cpu: '500m' } }),
    );
    assert.equal(info.allocatable.milliCpu, 4000);
    assert.equal(info.allocatable.pods, 110);
    assert.equal(info.requested.milliCpu, 1500);
    assert.equal(info.usedPorts.length, 1);
    assert.equal(info.pods.length, 2);

    const uid = info.pods[0]!.uid;
    assert.equal(info.removePod(uid), true);
    assert.equal(info.removePod(uid), false);
    assert.equal(info.requested.milliCpu, 500);
    assert.equal(info.usedPorts.length, 0);
  });

  it('keeps its flat hot numbers equal to allocatable, requested and their difference', () => {
    const hot = (info: NodeInfo) => ({
      freePods: info.allocatable.pods - info.pods.length,
      freeMilliCpu: info.allocatable.milliCpu - info.requested.milliCpu,
      freeMemory: info.allocatable.memory - info.requested.memory,
      freeEphemeralStorage: info.allocatable.ephemeralStorage - info.requested.ephemeralStorage,
      allocatableMilliCpu: info.allocatable.milliCpu,
      allocatableMemory: info.allocatable.memory,
      requestedMilliCpu: info.requested.milliCpu,
      requestedMemory: info.requested.memory,
      nonZeroMilliCpu: info.nonZeroRequested.milliCpu,
      nonZeroMemory: info.nonZeroRequested.memory,
    });
    const flat = (info: NodeInfo) => ({
      freePods: info.freePods,
      freeMilliCpu: info.freeMilliCpu,
      freeMemory: info.freeMemory,
      freeEphemeralStorage: info.freeEphemeralStorage,
      allocatableMilliCpu: info.allocatableMilliCpu,
      allocatableMemory: info.allocatableMemory,
      requestedMilliCpu: info.requestedMilliCpu,
      requestedMemory: info.requestedMemory,
      nonZeroMilliCpu: info.nonZeroMilliCpu,
      nonZeroMemory: info.nonZeroMemory,
    });
    const big = makePod('a', { requests: { cpu: '1', memory: '1Gi', 'ephemeral-storage': '2Gi' } });
    const info = nodeInfo(makeNode('n', { cpu: '4', memory: '8Gi', ephemeralStorage: '10Gi', pods: 3 }), big);
    assert.deepEqual(flat(info), hot(info));
    assert.equal(info.freeMemory, 7 * 1024 ** 3);
    info.addPod(new PodInfo(makePod('empty')));
    assert.deepEqual(flat(info), hot(info));
    assert.equal(info.nonZeroMilliCpu, 1000 + DEFAULT_MILLI_CPU_REQUEST);
    info.setNode(makeNode('n', { cpu: '2', memory: '4Gi', pods: 2 }));
    assert.deepEqual(flat(info), hot(info));
    assert.equal(info.freePods, 0);
    info.removePod(info.pods[0]!.uid);
    assert.deepEqual(flat(info), hot(info));
    assert.equal(info.freeMilliCpu, 2000);
  });

  it('clones independently', () => {
    const info = nodeInfo(makeNode('n'), makePod('a', { requests: { cpu: '1' } }));
    const copy = info.clone();
    copy.removePod(info.pods[0]!.uid);
    assert.equal(info.pods.length, 1);
    assert.equal(info.requested.milliCpu, 1000);
    assert.equal(copy.requested.milliCpu, 0);
  });
});

describe('portsConflict', () => {
  it('treats 0.0.0.0 as every address', () => {
    const p = (hostIP: string, port = 80, protocol = 'TCP') => ({ hostIP, port, protocol });
    assert.equal(portsConflict(p('0.0.0.0'), p('10.0.0.1')), true);
    assert.equal(portsConflict(p('10.0.0.2'), p('10.0.0.1')), false);
    assert.equal(portsConflict(p('0.0.0.0'), p('0.0.0.0', 80, 'UDP')), false);
    assert.equal(portsConflict(p('0.0.0.0'), p('0.0.0.0', 81)), false);
  });
});
