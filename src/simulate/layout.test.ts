import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  fleet,
  LEASE_WRITES_PER_SECOND,
  leaseTiming,
  nodeIp,
  nodeName,
  SIMULATED_LABEL,
  ZONE_LABEL,
  zoneName,
} from './layout.js';

describe('leaseTiming', () => {
  const cases: Array<[nodes: number, renewMs: number]> = [
    [1, 10_000],
    [20, 10_000],
    [2_500, 10_000],
    [3_000, 12_000],
    [5_000, 20_000],
    [50_000, 20_000],
  ];
  for (const [nodes, renewMs] of cases) {
    it(`${nodes} nodes renew every ${renewMs / 1000} s with a 40 s lease`, () => {
      assert.deepEqual(leaseTiming(nodes), { renewMs, durationSeconds: 40 });
    });
  }

  it('keeps 5,000 nodes at or under the write budget', () => {
    const { renewMs } = leaseTiming(5_000);
    assert.ok(5_000 / (renewMs / 1000) <= LEASE_WRITES_PER_SECOND);
  });
});

describe('fleet layout', () => {
  it('pads names so they sort in order', () => {
    assert.equal(nodeName('sim-', 7, 20), 'sim-07');
    assert.equal(nodeName('sim-', 7, 5000), 'sim-0007');
    assert.equal(nodeName('sim-', 4999, 5000), 'sim-4999');
    assert.equal(nodeName('n', 0, 1), 'n0');
  });

  it('makes up distinct addresses from 10.254.0.1', () => {
    assert.equal(nodeIp(0), '10.254.0.1');
    assert.equal(nodeIp(254), '10.254.0.255');
    assert.equal(nodeIp(255), '10.254.1.0');
    assert.equal(nodeIp(65535), '10.255.0.0');
    assert.throws(() => nodeIp(131_070), /no made-up address for node 131070/);
  });

  it('assigns zones round-robin and labels every node', () => {
    const nodes = fleet({ nodes: 7, namePrefix: 'sim-', zones: 3, renewMs: 10_000 });
    assert.deepEqual(
      nodes.map((n) => [n.name, n.zone]),
      [
        ['sim-0', 'zone-0'],
        ['sim-1', 'zone-1'],
        ['sim-2', 'zone-2'],
        ['sim-3', 'zone-0'],
        ['sim-4', 'zone-1'],
        ['sim-5', 'zone-2'],
        ['sim-6', 'zone-0'],
      ],
    );
    assert.deepEqual(nodes[4]!.labels, { [ZONE_LABEL]: 'zone-1', [SIMULATED_LABEL]: 'true' });
    assert.equal(zoneName(4, 1), 'zone-0');
  });

  it('spreads heartbeat phases evenly over the renewal interval', () => {
    const nodes = fleet({ nodes: 4, namePrefix: 'sim-', zones: 1, renewMs: 20_000 });
    assert.deepEqual(
      nodes.map((n) => n.phaseMs),
      [0, 5_000, 10_000, 15_000],
    );
  });

  it('gives each node its own stable machine id', () => {
    const a = fleet({ nodes: 3, namePrefix: 'sim-', zones: 1, renewMs: 10_000 });
    const b = fleet({ nodes: 3, namePrefix: 'sim-', zones: 1, renewMs: 10_000 });
    assert.deepEqual(
      a.map((n) => n.machineId),
      b.map((n) => n.machineId),
    );
    assert.equal(new Set(a.map((n) => n.machineId)).size, 3);
    assert.match(a[0]!.machineId, /^[0-9a-f]{32}$/);
  });
});
