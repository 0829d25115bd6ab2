import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { destinations, type SimPacket, simulate } from './rule-sim.js';
import {
  builtinJumps,
  chainPrefixFor,
  computeRules,
  type ProxyOptions,
  renderRestoreInput,
} from './rules.js';

const P = 'SHL-abc123';
const OPTIONS: ProxyOptions = {
  chainPrefix: P,
  clusterCIDR: '10.42.0.0/16',
  podCIDR: '10.42.1.0/24',
  hostAddresses: ['192.168.5.10'],
  localhostNodePorts: true,
};
const HOST = '192.168.5.10';
const LOCAL_POD = '10.42.1.50';
const OTHER_NODE_POD = '10.42.2.50';
const OUTSIDE = '198.51.100.7';
// Endpoints: two on this node, one on another.
const L1 = '10.42.1.5';
const L2 = '10.42.1.6';
const R1 = '10.42.2.5';

function service(name: string, spec: Service['spec'], status?: Service['status']): Service {
  return { metadata: { name, namespace: 'default' }, spec, ...(status ? { status } : {}) };
}

function slice(
  svc: string,
  endpoints: Endpoint[],
  ports: EndpointPort[] = [{ name: 'http', port: 8080 }],
  name = `${svc}-abc`,
): EndpointSlice {
  return {
    metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints,
    ports,
  };
}

const ep = (ip: string, conditions?: Endpoint['conditions']): Endpoint => ({
  addresses: [ip],
  ...(conditions ? { conditions } : {}),
});

const web = (extra: Partial<NonNullable<Service['spec']>> = {}, status?: Service['status']) =>
  service(
    'web',
    {
      type: 'NodePort',
      clusterIP: '10.43.0.10',
      ports: [{ name: 'http', port: 80, nodePort: 30080 }],
      ...extra,
    },
    status,
  );

interface Case {
  name: string;
  services: Service[];
  slices: EndpointSlice[];
  options?: Partial<ProxyOptions>;
  packet: Omit<SimPacket, 'localAddresses'>;
  /** Where the packet goes: `ip:port` → masqueraded?, or REJECT / DROP / none → false. */
  expect: Record<string, boolean>;
}

const toVip = { dst: '10.43.0.10', dport: 80 };
const toNodePort = { dst: HOST, dport: 30080 };
const threeEndpoints = [slice('web', [ep(L1), ep(L2), ep(R1)])];

