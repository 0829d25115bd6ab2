/**
 * What a user sees of the service-networking controllers with kubectl, on a real server and agent
 * on Docker: the Node gets a pod CIDR; a Deployment's 2 pods behind a Service show in `kubectl get
 * endpointslices` and `kubectl get endpoints`; a pod whose readiness probe starts failing moves
 * out of ready within a few seconds (probe period 1 s, then the agent's status write and the
 * controllers' update); a LoadBalancer Service gets the node's address as its ingress.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Endpoints, Node, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { cidrContains, parseCidr } from '../../src/util/ipv4.js';
import { sleepingWorkload, startCluster, type TestCluster } from '../support/cluster.js';
import { webService } from '../support/web.js';

const NS = 'default';
const APP = 'ep-web';
let cluster: TestCluster;

async function getJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await cluster.kubectl([...args, '-o', 'json'])) as T;
}

const slices = async () =>
  (
    await getJson<{ items: EndpointSlice[] }>([
      'get',
      'endpointslices',
      '-n',
      NS,
      '-l',
      `kubernetes.io/service-name=${APP}`,
    ])
  ).items;

/** Pod name → ready, over the Service's slices. */
async function sliceReadiness(): Promise<Record<string, boolean>> {
  const out: Record<string, boolean> = {};
  for (const s of await slices()) {
    for (const e of s.endpoints ?? []) out[e.targetRef?.name ?? ''] = e.conditions?.ready === true;
  }
  return out;
}

describe('endpoints, EndpointSlices, pod CIDRs and LoadBalancer status (real Docker)', () => {
  before(async () => {
    cluster = await startCluster({ agents: 1, nodePrefix: 'e2e-ep' });
  });

  after(async () => {
    await cluster?.stop();
  });

  it("the node gets a /24 pod CIDR from the server's cluster CIDR", async () => {
    const name = cluster.agents[0]!.name;
    const node = await cluster.eventually('a pod CIDR', async () => {
      const n = await getJson<Node>(['get', 'node', name]);
      return n.spec?.podCIDR ? n : undefined;
    });
    const podCIDR = parseCidr(node.spec?.podCIDR ?? '');
    assert.equal(podCIDR.bits, 24);
    assert.ok(cidrContains(parseCidr(cluster.server.clusterCidr), podCIDR.base), `${node.spec?.podCIDR}`);
    assert.deepEqual(node.spec?.podCIDRs, [node.spec?.podCIDR]);
  });

  it('2 Ready pods behind a Service: 2 ready endpoints in the slice and in Endpoints', async () => {
    await cluster.apply(
      sleepingWorkload({
        kind: 'Deployment',
        name: APP,
        namespace: NS,
        replicas: 2,
        image: cluster.image,
        // Ready while /tmp/ready exists, so a test can take readiness away.
        container: {
          command: ['sh', '-c', 'touch /tmp/ready; exec sleep 3600'],
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1 },
        },
      }),
      webService(APP, NS),
    );
    const ready = await cluster.eventually(
      '2 ready endpoints',
      async () => {
        const r = await sliceReadiness();
        return Object.values(r).filter(Boolean).length === 2 ? r : undefined;
      },
      90_000,
    );
    assert.equal(Object.keys(ready).length, 2);
    const [slice] = await slices();
    assert.deepEqual(slice?.ports, [{ name: 'web', port: 8080, protocol: 'TCP' }]);
    assert.equal(slice?.addressType, 'IPv4');
    const pods = await cluster.livePods(NS, `app=${APP}`);
    assert.deepEqual(
      (slice?.endpoints ?? []).map((e) => e.addresses[0]).sort(),
      pods.map((p) => p.status?.podIP).sort(),
    );
    const ep = await cluster.eventually('2 addresses in Endpoints', async () => {
      const e = await getJson<Endpoints>(['get', 'endpoints', APP, '-n', NS]);
      return e.subsets?.[0]?.addresses?.length === 2 ? e : undefined;
    });
    assert.deepEqual(ep.subsets?.[0]?.ports, [{ name: 'web', port: 8080, protocol: 'TCP' }]);
    const table = await cluster.kubectl(['get', 'endpoints', APP, '-n', NS]);
    for (const p of pods) assert.ok(table.includes(`${p.status?.podIP}:8080`), table);
  });

  it('a pod that stops being Ready leaves ready within a few seconds', async () => {
    const [victim] = (await cluster.livePods(NS, `app=${APP}`)).map((p) => p.metadata?.name ?? '');
    assert.ok(victim);
    await cluster.kubectl(['exec', '-n', NS, victim, '--', 'rm', '/tmp/ready']);
    const started = Date.now();
    await cluster.eventually('the pod not ready in the slice', async () =>
      (await sliceReadiness())[victim] === false ? true : undefined,
    );
    const sliceMs = Date.now() - started;
    await cluster.eventually('the pod under notReadyAddresses', async () => {
      const e = await getJson<Endpoints>(['get', 'endpoints', APP, '-n', NS]);
      return e.subsets?.[0]?.notReadyAddresses?.some((a) => a.targetRef?.name === victim) ? true : undefined;
    });
    // Probe period 1 s + the agent's status write + the controller: well under 5 s.
    assert.ok(sliceMs < 5_000, `took ${sliceMs} ms`);
    const ready = await sliceReadiness();
    assert.equal(Object.values(ready).filter(Boolean).length, 1);
  });

  it('a LoadBalancer Service gets the node address as its ingress', async () => {
    await cluster.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `${APP}-lb`, namespace: NS },
      spec: { type: 'LoadBalancer', selector: { app: APP }, ports: [{ port: 80, targetPort: 'http' }] },
    });
    const node = await getJson<Node>(['get', 'node', cluster.agents[0]!.name]);
    const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    assert.ok(ip);
    const svc = await cluster.eventually('the ingress', async () => {
      const s = await getJson<Service>(['get', 'service', `${APP}-lb`, '-n', NS]);
      return s.status?.loadBalancer?.ingress?.length ? s : undefined;
    });
    assert.deepEqual(svc.status?.loadBalancer?.ingress, [{ ip }]);
  });
});
