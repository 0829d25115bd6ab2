import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { PodEndpoint, ResolvedPort } from '../endpointslice/pod-endpoints.js';
import { endpointSubsets, planEndpoints } from './reconcile.js';

const svc = (spec: Service['spec'] = {}): Service => ({
  metadata: { name: 'web', namespace: 'default', labels: { team: 'a' } },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }], ...spec },
});
const HTTP: ResolvedPort[] = [{ name: 'http', port: 8080, protocol: 'TCP' }];

function ep(
  ip: string,
  opts: { ready?: boolean; ports?: ResolvedPort[]; hostname?: string } = {},
): PodEndpoint {
  const ready = opts.ready ?? true;
  return {
    ip,
    ready,
    serving: ready,
    terminating: false,
    nodeName: 'n1',
    ...(opts.hostname ? { hostname: opts.hostname } : {}),
    targetRef: { kind: 'Pod', namespace: 'default', name: `p-${ip}`, uid: `u-${ip}` },
    ports: opts.ports ?? HTTP,
  };
}

const ips = (subsets: ReturnType<typeof endpointSubsets>) =>
  subsets.map((s) => ({
    ready: (s.addresses ?? []).map((a) => a.ip),
    notReady: (s.notReadyAddresses ?? []).map((a) => a.ip),
    ports: (s.ports ?? []).map((p) => `${p.name ?? ''}:${p.port}`),
  }));

describe('endpointSubsets', () => {
  const cases: { name: string; svc: Service; eps: PodEndpoint[]; want: ReturnType<typeof ips> }[] = [
    {
      name: 'Ready and not Ready, each sorted by IP (numerically)',
      svc: svc(),
      eps: [ep('10.42.0.10'), ep('10.42.0.9'), ep('10.42.0.2', { ready: false })],
      want: [{ ready: ['10.42.0.9', '10.42.0.10'], notReady: ['10.42.0.2'], ports: ['http:8080'] }],
    },
    {
      name: 'pods resolving different ports: one subset per port set',
      svc: svc(),
      eps: [ep('10.42.0.1'), ep('10.42.0.2', { ports: [{ name: 'http', port: 9090, protocol: 'TCP' }] })],
      want: [
        { ready: ['10.42.0.1'], notReady: [], ports: ['http:8080'] },
        { ready: ['10.42.0.2'], notReady: [], ports: ['http:9090'] },
      ],
    },
    {
      name: 'a pod serving none of the ports is left out',
      svc: svc(),
      eps: [ep('10.42.0.1', { ports: [] })],
      want: [],
    },
    {
      name: 'a headless Service without ports lists bare addresses',
      svc: svc({ clusterIP: 'None', ports: [] }),
      eps: [ep('10.42.0.1', { ports: [] })],
      want: [{ ready: ['10.42.0.1'], notReady: [], ports: [] }],
    },
    { name: 'no pods: no subsets', svc: svc(), eps: [], want: [] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(ips(endpointSubsets(c.svc, c.eps)), c.want));

  it('addresses carry ip, hostname, nodeName and targetRef; unnamed ports have no name', () => {
    const subsets = endpointSubsets(svc({ ports: [{ port: 80 }] }), [
      ep('10.42.0.1', { hostname: 'h', ports: [{ name: '', port: 80, protocol: 'TCP' }] }),
    ]);
    assert.deepEqual(subsets, [
      {
        addresses: [
          {
            ip: '10.42.0.1',
            hostname: 'h',
            nodeName: 'n1',
            targetRef: { kind: 'Pod', namespace: 'default', name: 'p-10.42.0.1', uid: 'u-10.42.0.1' },
          },
        ],
        ports: [{ port: 80, protocol: 'TCP' }],
      },
    ]);
  });
});

describe('planEndpoints', () => {
  it('creates the object named after the Service, with its labels', () => {
    const plan = planEndpoints(svc({ clusterIP: 'None' }), [ep('10.42.0.1')], undefined);
    assert.equal(plan.action, 'create');
    assert.deepEqual(plan.action === 'create' && plan.endpoints.metadata, {
      name: 'web',
      namespace: 'default',
      labels: { team: 'a', 'service.kubernetes.io/headless': '' },
    });
  });

  it('no change: no write; a change: an update keeping the identity and annotations', () => {
    const created = planEndpoints(svc(), [ep('10.42.0.1')], undefined);
    assert.equal(created.action, 'create');
    const stored: Endpoints = {
      ...(created.action === 'create' ? created.endpoints : {}),
      metadata: {
        name: 'web',
        namespace: 'default',
        labels: { team: 'a' },
        resourceVersion: '5',
        annotations: { x: 'y' },
      },
    };
    assert.deepEqual(planEndpoints(svc(), [ep('10.42.0.1')], stored), { action: 'none' });
    const plan = planEndpoints(svc(), [ep('10.42.0.1', { ready: false })], stored);
    assert.equal(plan.action, 'update');
    if (plan.action !== 'update') return;
    assert.deepEqual(plan.endpoints.metadata, stored.metadata);
    assert.deepEqual(
      plan.endpoints.subsets?.[0]?.notReadyAddresses?.map((a) => a.ip),
      ['10.42.0.1'],
    );
  });
});