const cases: Case[] = [
  {
    name: 'a pod calls the cluster IP: every ready endpoint, the caller keeps its address',
    services: [web()],
    slices: threeEndpoints,
    packet: { src: LOCAL_POD, ...toVip },
    expect: { [`${L1}:8080`]: false, [`${L2}:8080`]: false, [`${R1}:8080`]: false },
  },
  {
    name: 'not-ready endpoints get no traffic (ready unset counts as ready)',
    services: [web()],
    slices: [slice('web', [ep(L1, { ready: true }), ep(L2, { ready: false }), ep(R1)])],
    packet: { src: LOCAL_POD, ...toVip },
    expect: { [`${L1}:8080`]: false, [`${R1}:8080`]: false },
  },
  {
    name: 'with no ready endpoint, serving-terminating ones answer; terminated ones never',
    services: [web()],
    slices: [
      slice('web', [
        ep(L1, { ready: false, serving: true, terminating: true }),
        ep(L2, { ready: false, serving: false, terminating: true }),
      ]),
    ],
    packet: { src: LOCAL_POD, ...toVip },
    expect: { [`${L1}:8080`]: false },
  },
  {
    name: 'the target port comes from each slice by port name',
    services: [web()],
    slices: [
      slice('web', [ep(L1)], [{ name: 'http', port: 8080 }], 'web-a'),
      slice(
        'web',
        [ep(L2)],
        [
          { name: 'http', port: 9090 },
          { name: 'metrics', port: 1 },
        ],
        'web-b',
      ),
      slice('web', [ep(R1)], [{ name: 'other', port: 7070 }], 'web-c'),
    ],
    packet: { src: LOCAL_POD, ...toVip },
    expect: { [`${L1}:8080`]: false, [`${L2}:9090`]: false },
  },
  {
    name: 'a slice port of another protocol does not serve a TCP Service port',
    services: [web()],
    slices: [slice('web', [ep(L1)], [{ name: 'http', port: 8080, protocol: 'UDP' }])],
    packet: { src: LOCAL_POD, ...toVip },
    expect: { REJECT: false },
  },
  {
    name: 'UDP Services match UDP only',
    services: [web({ ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] })],
    slices: [slice('web', [ep(L1)], [{ name: 'dns', port: 5353, protocol: 'UDP' }])],
    packet: { src: LOCAL_POD, dst: '10.43.0.10', dport: 53, protocol: 'udp' },
    expect: { [`${L1}:5353`]: false },
  },
  {
    name: 'hairpin: an endpoint reaching itself through its Service is masqueraded, reaching others is not',
    services: [web()],
    slices: [slice('web', [ep(L1), ep(L2)])],
    packet: { src: L1, ...toVip },
    expect: { [`${L1}:8080`]: true, [`${L2}:8080`]: false },
  },
  {
    name: 'the node itself calls the cluster IP: masquerade only towards a remote endpoint',
    services: [web()],
    slices: threeEndpoints,
    packet: { src: HOST, ...toVip },
    expect: { [`${L1}:8080`]: false, [`${L2}:8080`]: false, [`${R1}:8080`]: true },
  },
  {
    name: 'an outside client on a node port keeps its address to local endpoints, not to remote ones',
    services: [web()],
    slices: threeEndpoints,
    packet: { src: OUTSIDE, ...toNodePort },
    expect: { [`${L1}:8080`]: false, [`${L2}:8080`]: false, [`${R1}:8080`]: true },
  },
  {
    name: "another node's pod on this node's node port: remote endpoints need masquerade (the reply would bypass us)",
    services: [web()],
    slices: threeEndpoints,
    packet: { src: OTHER_NODE_POD, ...toNodePort },
    expect: { [`${L1}:8080`]: false, [`${L2}:8080`]: false, [`${R1}:8080`]: true },
  },
  {
    name: "another node's pod on a cluster IP is left to its own agent's rules (agents sharing one machine)",
    services: [web()],
    slices: threeEndpoints,
    packet: { src: OTHER_NODE_POD, ...toVip },
    expect: { none: false },
  },
  {
    name: 'node port on 127.0.0.1: loopback-originated traffic is always masqueraded',
    services: [web()],
    slices: threeEndpoints,
    packet: { src: '127.0.0.1', dst: '127.0.0.1', dport: 30080 },
    expect: { [`${L1}:8080`]: true, [`${L2}:8080`]: true, [`${R1}:8080`]: true },
  },
  {
    name: 'localhost node ports off: 127.0.0.1 is left alone',
    services: [web()],
    slices: threeEndpoints,
    options: { localhostNodePorts: false },
    packet: { src: '127.0.0.1', dst: '127.0.0.1', dport: 30080 },
    expect: { none: false },
  },
  {
    name: 'externalTrafficPolicy Local: outside clients reach local endpoints only, unmasqueraded',
    services: [web({ externalTrafficPolicy: 'Local' })],
    slices: threeEndpoints,
    packet: { src: OUTSIDE, ...toNodePort },
    expect: { [`${L1}:8080`]: false, [`${L2}:8080`]: false },
  },
  {
    name: 'externalTrafficPolicy Local without a local endpoint: outside clients are dropped',
    services: [web({ externalTrafficPolicy: 'Local' })],
    slices: [slice('web', [ep(R1)])],
    packet: { src: OUTSIDE, ...toNodePort },
    expect: { DROP: false },
  },
  {
    name: 'externalTrafficPolicy Local without a local endpoint: pods still reach the Service by node port',
    services: [web({ externalTrafficPolicy: 'Local' })],
    slices: [slice('web', [ep(R1)])],
    packet: { src: LOCAL_POD, ...toNodePort },
    expect: { [`${R1}:8080`]: false },
  },
  {
    name: 'externalTrafficPolicy Local does not narrow the cluster IP',
    services: [web({ externalTrafficPolicy: 'Local' })],
    slices: threeEndpoints,
    packet: { src: LOCAL_POD, ...toVip },
    expect: { [`${L1}:8080`]: false, [`${L2}:8080`]: false, [`${R1}:8080`]: false },
  },
  {
    name: 'internalTrafficPolicy Local: the cluster IP picks local endpoints only',
    services: [web({ internalTrafficPolicy: 'Local' })],
    slices: threeEndpoints,
    packet: { src: LOCAL_POD, ...toVip },
    expect: { [`${L1}:8080`]: false, [`${L2}:8080`]: false },
  },
  {
    name: 'internalTrafficPolicy Local without a local endpoint: dropped',
    services: [web({ internalTrafficPolicy: 'Local' })],
    slices: [slice('web', [ep(R1)])],
    packet: { src: LOCAL_POD, ...toVip },
    expect: { DROP: false },
  },
  {
    name: 'internalTrafficPolicy Local leaves node ports on every endpoint',
    services: [web({ internalTrafficPolicy: 'Local' })],
    slices: [slice('web', [ep(R1)])],
    packet: { src: OUTSIDE, ...toNodePort },
    expect: { [`${R1}:8080`]: true },
  },
  {
    name: 'no endpoints: the cluster IP is rejected',
    services: [web()],
    slices: [],
    packet: { src: LOCAL_POD, ...toVip },
    expect: { REJECT: false },
  },
  {
    name: 'no ready endpoints: the node port is rejected',
    services: [web()],
    slices: [slice('web', [ep(L1, { ready: false })])],
    packet: { src: OUTSIDE, ...toNodePort },
    expect: { REJECT: false },
  },
  {
    name: 'ClusterIP Services have no node port',
    services: [web({ type: 'ClusterIP', ports: [{ name: 'http', port: 80 }] })],
    slices: threeEndpoints,
    packet: { src: OUTSIDE, ...toNodePort },
    expect: { none: false },
  },
  {
    name: 'LoadBalancer answers at its port on the host address',
    services: [web({ type: 'LoadBalancer' })],
    slices: [slice('web', [ep(L1)])],
    packet: { src: OUTSIDE, dst: HOST, dport: 80 },
    expect: { [`${L1}:8080`]: false },
  },
  {
    name: 'LoadBalancer answers at its port on 127.0.0.1, masqueraded',
    services: [web({ type: 'LoadBalancer' })],
    slices: [slice('web', [ep(L1)])],
    packet: { src: '127.0.0.1', dst: '127.0.0.1', dport: 80 },
    expect: { [`${L1}:8080`]: true },
  },
  {
    name: 'LoadBalancer answers on its status ingress IPs',
    services: [web({ type: 'LoadBalancer' }, { loadBalancer: { ingress: [{ ip: '203.0.113.9' }] } })],
    slices: [slice('web', [ep(L1)])],
    packet: { src: OUTSIDE, dst: '203.0.113.9', dport: 80 },
    expect: { [`${L1}:8080`]: false },
  },
  {
    name: 'LoadBalancer without endpoints rejects on the host address',
    services: [web({ type: 'LoadBalancer' })],
    slices: [],
    packet: { src: OUTSIDE, dst: HOST, dport: 80 },
    expect: { REJECT: false },
  },
  {
    name: 'a NodePort Service does not take its port on the host address',
    services: [web()],
    slices: [slice('web', [ep(L1)])],
    packet: { src: OUTSIDE, dst: HOST, dport: 80 },
    expect: { none: false },
  },
  {
    name: 'externalIPs answer at the port',
    services: [web({ externalIPs: ['203.0.113.20'] })],
    slices: [slice('web', [ep(R1)])],
    packet: { src: OUTSIDE, dst: '203.0.113.20', dport: 80 },
    expect: { [`${R1}:8080`]: true },
  },
  {
    name: 'headless Services get no rules',
    services: [web({ type: 'ClusterIP', clusterIP: 'None', ports: [{ name: 'http', port: 80 }] })],
    slices: threeEndpoints,
    packet: { src: LOCAL_POD, ...toVip },
    expect: { none: false },
  },
  {
    name: 'ExternalName Services get no rules',
    services: [web({ type: 'ExternalName', externalName: 'example.com' })],
    slices: threeEndpoints,
    packet: { src: OUTSIDE, ...toNodePort },
    expect: { none: false },
  },
  {
    name: "another Service's slices do not count",
    services: [web()],
    slices: [slice('api', [ep(L1)])],
    packet: { src: LOCAL_POD, ...toVip },
    expect: { REJECT: false },
  },
];

