import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostSnapshot } from './host-stats.js';
import { computeNodeStatus, normalizeArch, type StatusInput, statusChanged } from './node-status-compute.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function input(patch: (h: HostSnapshot) => void = () => undefined, runtimeProblem?: string): StatusInput {
  const host: HostSnapshot = {
    memory: { totalBytes: 4 * GiB, availableBytes: 2 * GiB },
    filesystem: { totalBytes: 100 * GiB, availableBytes: 50 * GiB },
    pids: { inUse: 100, max: 1000 },
    bootId: 'b',
    machineId: 'm',
    systemUuid: 'u',
    hostname: 'h',
  };
  patch(host);
  return {
    host,
    runtime: {
      runtimeVersion: 'docker://1',
      kernelVersion: 'k',
      osImage: 'o',
      operatingSystem: 'linux',
      architecture: 'aarch64',
      cpus: 2,
      memoryBytes: 4 * GiB,
    },
    runtimeProblem,
    port: 1,
    internalIps: [],
  };
}

const statusOf = (s: ReturnType<typeof computeNodeStatus>, type: string) =>
  s.conditions?.find((c) => c.type === type)?.status;

describe('computeNodeStatus', () => {
  const t1 = new Date('2026-01-01T00:00:00.700Z');
  const t2 = new Date('2026-01-01T00:00:10Z');

  it('applies the pressure thresholds at their edges', () => {
    const cases: [string, (h: HostSnapshot) => void, string, 'True' | 'False'][] = [
      ['memory just enough', (h) => (h.memory.availableBytes = 100 * MiB), 'MemoryPressure', 'False'],
      ['memory short', (h) => (h.memory.availableBytes = 100 * MiB - 1), 'MemoryPressure', 'True'],
      ['disk at 10%', (h) => (h.filesystem.availableBytes = 10 * GiB), 'DiskPressure', 'False'],
      ['disk under 10%', (h) => (h.filesystem.availableBytes = 10 * GiB - 1), 'DiskPressure', 'True'],
      ['pids at 5% left', (h) => (h.pids.inUse = 950), 'PIDPressure', 'False'],
      ['pids under 5% left', (h) => (h.pids.inUse = 951), 'PIDPressure', 'True'],
    ];
    for (const [name, patch, type, want] of cases) {
      assert.equal(statusOf(computeNodeStatus(input(patch), undefined, t1), type), want, name);
    }
  });

  it('moves lastTransitionTime only when a status changes; the heartbeat always', () => {
    const first = computeNodeStatus(input(), undefined, t1);
    const ready1 = first.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready1?.lastTransitionTime, '2026-01-01T00:00:00Z');
    const same = computeNodeStatus(input(), first, t2);
    assert.equal(statusChanged(first, same), false);
    assert.deepEqual(
      same.conditions?.map((c) => [c.lastHeartbeatTime, c.lastTransitionTime]),
      Array(4).fill(['2026-01-01T00:00:10Z', '2026-01-01T00:00:00Z']),
    );
    const down = computeNodeStatus(input(undefined, 'dockerd gone'), first, t2);
    assert.equal(statusChanged(first, down), true);
    const ready = down.conditions?.find((c) => c.type === 'Ready');
    assert.deepEqual(
      [ready?.status, ready?.reason, ready?.lastTransitionTime],
      ['False', 'KubeletNotReady', '2026-01-01T00:00:10Z'],
    );
    assert.match(ready?.message ?? '', /dockerd gone/);
  });

  it('reserves memory and disk from allocatable, and omits cpu the runtime never reported', () => {
    const s = computeNodeStatus(input(), undefined, t1);
    assert.deepEqual(s.allocatable, {
      cpu: '2',
      memory: `${4 * 1024 * 1024 - 100 * 1024}Ki`,
      'ephemeral-storage': `${90 * 1024 * 1024}Ki`,
      pods: '110',
    });
    assert.equal(s.nodeInfo?.architecture, 'arm64');
    const unknown = computeNodeStatus({ ...input(), runtime: undefined }, undefined, t1);
    assert.equal(unknown.capacity?.cpu, undefined);
    assert.equal(unknown.capacity?.memory, `${4 * 1024 * 1024}Ki`);
  });

  it('names architectures as Kubernetes does', () => {
    assert.deepEqual(['x86_64', 'x64', 'aarch64', 'arm64', 'armv7l'].map(normalizeArch), [
      'amd64',
      'amd64',
      'arm64',
      'arm64',
      'arm',
    ]);
  });
});
