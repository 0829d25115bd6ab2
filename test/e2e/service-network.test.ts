/**
 * Service networking against a real cluster (server + two agents on Docker, each with its own
 * pod network, cluster DNS and service proxy) as a user sees it through kubectl: pods get
 * addresses from their node's podCIDR and reach each other across nodes; a frontend finds the
 * backend by `backend`, `backend.NS` and the FQDN; the backend sees the frontend's own IP through
 * the ClusterIP; headless and ExternalName Services answer in DNS; NodePort and LoadBalancer
 * answer on 127.0.0.1; a backend pod deleted under 30 s of load costs no request.
 *
 * Traffic goes only to loopback and to the pods this test made; every loop is bounded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import { cidrContains, parseCidr, parseIPv4 } from '../../src/util/ipv4.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { podReady, sleeper } from '../support/cluster-probe.js';
import { get, runLoad } from '../support/load.js';
import { webDeployment, webService } from '../support/web.js';

const NS = 'netshop';
const DOMAIN = 'cluster.local';
let cluster: TestCluster;
let frontend: Pod;
let backends: Pod[];

const exec = (pod: string, command: string[]) => cluster.kubectl(['exec', '-n', NS, pod, '--', ...command]);
/**
 * GET `path` from `host:port` inside `pod`, the body returned. With nc, since the busybox test
 * image's static wget crashes (Debian's busybox-static 1.35); nc resolves names through the pod's
 * resolv.conf all the same.
 */
async function httpFrom(pod: string, host: string, path = '/', port = 80): Promise<string> {
  const request = `GET ${path} HTTP/1.0\\r\\nHost: ${host}\\r\\n\\r\\n`;
  const response = await exec(pod, ['sh', '-c', `printf '${request}' | nc -w 3 ${host} ${port}`]);
  const split = response.indexOf('\r\n\r\n');
  assert.ok(
    split > 0 && /^HTTP\/1\.[01] 200/.test(response),
    `GET http://${host}:${port}${path} from ${pod}: ${response}`,
  );
  return response.slice(split + 4).trim();
}

async function service(name: string): Promise<Service> {
  return JSON.parse(await cluster.kubectl(['get', 'service', '-n', NS, name, '-o', 'json'])) as Service;
}

