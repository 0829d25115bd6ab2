import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import { gracePeriodMs, judgeHealth, type NodeHealth, observeHealth } from './health.js';

const T0 = 1_700_000_000_000;
const GRACE = 8000;

const condition = (type: string, status: string, heartbeat = '2026-01-01T00:00:00Z'): NodeCondition => ({
  type,
  status,
  reason: `agent-${type}`,
  message: 'from the agent',
  lastHeartbeatTime: heartbeat,
  lastTransitionTime: '2025-12-31T00:00:00Z',
});

const node = (conditions: NodeCondition[]): Node => ({
  metadata: { name: 'n1', creationTimestamp: '2025-12-30T00:00:00Z' },
  status: { conditions },
});

const healthyNode = (heartbeat?: string) =>
  node([
    condition('MemoryPressure', 'False', heartbeat),
    condition('DiskPressure', 'False', heartbeat),
    condition('PIDPressure', 'False', heartbeat),
    condition('Ready', 'True', heartbeat),
  ]);

const lease = (renewTime: string): Lease => ({ metadata: { name: 'n1' }, spec: { renewTime } });

describe('observeHealth: when was the node last seen alive (our clock)', () => {
  const seen: NodeHealth = { probeAt: T0, heartbeat: '2026-01-01T00:00:00Z', renewTime: 'r1' };
  const cases: { name: string; previous?: NodeHealth; node: Node; lease?: Lease; probeAt: number }[] = [
    { name: 'first sight counts as alive now', node: healthyNode(), lease: lease('r1'), probeAt: T0 + 5000 },
    {
      name: 'nothing changed: the old probe stands',
      previous: seen,
      node: healthyNode(),
      lease: lease('r1'),
      probeAt: T0,
    },
    {
      name: 'a renewed Lease is a sign of life',
      previous: seen,
      node: healthyNode(),
      lease: lease('r2'),
      probeAt: T0 + 5000,
    },
    {
      name: 'a new heartbeat in the status is a sign of life',
      previous: seen,
      node: healthyNode('2026-01-01T00:01:00Z'),
      lease: lease('r1'),
      probeAt: T0 + 5000,
    },
    {
      // The renewTime is compared for equality only: a Lease stamped in the "past" by a node whose
      // clock is behind still proves it is alive.
      name: 'a renewTime earlier than the last one still counts (clocks are not compared)',
      previous: seen,
      node: healthyNode(),
      lease: lease('r0'),
      probeAt: T0 + 5000,
    },
    { name: 'a Lease that disappears is a change', previous: seen, node: healthyNode(), probeAt: T0 + 5000 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(observeHealth(c.previous, c.node, c.lease, T0 + 5000).probeAt, c.probeAt);
    });
  }
});

describe('judgeHealth: Unknown after the grace period', () => {
  const health: NodeHealth = { probeAt: T0, heartbeat: '2026-01-01T00:00:00Z', renewTime: 'r1' };

  it('within the grace period nothing is written, and the next look is when it ends', () => {
    assert.deepEqual(judgeHealth(healthyNode(), health, T0 + 3000, GRACE), { recheckInMs: 5001 });
    assert.deepEqual(judgeHealth(healthyNode(), health, T0 + GRACE, GRACE), { recheckInMs: 1 });
  });

  it('past it, every agent-owned condition goes Unknown, heartbeat kept, transition now', () => {
    const v = judgeHealth(healthyNode(), health, T0 + GRACE + 1, GRACE);
    assert.ok(v.conditions);
    assert.equal(v.recheckInMs, undefined);
    for (const c of v.conditions) {
      assert.equal(c.status, 'Unknown', c.type);
      assert.equal(c.reason, 'NodeStatusUnknown');
      assert.equal(c.message, 'Agent stopped posting node status.');
      assert.equal(c.lastHeartbeatTime, '2026-01-01T00:00:00Z');
      assert.equal(c.lastTransitionTime, new Date(T0 + GRACE + 1).toISOString().slice(0, 19) + 'Z');
    }
    assert.deepEqual(
      v.conditions.map((c) => c.type),
      ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'],
    );
  });

  it('NetworkUnavailable (not the agent’s) is left as it is', () => {
    const n = node([condition('Ready', 'True'), condition('NetworkUnavailable', 'False')]);
    const v = judgeHealth(n, health, T0 + 60_000, GRACE);
    assert.equal(v.conditions?.find((c) => c.type === 'NetworkUnavailable')?.status, 'False');
  });

  it('conditions never posted are added as NodeStatusNeverUpdated', () => {
    const v = judgeHealth(node([condition('Ready', 'True')]), health, T0 + 60_000, GRACE);
    const mem = v.conditions?.find((c) => c.type === 'MemoryPressure');
    assert.equal(mem?.status, 'Unknown');
    assert.equal(mem?.reason, 'NodeStatusNeverUpdated');
    assert.equal(mem?.lastHeartbeatTime, '2025-12-30T00:00:00Z');
  });

  it('a node already all Unknown needs no write (and no timer: its next change wakes us)', () => {
    const once = judgeHealth(healthyNode(), health, T0 + 60_000, GRACE);
    const again = judgeHealth(node(once.conditions!), health, T0 + 70_000, GRACE);
    assert.deepEqual(again, {});
  });

  it('a silent node goes Unknown exactly one grace period after its last renewal was seen', () => {
    // The Lease renewed every 2 s until T0+4s, then the node died.
    let h: NodeHealth | undefined;
    const n = healthyNode();
    for (let t = 0; t <= 4000; t += 2000) h = observeHealth(h, n, lease(`r${t}`), T0 + t);
    const at = (ms: number) => judgeHealth(n, observeHealth(h, n, lease('r4000'), T0 + ms), T0 + ms, GRACE);
    assert.equal(at(4000 + GRACE).conditions, undefined);
    assert.ok(at(4000 + GRACE + 1).conditions);
  });
});

describe('gracePeriodMs', () => {
  it('is the configured one, or the Lease’s declared duration when longer', () => {
    const withDuration = (s?: number): Lease => ({
      spec: s === undefined ? {} : { leaseDurationSeconds: s },
    });
    assert.equal(gracePeriodMs(undefined, GRACE), GRACE);
    assert.equal(gracePeriodMs(withDuration(), GRACE), GRACE);
    assert.equal(gracePeriodMs(withDuration(8), GRACE), GRACE);
    assert.equal(gracePeriodMs(withDuration(40), GRACE), 40_000);
    assert.equal(gracePeriodMs(withDuration(8), 30_000), 30_000);
  });
});
