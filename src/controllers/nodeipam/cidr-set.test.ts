import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node } from 'kubernetes-types/core/v1.js';
import { CidrSet, type ClusterCIDR, clusterCIDR } from './cidr-set.js';
import { planNodeCIDR } from './reconcile.js';

function cluster(cidr: string, mask: number): ClusterCIDR {
  const c = clusterCIDR(cidr, mask);
  if (typeof c === 'string') throw new Error(c);
  return c;
}

describe('clusterCIDR: the flags, checked together', () => {
  const ok: [string, number, number][] = [
    ['10.42.0.0/16', 24, 256],
    ['10.0.0.0/8', 24, 65536],
    ['192.168.0.0/24', 24, 1],
    ['172.16.0.0/20', 26, 64],
  ];
  for (const [cidr, mask, count] of ok) {
    it(`${cidr} /${mask} → ${count} ranges`, () =>
      assert.equal(new CidrSet(cluster(cidr, mask)).size, count));
  }
  const bad: [string, number, RegExp][] = [
    ['10.42.0.0', 24, /--cluster-cidr: expected an IPv4 CIDR such as 10.42.0.0\/16, got "10.42.0.0"/],
    ['10.42.0.0/33', 24, /expected an IPv4 CIDR/],
    ['fd00::/48', 64, /expected an IPv4 CIDR/],
    ['10.42.300.0/16', 24, /expected an IPv4 CIDR/],
    ['10.42.1.0/16', 24, /10.42.1.0\/16 has bits set beyond its \/16 prefix; did you mean 10.42.0.0\/16\?/],
    ['10.42.0.0/16', 8, /--node-cidr-mask-size: expected a whole number from 16 .* to 30, got 8/],
    ['10.42.0.0/16', 31, /--node-cidr-mask-size: expected a whole number from 16/],
    [
      '10.0.0.0/8',
      28,
      /cuts --cluster-cidr 10.0.0.0\/8 into 1048576 ranges; at most 65536 \(a mask size of at most 24\)/,
    ],
  ];
  for (const [cidr, mask, message] of bad) {
    it(`rejects ${cidr} /${mask}`, () => {
      const r = clusterCIDR(cidr, mask);
      assert.equal(typeof r, 'string');
      assert.match(r as string, message);
    });
  }
});

describe('CidrSet', () => {
  it('hands out ranges in order and none twice', () => {
    const set = new CidrSet(cluster('10.42.0.0/16', 24));
    assert.equal(set.allocateNext(), '10.42.0.0/24');
    assert.equal(set.allocateNext(), '10.42.1.0/24');
    assert.ok(set.occupy('10.42.2.0/24'));
    assert.equal(set.allocateNext(), '10.42.3.0/24');
    assert.equal(set.freeCount, 252);
  });

  it('ignores ranges that are not its own', () => {
    const set = new CidrSet(cluster('10.42.0.0/16', 24));
    for (const foreign of ['10.43.0.0/24', '10.42.0.0/25', '10.42.0.0/16', 'nonsense']) {
      assert.equal(set.occupy(foreign), false, foreign);
    }
    assert.equal(set.freeCount, 256);
  });

  it('runs out, and a released range is handed out again', () => {
    const set = new CidrSet(cluster('10.42.0.0/23', 24));
    assert.equal(set.allocateNext(), '10.42.0.0/24');
    assert.equal(set.allocateNext(), '10.42.1.0/24');
    assert.equal(set.allocateNext(), undefined);
    set.release('10.42.0.0/24');
    assert.equal(set.isTaken('10.42.0.0/24'), false);
    assert.equal(set.allocateNext(), '10.42.0.0/24');
  });

  it('rotates: a just-released range is not the next one given while others are free', () => {
    const set = new CidrSet(cluster('10.42.0.0/22', 24));
    assert.equal(set.allocateNext(), '10.42.0.0/24');
    set.release('10.42.0.0/24');
    assert.equal(set.allocateNext(), '10.42.1.0/24');
  });
});

describe('planNodeCIDR', () => {
  const node = (spec: Node['spec'] = {}): Node => ({ metadata: { name: 'n1' }, spec });
  const cases: {
    name: string;
    node: Node;
    taken?: string[];
    cluster?: [string, number];
    want: unknown;
    takenAfter?: string[];
  }[] = [
    {
      name: 'a node without a range gets the first free one, in both fields',
      node: node(),
      taken: ['10.42.0.0/24'],
      want: {
        action: 'assign',
        cidr: '10.42.1.0/24',
        spec: { podCIDR: '10.42.1.0/24', podCIDRs: ['10.42.1.0/24'] },
      },
    },
    {
      name: 'a node with podCIDRs keeps them, and they are marked taken',
      node: node({ podCIDR: '10.42.7.0/24', podCIDRs: ['10.42.7.0/24'] }),
      want: { action: 'none' },
      takenAfter: ['10.42.7.0/24'],
    },
    {
      name: 'only the old single podCIDR counts too',
      node: node({ podCIDR: '10.42.9.0/24' }),
      want: { action: 'none' },
      takenAfter: ['10.42.9.0/24'],
    },
    {
      name: 'exhausted: the Kubernetes event, no write',
      node: node(),
      cluster: ['10.42.0.0/24', 24],
      taken: ['10.42.0.0/24'],
      want: {
        action: 'exhausted',
        event: {
          type: 'Normal',
          reason: 'CIDRNotAvailable',
          message: 'Node n1 status is now: CIDRNotAvailable',
        },
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const set = new CidrSet(cluster(...(c.cluster ?? ['10.42.0.0/16', 24])));
      for (const t of c.taken ?? []) set.occupy(t);
      const plan = planNodeCIDR(c.node, set);
      const got =
        plan.action === 'assign' ? { action: plan.action, cidr: plan.cidr, spec: plan.node.spec } : plan;
      assert.deepEqual(got, c.want);
      for (const t of c.takenAfter ?? []) assert.ok(set.isTaken(t), t);
      if (plan.action === 'assign') assert.ok(set.isTaken(plan.cidr));
    });
  }
});