describe('computeRules: where a packet goes', () => {
  for (const c of cases) {
    it(c.name, () => {
      const rules = computeRules(c.services, c.slices, { ...OPTIONS, ...c.options });
      const outcomes = simulate(rules, P, { ...c.packet, localAddresses: [HOST] });
      const got = destinations(outcomes);
      assert.deepEqual(
        Object.fromEntries([...got].map(([k, v]) => [k, v.masquerade])),
        c.expect,
        `outcomes: ${JSON.stringify([...got])}`,
      );
      const total = [...got.values()].reduce((sum, v) => sum + v.probability, 0);
      assert.ok(Math.abs(total - 1) < 1e-9, `probabilities sum to ${total}`);
    });
  }
});

describe('computeRules: load balancing and affinity', () => {
  it('spreads evenly over n endpoints', () => {
    for (const n of [1, 2, 3, 5]) {
      const ips = Array.from({ length: n }, (_, i) => `10.42.1.${10 + i}`);
      const rules = computeRules(
        [web()],
        [
          slice(
            'web',
            ips.map((ip) => ep(ip)),
          ),
        ],
        OPTIONS,
      );
      const got = destinations(simulate(rules, P, { src: LOCAL_POD, ...toVip, localAddresses: [] }));
      assert.equal(got.size, n);
      for (const [, v] of got) assert.ok(Math.abs(v.probability - 1 / n) < 1e-6, `n=${n}: ${v.probability}`);
    }
  });

  it('ClientIP affinity: a remembered client goes back to its endpoint; a new one is remembered', () => {
    const rules = computeRules([web({ sessionAffinity: 'ClientIP' })], threeEndpoints, OPTIONS);
    const fresh = simulate(rules, P, { src: LOCAL_POD, ...toVip, localAddresses: [] });
    assert.equal(fresh.length, 3);
    for (const o of fresh) assert.equal(o.remembered.length, 1, 'the chosen endpoint remembers the client');
    const r1 = fresh.find((o) => o.dnat === `${R1}:8080`)!;
    const again = destinations(
      simulate(rules, P, { src: LOCAL_POD, ...toVip, localAddresses: [], recent: r1.remembered }),
    );
    assert.deepEqual([...again.keys()], [`${R1}:8080`]);
    assert.equal(again.get(`${R1}:8080`)?.probability, 1);
  });

  it('ClientIP affinity uses the configured timeout, else three hours', () => {
    const timeouts = (svc: Service) =>
      computeRules([svc], threeEndpoints, OPTIONS).nat.rules.flatMap((r) => {
        const m = / --seconds (\d+) /.exec(r);
        return m ? [Number(m[1])] : [];
      });
    assert.deepEqual(timeouts(web({ sessionAffinity: 'ClientIP' })), [10800, 10800, 10800]);
    assert.deepEqual(
      timeouts(
        web({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } }),
      ),
      [60, 60, 60],
    );
    assert.deepEqual(timeouts(web()), []);
  });

  it('writes the kube-proxy probabilities 1/(n-i)', () => {
    const rules = computeRules([web()], threeEndpoints, OPTIONS);
    const probabilities = rules.nat.rules.flatMap((r) => /--probability (\S+)/.exec(r)?.[1] ?? []);
    assert.deepEqual(probabilities, ['0.3333333333', '0.5000000000']);
  });
});

