import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../../api/object.js';
import type { PodEndpoint, ResolvedPort } from './pod-endpoints.js';
import { planSlices, sliceLabels, toSliceEndpoint } from './reconcile.js';

const svc: Service & KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default', uid: 'svc-uid', labels: { team: 'a' } },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
};
const HTTP: ResolvedPort[] = [{ name: 'http', port: 8080, protocol: 'TCP' }];
const ALT: ResolvedPort[] = [{ name: 'http', port: 9090, protocol: 'TCP' }];

function ep(n: number, opts: { ready?: boolean; ports?: ResolvedPort[] } = {}): PodEndpoint {
  const ready = opts.ready ?? true;
  return {
    ip: `10.42.0.${n}`,
    ready,
    serving: ready,
    terminating: false,
    nodeName: 'n1',
    targetRef: { kind: 'Pod', namespace: 'default', name: `p${n}`, uid: `u${n}` },
    ports: opts.ports ?? HTTP,
  };
}

const OWNER = [
  {
    apiVersion: 'v1',
    kind: 'Service',
    name: 'web',
    uid: 'svc-uid',
    controller: true,
    blockOwnerDeletion: true,
  },
];

function slice(
  name: string,
  eps: PodEndpoint[],
  ports: ResolvedPort[] = HTTP,
  extra: Partial<EndpointSlice> = {},
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      resourceVersion: '7',
      labels: sliceLabels(svc),
      ownerReferences: OWNER,
    },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ ...p })),
    endpoints: eps.map(toSliceEndpoint),
    ...extra,
  };
}

const range = (from: number, to: number, opts?: { ports?: ResolvedPort[] }) =>
  Array.from({ length: to - from + 1 }, (_, i) => ep(from + i, opts));

/** The plan as names and endpoint counts (new slices as "+N"). */
function summary(desired: PodEndpoint[], existing: EndpointSlice[], max = 3) {
  const p = planSlices(svc, desired, existing, max);
  const ids = (s: EndpointSlice) => (s.endpoints ?? []).map((e) => e.targetRef?.name).join(',');
  return {
    create: p.create.map((s) => `${ids(s)}@${s.ports?.[0]?.port ?? '-'}`),
    update: p.update.map((s) => `${s.metadata?.name}:${ids(s)}@${s.ports?.[0]?.port ?? '-'}`),
    delete: p.delete.map((s) => s.metadata?.name),
  };
}

