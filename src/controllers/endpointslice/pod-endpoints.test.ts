import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { managesEndpoints, podEndpoint, serviceEndpoints } from './pod-endpoints.js';

function testPod(
  name: string,
  opts: {
    ip?: string;
    ready?: boolean;
    deleting?: boolean;
    phase?: string;
    labels?: Record<string, string>;
    ports?: { name: string; containerPort: number; protocol?: string }[];
    hostname?: string;
    subdomain?: string;
    node?: string;
  } = {},
): Pod {
  return {
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      labels: opts.labels ?? { app: 'web' },
      ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: {
      nodeName: opts.node ?? 'n1',
      ...(opts.hostname ? { hostname: opts.hostname } : {}),
      ...(opts.subdomain ? { subdomain: opts.subdomain } : {}),
      containers: [
        { name: 'c', image: 'busybox', ports: opts.ports ?? [{ name: 'http', containerPort: 8080 }] },
      ],
    },
    status: {
      phase: opts.phase ?? 'Running',
      ...(opts.ip === '' ? {} : { podIP: opts.ip ?? '10.42.0.5' }),
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

function testService(spec: Service['spec'] = {}): Service {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'svc-uid' },
    spec: {
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
      ...spec,
    },
  };
}

describe('which Services the endpoint controllers manage', () => {
  const cases: [string, Service['spec'], boolean][] = [
    ['a selector', { selector: { app: 'web' } }, true],
    ['no selector (user-managed)', { selector: undefined }, false],
    ['an empty selector (stored as none)', { selector: {} }, false],
    ['ExternalName', { type: 'ExternalName', externalName: 'example.com' }, false],
  ];
  for (const [name, spec, want] of cases)
    it(name, () => assert.equal(managesEndpoints(testService(spec)), want));
});

describe('podEndpoint: conditions as Kubernetes sets them', () => {
  const cases: {
    name: string;
    pod: Pod;
    svc?: Service['spec'];
    includeTerminating?: boolean;
    want: { ready: boolean; serving: boolean; terminating: boolean } | undefined;
  }[] = [
    { name: 'Ready', pod: testPod('a'), want: { ready: true, serving: true, terminating: false } },
    {
      name: 'not Ready',
      pod: testPod('a', { ready: false }),
      want: { ready: false, serving: false, terminating: false },
    },
    {
      name: 'not Ready, publishNotReadyAddresses',
      pod: testPod('a', { ready: false }),
      svc: { publishNotReadyAddresses: true },
      want: { ready: true, serving: true, terminating: false },
    },
    {
      name: 'terminating and still Ready: serving, not ready',
      pod: testPod('a', { deleting: true }),
      want: { ready: false, serving: true, terminating: true },
    },
    {
      name: 'terminating, not Ready',
      pod: testPod('a', { deleting: true, ready: false }),
      want: { ready: false, serving: false, terminating: true },
    },
    {
      name: 'terminating, for Endpoints: left out',
      pod: testPod('a', { deleting: true }),
      includeTerminating: false,
      want: undefined,
    },
    {
      name: 'terminating, for Endpoints, publishNotReadyAddresses: kept, ready',
      pod: testPod('a', { deleting: true }),
      svc: { publishNotReadyAddresses: true },
      includeTerminating: false,
      want: { ready: true, serving: true, terminating: true },
    },
    { name: 'no IP yet', pod: testPod('a', { ip: '' }), want: undefined },
    { name: 'an IPv6 IP only', pod: testPod('a', { ip: 'fd00::5' }), want: undefined },
    { name: 'Succeeded', pod: testPod('a', { phase: 'Succeeded' }), want: undefined },
    { name: 'Failed', pod: testPod('a', { phase: 'Failed', ready: false }), want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const ep = podEndpoint(testService(c.svc), c.pod, { includeTerminating: c.includeTerminating ?? true });
      assert.deepEqual(ep && { ready: ep.ready, serving: ep.serving, terminating: ep.terminating }, c.want);
    });
  }
});

describe('podEndpoint: ports, hostname, node, zone', () => {
  it('a named targetPort resolves per pod; a port the pod lacks is left out for that pod', () => {
    const svc = testService({
      ports: [
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
        { name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP' },
        { name: 'dns', port: 53, targetPort: 'http', protocol: 'UDP' },
        { name: 'raw', port: 81, targetPort: 8181, protocol: 'TCP', appProtocol: 'h2c' },
      ],
    });
    const ep = podEndpoint(svc, testPod('a', { ports: [{ name: 'http', containerPort: 8080 }] }), {
      includeTerminating: true,
    });
    assert.deepEqual(ep?.ports, [
      { name: 'http', port: 8080, protocol: 'TCP' },
      { name: 'raw', port: 8181, protocol: 'TCP', appProtocol: 'h2c' },
    ]);
  });

  it('hostname only when the subdomain is the Service; node, zone and targetRef', () => {
    const opts = { includeTerminating: true, zoneOf: (n: string) => (n === 'n1' ? 'zone-a' : undefined) };
    const mine = podEndpoint(testService(), testPod('a', { hostname: 'db-0', subdomain: 'web' }), opts);
    assert.deepEqual(
      { hostname: mine?.hostname, nodeName: mine?.nodeName, zone: mine?.zone, ref: mine?.targetRef },
      {
        hostname: 'db-0',
        nodeName: 'n1',
        zone: 'zone-a',
        ref: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' },
      },
    );
    const other = podEndpoint(
      testService(),
      testPod('a', { hostname: 'db-0', subdomain: 'other', node: 'n2' }),
      opts,
    );
    assert.equal(other?.hostname, undefined);
    assert.equal(other?.zone, undefined);
  });

  it('serviceEndpoints: only selected pods of the namespace, by name', () => {
    const pods = [
      testPod('c'),
      testPod('a'),
      testPod('b', { labels: { app: 'other' } }),
      { ...testPod('d'), metadata: { ...testPod('d').metadata, namespace: 'other' } },
    ];
    assert.deepEqual(
      serviceEndpoints(testService(), pods, { includeTerminating: true }).map((e) => e.targetRef.name),
      ['a', 'c'],
    );
  });
});