describe('service networking', { timeout: 300_000 }, () => {
  before(async () => {
    cluster = await startCluster({ agents: 2, nodePrefix: 'net' });
    await cluster.kubectl(['create', 'namespace', NS]);
    await cluster.apply(
      webDeployment({
        name: 'backend',
        namespace: NS,
        replicas: 2,
        image: cluster.image,
        preStopSeconds: 4,
        podSpec: {
          // One backend per node, so traffic crosses nodes.
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'DoNotSchedule',
              labelSelector: { matchLabels: { app: 'backend' } },
            },
          ],
        },
      }),
      webService('backend', NS),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'backend-headless', namespace: NS },
        spec: { clusterIP: 'None', selector: { app: 'backend' }, ports: [{ name: 'web', port: 8080 }] },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'backend-alias', namespace: NS },
        spec: { type: 'ExternalName', externalName: `backend.${NS}.svc.${DOMAIN}` },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'frontend', namespace: NS },
        spec: { terminationGracePeriodSeconds: 1, containers: [sleeper(cluster.image, 'main')] },
      },
    );
    backends = await cluster.eventually('2 ready backends', async () => {
      const pods = (await cluster.livePods(NS, 'app=backend')).filter(podReady);
      return pods.length === 2 ? pods : undefined;
    });
    frontend = await cluster.eventually('the frontend running', async () => {
      const [pod] = await cluster.pods(NS, '!app');
      return pod && podReady(pod) ? pod : undefined;
    });
  });

  after(async () => {
    await cluster?.stop();
  });

  it('gives each node its own podCIDR and each pod an address from its node', async () => {
    const nodes = (JSON.parse(await cluster.kubectl(['get', 'nodes', '-o', 'json'])) as { items: Node[] })
      .items;
    const cidrs = nodes.map((n) => n.spec?.podCIDR);
    assert.equal(new Set(cidrs).size, 2, `distinct podCIDRs: ${cidrs.join(', ')}`);
    for (const pod of [...backends, frontend]) {
      const node = nodes.find((n) => n.metadata?.name === pod.spec?.nodeName)!;
      const ip = parseIPv4(pod.status?.podIP ?? '');
      assert.ok(ip !== undefined, `${pod.metadata?.name} has a podIP`);
      assert.ok(
        cidrContains(parseCidr(node.spec!.podCIDR!), ip),
        `${pod.metadata?.name} ${pod.status?.podIP} is in ${node.metadata?.name}'s ${node.spec?.podCIDR}`,
      );
    }
    assert.notEqual(backends[0]!.spec?.nodeName, backends[1]!.spec?.nodeName, 'one backend per node');
  });

  it("writes the pod's resolv.conf for cluster DNS", async () => {
    const resolv = await exec('frontend', ['cat', '/etc/resolv.conf']);
    assert.match(resolv, /^nameserver \d+\.\d+\.\d+\.\d+$/m);
    assert.match(resolv, new RegExp(`^search ${NS}\\.svc\\.${DOMAIN} svc\\.${DOMAIN} ${DOMAIN}`, 'm'));
    assert.match(resolv, /^options ndots:5$/m);
  });

  it('reaches the backend as backend, backend.NS and the FQDN, answered by both pods', async () => {
    const names = new Set(backends.map((p) => p.metadata?.name));
    const answered = new Set<string>();
    for (const host of ['backend', `backend.${NS}`, `backend.${NS}.svc.${DOMAIN}`]) {
      const body = await httpFrom('frontend', host);
      assert.ok(names.has(body), `${host} answered "${body}", not a backend pod name`);
      answered.add(body);
    }
    for (let i = 0; i < 30 && answered.size < 2; i++) answered.add(await httpFrom('frontend', 'backend'));
    assert.equal(answered.size, 2, `both backends answer through the ClusterIP: ${[...answered].join(', ')}`);
  });

  it("lets the backend see the caller's own pod IP through the ClusterIP, on either node", async () => {
    for (let i = 0; i < 6; i++) {
      // httpd spells an IPv4 caller as IPv4-mapped IPv6 ([::ffff:10.100.0.3]).
      const seen = (await httpFrom('frontend', 'backend', '/cgi-bin/ip')).replace(/^\[::ffff:(.*)\]$/, '$1');
      assert.equal(seen, frontend.status?.podIP);
    }
  });

  it('answers headless and ExternalName Services in DNS', async () => {
    const headless = await exec('frontend', ['nslookup', `backend-headless.${NS}.svc.${DOMAIN}`]);
    for (const pod of backends) assert.ok(headless.includes(pod.status!.podIP!), headless);
    const alias = await exec('frontend', ['nslookup', `backend-alias.${NS}.svc.${DOMAIN}`]);
    assert.ok(alias.includes((await service('backend')).spec!.clusterIP!), alias);
    const missing = await exec('frontend', [
      'sh',
      '-c',
      `nslookup nothing-here.${NS}.svc.${DOMAIN} 2>&1; true`,
    ]);
    assert.match(missing, /NXDOMAIN|can't find/i);
  });

  it('answers a NodePort and a LoadBalancer Service on 127.0.0.1', async () => {
    await cluster.apply(
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'backend-np', namespace: NS },
        spec: { type: 'NodePort', selector: { app: 'backend' }, ports: [{ port: 80, targetPort: 8080 }] },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'backend-lb', namespace: NS },
        spec: {
          type: 'LoadBalancer',
          selector: { app: 'backend' },
          ports: [{ port: 18_080, targetPort: 8080 }],
        },
      },
    );
    const nodePort = (await service('backend-np')).spec!.ports![0]!.nodePort!;
    const names = new Set(backends.map((p) => p.metadata?.name));
    const viaNodePort = await cluster.eventually(`an answer on 127.0.0.1:${nodePort}`, async () =>
      get(`http://127.0.0.1:${nodePort}/`).catch(() => undefined),
    );
    assert.ok(names.has(viaNodePort.body.trim()), viaNodePort.body);
    const lb = await cluster.eventually('the LoadBalancer status', async () => {
      const s = await service('backend-lb');
      return s.status?.loadBalancer?.ingress?.length ? s : undefined;
    });
    assert.deepEqual(lb.status?.loadBalancer?.ingress, [{ ip: '127.0.0.1' }]);
    const viaLb = await cluster.eventually('an answer on 127.0.0.1:18080', async () =>
      get('http://127.0.0.1:18080/').catch(() => undefined),
    );
    assert.ok(names.has(viaLb.body.trim()), viaLb.body);
  });

  it('loses no request when a backend pod is deleted under 30 s of load', async (t) => {
    const nodePort = (await service('backend-np')).spec!.ports![0]!.nodePort!;
    const load = runLoad({
      url: `http://127.0.0.1:${nodePort}/`,
      count: 150_000,
      durationMs: 30_000,
      concurrency: 2,
    });
    await new Promise((r) => setTimeout(r, 5_000));
    await cluster.kubectl(['delete', 'pod', '-n', NS, backends[0]!.metadata!.name!, '--wait=false']);
    const result = await load;
    t.diagnostic(
      `${result.sent} requests in ${result.elapsedMs} ms, ${result.failed} failed, answered by ${[...result.bodies.keys()].join(', ')}`,
    );
    assert.ok(result.sent >= 300, `only ${result.sent} requests in ${result.elapsedMs} ms`);
    assert.equal(result.failed, 0, `failures: ${JSON.stringify([...result.failures])} of ${result.sent}`);
    assert.ok(result.bodies.size >= 2, `answers from: ${[...result.bodies.keys()].join(', ')}`);
  });
});
