/**
 * The EndpointSlice, Endpoints and ServiceLB controllers together on an in-process API server:
 * what a Service's pods look like in its EndpointSlice and Endpoints as pods become Ready, lose
 * readiness and go away (the slice rewritten in place, never recreated); a Service without a
 * selector left alone; a LoadBalancer Service's ingress from the Ready nodes, cleared when its
 * type changes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Endpoints, Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../../api/object.js';
import { lookupResource } from '../../api/resources.js';
import type { Client } from '../../client/rest.js';
import { EndpointsController } from '../endpoints/controller.js';
import { PODS } from '../framework/pod-control.js';
import { startApi, type TestApi, until as untilWithin } from '../framework/testing.js';
import { ServiceLBController } from '../servicelb/controller.js';
import { EndpointSliceController, NODES, SERVICES } from './controller.js';

const SLICES = lookupResource('discovery.k8s.io', 'v1', 'endpointslices')!;
const ENDPOINTS = lookupResource('', 'v1', 'endpoints')!;
type Obj<T> = T & KubeObject;

/** A failing read (the Endpoints not made yet) is "not yet". */
const until = <T>(what: string, check: () => Promise<T | undefined | false>) =>
  untilWithin(what, check, { retryOnError: true });

describe('EndpointSlice + Endpoints + ServiceLB controllers (in-process API server)', () => {
  let api: TestApi;
  let client: Client;

  const slices = async (service: string) =>
    (
      await client.list<Obj<EndpointSlice>>(SLICES, 'default', {
        labelSelector: `kubernetes.io/service-name=${service}`,
      })
    ).items;
  /** "name=ready" per endpoint of the Service's slices, sorted. */
  const sliceView = async (service: string) =>
    (await slices(service))
      .flatMap((s) => s.endpoints ?? [])
      .map((e) => `${e.targetRef?.name}=${e.conditions?.ready}`)
      .sort()
      .join(' ');
  const endpointsView = async (service: string) => {
    const ep = await client.get<Obj<Endpoints>>(ENDPOINTS, 'default', service);
    const names = (list?: { targetRef?: { name?: string } }[]) =>
      (list ?? []).map((a) => a.targetRef?.name).join(',');
    return (ep.subsets ?? [])
      .map((s) => `ready:${names(s.addresses)} notReady:${names(s.notReadyAddresses)}`)
      .join(' | ');
  };

  async function setPod(name: string, ip: string, ready: boolean): Promise<void> {
    let pod: Obj<Pod>;
    try {
      pod = await client.get<Obj<Pod>>(PODS, 'default', name);
    } catch {
      pod = await client.create<Obj<Pod>>(PODS, 'default', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default', labels: { app: 'web' } },
        spec: {
          nodeName: 'n1',
          containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }],
        },
      });
    }
    await client.update(
      PODS,
      'default',
      {
        ...pod,
        status: {
          phase: 'Running',
          podIP: ip,
          podIPs: [{ ip }],
          conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
        },
      } as Obj<Pod>,
      { subresource: 'status' },
    );
  }

  async function setNode(name: string, ip: string, ready: boolean): Promise<void> {
    let node: Obj<Node>;
    try {
      node = await client.get<Obj<Node>>(NODES, undefined, name);
    } catch {
      node = await client.create<Obj<Node>>(NODES, undefined, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name },
        spec: {},
      });
    }
    await client.update(
      NODES,
      undefined,
      {
        ...node,
        status: {
          conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
          addresses: [{ type: 'InternalIP', address: ip }],
        },
      } as Obj<Node>,
      { subresource: 'status' },
    );
  }

  before(async () => {
    api = await startApi('endpointslice');
    client = api.client;
    await setNode('n1', '192.168.5.11', true);
    await setNode('n2', '192.168.5.2', true);
    api.runControllers([
      (ctx) => new EndpointSliceController(ctx),
      (ctx) => new EndpointsController(ctx),
      (ctx) => new ServiceLBController(ctx),
    ]);
  });

  after(() => api.close());

  it('a Service with no pods yet: one empty placeholder slice, an Endpoints without subsets', async () => {
    await client.create(SERVICES, 'default', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    const [s] = await until('the placeholder slice', async () => {
      const list = await slices('web');
      return list.length === 1 ? list : undefined;
    });
    assert.deepEqual(s?.endpoints ?? [], []);
    assert.equal(
      s?.metadata.labels?.['endpointslice.kubernetes.io/managed-by'],
      'endpointslice-controller.k8s.io',
    );
    assert.equal(s?.metadata.ownerReferences?.[0]?.kind, 'Service');
    assert.equal(
      await until('the Endpoints', () => endpointsView('web').then((v) => v === '' && 'empty')),
      'empty',
    );
  });

  it('two Ready pods: both ready in one slice (the placeholder, reused) and in Endpoints', async () => {
    const placeholder = (await slices('web'))[0]!.metadata.name;
    await setPod('p1', '10.42.0.11', true);
    await setPod('p2', '10.42.0.12', true);
    await until('both ready in the slice', async () => (await sliceView('web')) === 'p1=true p2=true');
    const list = await slices('web');
    assert.deepEqual(
      list.map((s) => s.metadata.name),
      [placeholder],
    );
    assert.deepEqual(list[0]?.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    await until('both in Endpoints', async () => (await endpointsView('web')) === 'ready:p1,p2 notReady:');
  });

  it('a pod loses readiness: rewritten in place, quickly', async () => {
    const before = (await slices('web'))[0]!;
    const started = Date.now();
    await setPod('p2', '10.42.0.12', false);
    await until('p2 not ready in the slice', async () => (await sliceView('web')) === 'p1=true p2=false');
    const took = Date.now() - started;
    assert.ok(took < 1000, `took ${took} ms`);
    const after = (await slices('web'))[0]!;
    assert.equal(after.metadata.uid, before.metadata.uid);
    await until(
      'p2 not ready in Endpoints',
      async () => (await endpointsView('web')) === 'ready:p1 notReady:p2',
    );
  });

  it('a deleted pod leaves both', async () => {
    await client.delete(PODS, 'default', 'p2', { gracePeriodSeconds: 0 });
    await until('p2 gone from the slice', async () => (await sliceView('web')) === 'p1=true');
    await until('p2 gone from Endpoints', async () => (await endpointsView('web')) === 'ready:p1 notReady:');
  });

  it('a Service without a selector is left alone', async () => {
    await client.create(SERVICES, 'default', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'manual', namespace: 'default' },
      spec: { ports: [{ port: 80 }] },
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await slices('manual'), []);
    await assert.rejects(client.get(ENDPOINTS, 'default', 'manual'), /not found/);
  });

  it('a LoadBalancer Service gets the Ready nodes as ingress; cleared when the type changes', async () => {
    const svc = await client.create<Obj<Service>>(SERVICES, 'default', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'lb', namespace: 'default' },
      spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    const ingress = async () =>
      ((await client.get<Obj<Service>>(SERVICES, 'default', 'lb')).status?.loadBalancer?.ingress ?? [])
        .map((i) => i.ip)
        .join(',');
    await until('both nodes', async () => (await ingress()) === '192.168.5.2,192.168.5.11');
    await setNode('n2', '192.168.5.2', false);
    await until('n2 out', async () => (await ingress()) === '192.168.5.11');
    const now = await client.get<Obj<Service>>(SERVICES, 'default', 'lb');
    await client.update(SERVICES, 'default', {
      ...now,
      spec: { ...now.spec, type: 'ClusterIP', ports: [{ port: 80, targetPort: 8080 }] },
    } as Obj<Service>);
    assert.equal(svc.metadata.name, 'lb');
    await until('cleared', async () => (await ingress()) === '' && 'yes');
  });
});
