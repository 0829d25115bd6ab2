/**
 * The ingress controller against a real cluster (server + one agent on Docker serving Ingresses
 * on free loopback ports) through kubectl, as a user sees it: host and path rules, TLS chosen by
 * SNI from kubernetes.io/tls Secrets, a rolling update under load through the Ingress without a
 * failed request out of at least 10,000, and a canary Ingress with `shoal.dev/canary-weight: 20`
 * taking 20% ± 3% of 5,000 requests.
 *
 * Traffic goes only to loopback; every load loop is bounded in count and time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { certificateSubject } from '../../src/pki/cert-info.js';
import { createCertificateAuthority, issueServingCertificate } from '../../src/pki/certs.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { podReady } from '../support/cluster-probe.js';
import { get, runLoad, startLoad } from '../support/load.js';
import { freePorts } from '../support/ports.js';
import { type WebOptions, webDeployment, webService } from '../support/web.js';

const NS = 'shop';
let cluster: TestCluster;
let httpPort: number;
let httpsPort: number;

/** A web Deployment that rolls one surge pod at a time, and its Service. */
function web(name: string, replicas: number, extra: WebOptions = {}) {
  return [
    webDeployment({
      name,
      namespace: NS,
      replicas,
      image: cluster.image,
      ...extra,
      spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } },
    }),
    webService(name, NS),
  ];
}

function ingress(
  name: string,
  host: string,
  paths: Array<[string, string]>,
  extra: Record<string, unknown> = {},
) {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: NS, ...((extra.metadata as object) ?? {}) },
    spec: {
      ...((extra.spec as object) ?? {}),
      rules: [
        {
          host,
          http: {
            paths: paths.map(([path, service]) => ({
              path,
              pathType: 'Prefix',
              backend: { service: { name: service, port: { name: 'web' } } },
            })),
          },
        },
      ],
    },
  };
}

async function readyPods(app: string, count: number) {
  return cluster.eventually(`${count} ready ${app} pods`, async () => {
    const pods = (await cluster.livePods(NS, `app=${app}`)).filter(podReady);
    return pods.length === count ? pods : undefined;
  });
}

/** GET through the ingress with a Host header, once it answers 200. */
async function answer(host: string, path = '/'): Promise<string> {
  const res = await cluster.eventually(`an answer from ${host}${path} through the ingress`, async () => {
    const r = await get(`http://127.0.0.1:${httpPort}${path}`, { host }, 3_000).catch(() => undefined);
    return r?.status === 200 ? r : undefined;
  });
  return res.body.trim();
}