describe('computeRules: chains, base rules and output', () => {
  const everything = () =>
    computeRules(
      [
        web({ type: 'LoadBalancer', sessionAffinity: 'ClientIP', externalTrafficPolicy: 'Local' }),
        service('dns', { clusterIP: '10.43.0.53', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }),
        service('api', { clusterIP: '10.43.0.20', internalTrafficPolicy: 'Local', ports: [{ port: 443 }] }),
      ],
      [...threeEndpoints, slice('api', [ep(L1)], [{ port: 6443 }])],
      OPTIONS,
    );

  it('every chain carries the prefix and fits iptables (28 characters)', () => {
    const rules = everything();
    const chains = [...rules.nat.chains, ...rules.filter.chains];
    assert.ok(chains.length > 10);
    for (const chain of chains) {
      assert.ok(chain.startsWith(`${P}-`), chain);
      assert.ok(chain.length <= 28, `${chain} is ${chain.length} characters`);
    }
    for (const line of [...rules.nat.rules, ...rules.filter.rules]) {
      const target = /-j (\S+)/.exec(line)?.[1] ?? '';
      if (target.startsWith('SHL'))
        assert.ok([...rules.nat.chains, ...rules.filter.chains].includes(target), line);
    }
    assert.equal(new Set(rules.nat.chains).size, rules.nat.chains.length, 'no chain declared twice');
  });

  it('equal inputs in any order give the same rules', () => {
    const services = [web(), service('a', { clusterIP: '10.43.0.2', ports: [{ port: 1 }] })];
    const slices = [
      slice('web', [ep(R1), ep(L2)], undefined, 'web-1'),
      slice('web', [ep(L1)], undefined, 'web-2'),
    ];
    const one = computeRules(services, slices, OPTIONS).restoreInput;
    const two = computeRules([...services].reverse(), [...slices].reverse(), OPTIONS).restoreInput;
    assert.equal(one, two);
  });

  it('forwards pod traffic, masquerades pod traffic leaving the cluster network, marks for SNAT', () => {
    const { filter, nat } = computeRules([], [], OPTIONS);
    assert.ok(
      filter.rules.includes(
        `-A ${P}-FORWARD -m comment --comment "pod network egress" -s 10.42.0.0/16 -j ACCEPT`,
      ),
    );
    assert.ok(
      filter.rules.includes(
        `-A ${P}-FORWARD -m comment --comment "pod network ingress" -d 10.42.0.0/16 -j ACCEPT`,
      ),
    );
    assert.ok(
      nat.rules.includes(
        `-A ${P}-POSTROUTING -m comment --comment "pod traffic leaving the cluster network" -s 10.42.0.0/16 ! -d 10.42.0.0/16 -j MASQUERADE`,
      ),
    );
    assert.ok(nat.rules.includes(`-A ${P}-MARK-MASQ -j MARK --or-mark 0x4000`));
    assert.ok(nat.rules.includes(`-A ${P}-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN`));
    assert.equal(
      nat.rules.at(-1),
      `-A ${P}-SERVICES -m comment --comment "node ports on local addresses; keep this last" -m addrtype --dst-type LOCAL -j ${P}-NODEPORTS`,
    );
  });

  it('a custom masquerade bit changes the mark', () => {
    const { nat, filter } = computeRules([], [], { ...OPTIONS, masqueradeBit: 3 });
    assert.ok(nat.rules.includes(`-A ${P}-MARK-MASQ -j MARK --or-mark 0x8`));
    assert.ok(filter.rules.some((r) => r.includes('--mark 0x8/0x8 -j ACCEPT')));
  });

  it('localhost node ports need route_localnet and guard it', () => {
    const on = computeRules([], [], OPTIONS);
    assert.deepEqual(on.sysctls, { 'net.ipv4.conf.all.route_localnet': '1' });
    assert.ok(
      on.filter.rules.some(
        (r) => r.startsWith(`-A ${P}-INPUT`) && r.includes('-d 127.0.0.0/8 ! -s 127.0.0.0/8'),
      ),
    );
    const off = computeRules([], [], { ...OPTIONS, localhostNodePorts: false });
    assert.deepEqual(off.sysctls, {});
    assert.ok(!off.filter.rules.some((r) => r.includes('127.0.0.0/8')));
  });

  it('jumps from the built-in chains into ours', () => {
    const jumps = builtinJumps(P).map((j) => `${j.table} ${j.chain} -> ${j.args.at(-1)}`);
    assert.deepEqual(jumps, [
      `nat PREROUTING -> ${P}-SERVICES`,
      `nat OUTPUT -> ${P}-SERVICES`,
      `nat POSTROUTING -> ${P}-POSTROUTING`,
      `filter INPUT -> ${P}-INPUT`,
      `filter FORWARD -> ${P}-FORWARD`,
      `filter OUTPUT -> ${P}-OUTPUT`,
    ]);
  });

  it('renders restore input: chains declared, rules, stale chains deleted, one COMMIT per table', () => {
    const text = renderRestoreInput(
      { nat: { chains: [`${P}-A`], rules: [`-A ${P}-A -j RETURN`] }, filter: { chains: [], rules: [] } },
      { nat: [`${P}-A`, `${P}-OLD`], filter: [`${P}-GONE`] },
    );
    assert.equal(
      text,
      [
        '*filter',
        `:${P}-GONE - [0:0]`,
        `-X ${P}-GONE`,
        'COMMIT',
        '*nat',
        `:${P}-A - [0:0]`,
        `:${P}-OLD - [0:0]`,
        `-A ${P}-A -j RETURN`,
        `-X ${P}-OLD`,
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('warns about what it cannot proxy', () => {
    const { warnings } = computeRules(
      [
        service('v6', { clusterIP: 'fd00::1', ports: [{ port: 80 }] }),
        service('bad', { clusterIP: '10.43.0.9', ports: [{ port: 0 }] }),
      ],
      [],
      OPTIONS,
    );
    assert.deepEqual(warnings, [
      'service default/bad: port 0 is not a port number; skipped',
      'service default/v6: cluster IP fd00::1 is not IPv4; skipped',
    ]);
  });

  it('chainPrefixFor: SHL- and six hex digits, stable per seed', () => {
    assert.match(chainPrefixFor('node-1'), /^SHL-[0-9a-f]{6}$/);
    assert.equal(chainPrefixFor('node-1'), chainPrefixFor('node-1'));
    assert.notEqual(chainPrefixFor('node-1'), chainPrefixFor('node-2'));
  });
});

describe('computeRules: bad options say what is wrong', () => {
  const bad: [string, Partial<ProxyOptions>, RegExp][] = [
    [
      'a prefix too long for chain names',
      { chainPrefix: 'SHL-abcdefgh' },
      /chainPrefix "SHL-abcdefgh".*at most 11/,
    ],
    ['a prefix with odd characters', { chainPrefix: 'SHL x' }, /chainPrefix "SHL x"/],
    ['a malformed cluster CIDR', { clusterCIDR: '10.42.0.0' }, /clusterCIDR "10.42.0.0" is not an IPv4 CIDR/],
    ['a malformed pod CIDR', { podCIDR: '10.42.300.0/24' }, /podCIDR "10.42.300.0\/24"/],
    [
      'a pod CIDR outside the cluster CIDR',
      { podCIDR: '10.99.1.0/24' },
      /podCIDR 10.99.1.0\/24 is not inside clusterCIDR 10.42.0.0\/16/,
    ],
    ['a bad host address', { hostAddresses: ['localhost'] }, /host address "localhost"/],
    ['a bad masquerade bit', { masqueradeBit: 40 }, /masqueradeBit 40/],
  ];
  for (const [what, options, message] of bad)
    it(what, () => assert.throws(() => computeRules([], [], { ...OPTIONS, ...options }), message));
});
