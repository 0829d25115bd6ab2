import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { planServiceLBStatus } from './reconcile.js';

function node(ip: string, opts: { ready?: string; unschedulable?: boolean; type?: string } = {}): Node {
  return {
    metadata: { name: `n-${ip}` },
    spec: opts.unschedulable ? { unschedulable: true } : {},
    status: {
      conditions: [{ type: 'Ready', status: opts.ready ?? 'True' }],
      addresses: [
        { type: 'Hostname', address: `n-${ip}` },
        { type: opts.type ?? 'InternalIP', address: ip },
      ],
    },
  };
}

function svc(type: string, ingress?: string[], extra: Service['spec'] = {}): Service {
  return {
    metadata: { name: 'web', namespace: 'default' },
    spec: { type, ports: [{ port: 80 }], ...extra },
    status: { loadBalancer: ingress ? { ingress: ingress.map((ip) => ({ ip })) } : {} },
  };
}

describe('planServiceLBStatus', () => {
  const nodes = [node('10.0.0.10'), node('10.0.0.9'), node('10.0.0.11', { ready: 'False' })];
  const cases: { name: string; svc: Service; nodes: Node[]; want: string[] | 'unchanged' }[] = [
    {
      name: 'LoadBalancer: Ready nodes, numerically sorted',
      svc: svc('LoadBalancer'),
      nodes,
      want: ['10.0.0.9', '10.0.0.10'],
    },
    {
      name: 'already right: no write',
      svc: svc('LoadBalancer', ['10.0.0.9', '10.0.0.10']),
      nodes,
      want: 'unchanged',
    },
    {
      name: 'a cordoned node is left out',
      svc: svc('LoadBalancer', ['10.0.0.9', '10.0.0.10']),
      nodes: [node('10.0.0.9'), node('10.0.0.10', { unschedulable: true })],
      want: ['10.0.0.9'],
    },
    {
      name: 'nodes without an InternalIP, or Unknown, are left out',
      svc: svc('LoadBalancer'),
      nodes: [
        node('10.0.0.9', { ready: 'Unknown' }),
        node('1.2.3.4', { type: 'ExternalIP' }),
        node('10.0.0.5'),
      ],
      want: ['10.0.0.5'],
    },
    { name: 'no node serves: ingress cleared', svc: svc('LoadBalancer', ['10.0.0.9']), nodes: [], want: [] },
    { name: 'type changed away: cleared', svc: svc('ClusterIP', ['10.0.0.9']), nodes, want: [] },
    { name: 'ClusterIP without ingress: nothing to do', svc: svc('ClusterIP'), nodes, want: 'unchanged' },
    {
      name: 'another loadBalancerClass: not ours',
      svc: svc('LoadBalancer', undefined, { loadBalancerClass: 'example.com/lb' }),
      nodes,
      want: 'unchanged',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = planServiceLBStatus(c.svc, c.nodes);
      if (c.want === 'unchanged') return assert.equal(out, undefined);
      assert.ok(out);
      assert.deepEqual(
        (out.status?.loadBalancer?.ingress ?? []).map((i) => i.ip),
        c.want,
      );
      if (c.want.length === 0) assert.equal(out.status?.loadBalancer?.ingress, undefined);
      assert.deepEqual(out.spec, c.svc.spec);
    });
  }
});