describe('planSlices', () => {
  const cases: {
    name: string;
    desired: PodEndpoint[];
    existing: EndpointSlice[];
    want: ReturnType<typeof summary>;
  }[] = [
    {
      name: 'nothing yet: slices of at most 3 (the test maximum)',
      desired: range(1, 4),
      existing: [],
      want: { create: ['p1,p2,p3@8080', 'p4@8080'], update: [], delete: [] },
    },
    {
      name: 'nothing changed: no writes',
      desired: range(1, 2),
      existing: [slice('s1', range(1, 2))],
      want: { create: [], update: [], delete: [] },
    },
    {
      name: 'a readiness change rewrites that slice in place',
      desired: [ep(1), ep(2, { ready: false })],
      existing: [slice('s1', range(1, 2))],
      want: { create: [], update: ['s1:p1,p2@8080'], delete: [] },
    },
    {
      name: 'a new pod goes into the slice being rewritten anyway',
      desired: [ep(1, { ready: false }), ep(2), ep(3)],
      existing: [slice('s1', range(1, 2)), slice('s2', [ep(4)])],
      want: { create: [], update: ['s1:p1,p2,p3@8080'], delete: ['s2'] },
    },
    {
      name: 'a new pod goes into an untouched slice with room rather than a new slice',
      desired: range(1, 4),
      existing: [slice('s1', range(1, 3)), slice('s2', [])],
      want: { create: [], update: ['s2:p4@8080'], delete: [] },
    },
    {
      name: 'a new pod goes into an untouched slice with room when none is emptied',
      desired: range(1, 3),
      existing: [slice('s1', range(1, 2))],
      want: { create: [], update: ['s1:p1,p2,p3@8080'], delete: [] },
    },
    {
      name: 'different resolved ports: different slices',
      desired: [ep(1), ep(2, { ports: ALT })],
      existing: [],
      want: { create: ['p1@8080', 'p2@9090'], update: [], delete: [] },
    },
    {
      name: 'a pod whose port changed moves to a slice of its new port set',
      desired: [ep(1), ep(2, { ports: ALT })],
      existing: [slice('s1', range(1, 2))],
      want: { create: ['p2@9090'], update: ['s1:p1@8080'], delete: [] },
    },
    {
      name: 'all pods changed port: the slice is rewritten with the new ports, not replaced',
      desired: [ep(1, { ports: ALT })],
      existing: [slice('s1', [ep(1)])],
      want: { create: [], update: ['s1:p1@9090'], delete: [] },
    },
    {
      name: 'an endpoint listed twice is kept once',
      desired: [ep(1)],
      existing: [slice('s1', [ep(1)]), slice('s2', [ep(1)])],
      want: { create: [], update: [], delete: ['s2'] },
    },
    {
      name: 'no endpoints: one empty placeholder kept, the rest deleted',
      desired: [],
      existing: [slice('s1', [ep(1)]), slice('s2', [ep(2)])],
      want: { create: [], update: ['s1:@-'], delete: ['s2'] },
    },
    {
      name: 'no endpoints and no slices: the placeholder is created',
      desired: [],
      existing: [],
      want: { create: ['@-'], update: [], delete: [] },
    },
    {
      name: 'the placeholder takes the first endpoints',
      desired: [ep(1)],
      existing: [slice('s1', [], [])],
      want: { create: [], update: ['s1:p1@8080'], delete: [] },
    },
    {
      name: 'a slice of another address type is deleted',
      desired: [ep(1)],
      existing: [slice('s1', [ep(1)]), slice('s2', [], HTTP, { addressType: 'IPv6' })],
      want: { create: [], update: [], delete: ['s2'] },
    },
    {
      name: 'Service labels changed: slices rewritten',
      desired: [ep(1)],
      existing: [slice('s1', [ep(1)], HTTP, { metadata: { name: 's1', labels: { team: 'b' } } })],
      want: { create: [], update: ['s1:p1@8080'], delete: [] },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(summary(c.desired, c.existing), c.want));

  it('new slices: generateName, the labels, the Service as controller, IPv4, the endpoint fields', () => {
    const [s] = planSlices(svc, [{ ...ep(1), hostname: 'h', zone: 'z' }], []).create;
    assert.deepEqual(s, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        generateName: 'web-',
        namespace: 'default',
        labels: {
          team: 'a',
          'kubernetes.io/service-name': 'web',
          'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
        },
        ownerReferences: OWNER,
      },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [
        {
          addresses: ['10.42.0.1'],
          conditions: { ready: true, serving: true, terminating: false },
          hostname: 'h',
          targetRef: { kind: 'Pod', namespace: 'default', name: 'p1', uid: 'u1' },
          nodeName: 'n1',
          zone: 'z',
        },
      ],
    });
  });

  it('updates keep the slice identity (name, uid, resourceVersion)', () => {
    const [u] = planSlices(svc, [ep(1, { ready: false })], [slice('s1', [ep(1)])]).update;
    assert.deepEqual(
      [u?.metadata?.name, u?.metadata?.uid, u?.metadata?.resourceVersion],
      ['s1', 'uid-s1', '7'],
    );
  });

  it('a headless Service marks its slices', () => {
    assert.equal(sliceLabels({ ...svc, spec: { clusterIP: 'None' } })['service.kubernetes.io/headless'], '');
  });

  it('at most 100 endpoints per slice by default', () => {
    const plan = planSlices(svc, range(1, 250), []);
    assert.deepEqual(
      plan.create.map((s) => s.endpoints?.length),
      [100, 100, 50],
    );
  });
});