describe('ingress', { timeout: 300_000 }, () => {
  before(async () => {
    [httpPort, httpsPort] = (await freePorts(2)) as [number, number];
    cluster = await startCluster({
      agents: 1,
      nodePrefix: 'ing',
      agentArgs: ['--ingress-http-port', String(httpPort), '--ingress-https-port', String(httpsPort)],
    });
    await cluster.kubectl(['create', 'namespace', NS]);
  });

  after(async () => {
    await cluster?.stop();
  });

  it('routes by host and path, 404 where no rule matches', async () => {
    await cluster.apply(
      ...web('shop-a', 1),
      ...web('shop-b', 1),
      ingress('shop', 'shop.test', [
        ['/', 'shop-a'],
        ['/b', 'shop-b'],
      ]),
    );
    const [a] = await readyPods('shop-a', 1);
    const [b] = await readyPods('shop-b', 1);
    assert.equal(await answer('shop.test', '/'), a!.metadata!.name);
    assert.equal(await answer('shop.test', '/b/'), b!.metadata!.name);
    assert.equal(await answer('shop.test', '/bee/'), a!.metadata!.name, '/bee is not under the /b prefix');
    const missing = await get(`http://127.0.0.1:${httpPort}/`, { host: 'elsewhere.test' });
    assert.equal(missing.status, 404);
  });

  it('serves TLS with the certificate of the Secret the SNI name selects', async () => {
    const ca = await createCertificateAuthority();
    const secrets = [];
    for (const host of ['one.test', 'two.test']) {
      const cert = await issueServingCertificate(ca, {
        sans: { dnsNames: [host], ips: [] },
        commonName: host,
      });
      secrets.push({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/tls',
        metadata: { name: `${host.split('.')[0]}-tls`, namespace: NS },
        data: {
          'tls.crt': Buffer.from(cert.certPem).toString('base64'),
          'tls.key': Buffer.from(cert.keyPem).toString('base64'),
        },
      });
    }
    await cluster.apply(
      ...secrets,
      ...['one.test', 'two.test'].map((host) =>
        ingress(`tls-${host.split('.')[0]}`, host, [['/', 'shop-a']], {
          spec: { tls: [{ hosts: [host], secretName: `${host.split('.')[0]}-tls` }] },
        }),
      ),
    );
    for (const host of ['one.test', 'two.test']) {
      const subject = await cluster.eventually(`the ${host} certificate by SNI`, async () => {
        const cn = await peerCommonName(host).catch(() => undefined);
        return cn === host ? cn : undefined;
      });
      assert.equal(subject, host);
    }
  });

  it('loses no request out of 10,000+ during a rolling update through the Ingress', async (t) => {
    await cluster.apply(
      ...web('roll', 2, { preStopSeconds: 3 }),
      ingress('roll', 'roll.test', [['/', 'roll']]),
    );
    await readyPods('roll', 2);
    await answer('roll.test');
    const stop = new AbortController();
    const load = startLoad({
      url: `http://127.0.0.1:${httpPort}/`,
      headers: { host: 'roll.test' },
      count: 100_000,
      durationMs: 150_000,
      concurrency: 4,
      signal: stop.signal,
    });
    await cluster.kubectl(['set', 'env', '-n', NS, 'deployment/roll', 'VERSION=2']);
    await cluster.kubectl(['rollout', 'status', '-n', NS, 'deployment/roll', '--timeout=100s']);
    // The load goes on until the old pods are gone and at least 10,000 requests went out.
    await cluster.eventually(
      'the old pods gone and 10,000 requests sent',
      async () => {
        const pods = await cluster.pods(NS, 'app=roll');
        return pods.length === 2 && load.live.sent >= 10_000 ? true : undefined;
      },
      140_000,
    );
    stop.abort();
    const result = await load.done;
    t.diagnostic(`${result.sent} requests in ${result.elapsedMs} ms, ${result.failed} failed`);
    assert.ok(result.sent >= 10_000, `only ${result.sent} requests went out`);
    assert.equal(result.failed, 0, `failures: ${JSON.stringify([...result.failures])} of ${result.sent}`);
    assert.ok(
      result.bodies.size >= 4,
      `answers from old and new pods: ${[...result.bodies.keys()].join(', ')}`,
    );
  });

  it('sends a canary Ingress with weight 20 about 20% of 5,000 requests', async (t) => {
    await cluster.apply(
      ...web('stable', 1),
      ...web('canary', 1),
      ingress('stable', 'canary.test', [['/', 'stable']]),
      ingress('canary', 'canary.test', [['/', 'canary']], {
        metadata: { annotations: { 'shoal.dev/canary-weight': '20' } },
      }),
    );
    const [canary] = await readyPods('canary', 1);
    await readyPods('stable', 1);
    await cluster.eventually('both stable and canary answering', async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 40; i++) seen.add(await answer('canary.test'));
      return seen.size === 2 ? true : undefined;
    });
    const result = await runLoad({
      url: `http://127.0.0.1:${httpPort}/`,
      headers: { host: 'canary.test' },
      count: 5_000,
      durationMs: 120_000,
      concurrency: 4,
    });
    assert.equal(result.sent, 5_000);
    assert.equal(result.failed, 0, JSON.stringify([...result.failures]));
    const share = (result.bodies.get(canary!.metadata!.name!) ?? 0) / result.ok;
    t.diagnostic(`canary share ${(share * 100).toFixed(1)}% of ${result.ok}`);
    assert.ok(Math.abs(share - 0.2) <= 0.03, `canary got ${(share * 100).toFixed(1)}%`);
  });
});

function peerCommonName(servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port: httpsPort, servername, rejectUnauthorized: false },
      () => {
        const pem = `-----BEGIN CERTIFICATE-----\n${socket
          .getPeerCertificate()
          .raw.toString('base64')
          .replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
        socket.end();
        resolve(certificateSubject(pem).commonName);
      },
    );
    socket.setTimeout(3_000, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.on('error', reject);
  });
}
