/**
 * The node agent on the real Docker Engine, driven the way a user would: a real `shoal server`,
 * a real `shoal agent` process, pods created and inspected with the real kubectl. Pods are bound
 * to the node directly (spec.nodeName), as there is no scheduler yet.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { hostInterfaceName } from '../../src/network/pod-interfaces/veth.js';
import { getPod as getPodOf, kubectlOk, podReady, runtimeObjects } from '../support/cluster-probe.js';
import { ensureTestImage, uniqueNodeName } from '../support/docker.js';
import { eventuallyShowing } from '../support/eventually.js';
import { freePort } from '../support/ports.js';
import { type ShoalAgent, shoalAgent } from '../support/shoal-agent.js';
import { KUBECTL, type ShoalServer, startShoalServer } from '../support/shoal-server.js';

let server: ShoalServer;
let agent: ShoalAgent;
let image: string;
const NODE = uniqueNodeName('e2e-agent');
const NS = 'default';
const run = promisify(execFile);

/** Waits on the real agent: errors count as "not yet", and a timeout shows the agent's output. */
const eventually = eventuallyShowing({ agent: () => agent.output() }, { timeoutMs: 30_000, intervalMs: 250 });

const kubectl = (args: string[], input?: string) => kubectlOk(server, args, input);
const getPod = (name: string): Promise<Pod> => getPodOf(server, NS, name);
/** The IPv4 address lines of eth0 in pod duo, as its client container sees them. */
const duoEth0 = () =>
  kubectl(['exec', 'duo', '-c', 'client', '--', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']);

function podManifest(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: { nodeName: NODE, terminationGracePeriodSeconds: 5, ...spec },
  });
}

function container(name: string, script: string, extra: Record<string, unknown> = {}) {
  return { name, image, imagePullPolicy: 'Never', command: ['sh', '-c', script], ...extra };
}

async function createPod(name: string, spec: Record<string, unknown>): Promise<void> {
  await kubectl(['apply', '-f', '-'], podManifest(name, spec));
}

describe('agent on Docker', { timeout: 240_000 }, () => {
  before(async () => {
    image = await ensureTestImage();
    server = await startShoalServer();
    agent = shoalAgent(server, NODE);
    await agent.start();
    await eventually('the node to be Ready', async () => {
      const out = await kubectl([
        'get',
        'node',
        NODE,
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
      ]);
      return out === 'True' ? true : undefined;
    });
  });

  after(async () => {
    await agent?.stop();
    await server?.stop();
  });

  it('runs two containers that share localhost, with a readiness probe, and kubectl exec reaches them', async () => {
    await createPod('duo', {
      containers: [
        container(
          'web',
          'mkdir -p /tmp/www && echo hello-from-web > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www',
          {
            ports: [{ containerPort: 8080, name: 'http' }],
            readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 },
          },
        ),
        container('client', 'exec sleep 3600'),
      ],
    });
    const pod = await eventually('duo to be Ready', async () => {
      const p = await getPod('duo');
      return podReady(p) ? p : undefined;
    });
    assert.equal(pod.status?.phase, 'Running');
    assert.match(pod.status?.podIP ?? '', /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(pod.status?.hostIP, '127.0.0.1');
    assert.deepEqual(pod.status?.containerStatuses?.map((c) => c.name).sort(), ['client', 'web']);
    const out = await kubectl([
      'exec',
      'duo',
      '-c',
      'client',
      '--',
      'wget',
      '-q',
      '-O-',
      'http://127.0.0.1:8080/',
    ]);
    assert.equal(out.trim(), 'hello-from-web');
    const code = await server.kubectl(['exec', 'duo', '-c', 'client', '--', 'sh', '-c', 'exit 3']);
    assert.equal(code.code, 3);
  });

  it("gives a pod an eth0 of the agent's own in the node's range, its name in /etc/hosts; a hostPort pod answers on the host", async () => {
    const podCidr = await kubectl(['get', 'node', NODE, '-o', 'jsonpath={.spec.podCIDR}']);
    const [base, bits] = podCidr.split('/');
    assert.equal(bits, '24', `podCIDR ${podCidr}`);
    const prefix = base!.split('.').slice(0, 3).join('.');
    const duo = await getPod('duo');
    const ip = duo.status?.podIP ?? '';
    // The agent's pool: the range minus its last quarter (Docker's, for hostPort pods).
    assert.ok(ip.startsWith(`${prefix}.`) && Number(ip.split('.')[3]) < 192, `podIP ${ip} in ${podCidr}`);
    const eth0 = await duoEth0();
    assert.match(eth0, new RegExp(`inet ${ip.replaceAll('.', '\\.')}/24 `));
    const hosts = await kubectl(['exec', 'duo', '-c', 'client', '--', 'cat', '/etc/hosts']);
    assert.match(hosts, new RegExp(`^${ip.replaceAll('.', '\\.')}\\s+duo$`, 'm'));

    const hostPort = await freePort();
    await createPod('published', {
      containers: [
        container(
          'web',
          'mkdir -p /tmp/www && echo published > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www',
          {
            ports: [{ containerPort: 8080, hostPort }],
          },
        ),
      ],
    });
    const published = await eventually('published to be Ready', async () => {
      const p = await getPod('published');
      return podReady(p) ? p : undefined;
    });
    const publishedIp = published.status?.podIP ?? '';
    assert.ok(
      publishedIp.startsWith(`${prefix}.`) && Number(publishedIp.split('.')[3]) >= 192,
      `hostPort pod's IP ${publishedIp} in the last quarter of ${podCidr}`,
    );
    const body = await eventually(`127.0.0.1:${hostPort} to answer`, async () => {
      const res = await fetch(`http://127.0.0.1:${hostPort}/`).catch(() => undefined);
      return res?.ok ? res.text() : undefined;
    });
    assert.equal(body.trim(), 'published');
    await kubectl(['delete', 'pod', 'published', '--wait=true']);
  });

  it('restarts a container whose liveness probe fails, and says why in an Event', async () => {
    await createPod('sick', {
      containers: [
        container('app', 'touch /tmp/healthy; sleep 2; rm /tmp/healthy; exec sleep 3600', {
          livenessProbe: {
            exec: { command: ['cat', '/tmp/healthy'] },
            periodSeconds: 1,
            failureThreshold: 2,
          },
        }),
      ],
    });
    const pod = await eventually('a liveness restart', async () => {
      const p = await getPod('sick');
      return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? p : undefined;
    });
    assert.ok(pod.status?.containerStatuses?.[0]?.lastState?.terminated, 'lastState.terminated is set');
    const events = await eventually('the Unhealthy and Killing events', async () => {
      const out = await kubectl([
        'get',
        'events',
        '-n',
        NS,
        '--field-selector',
        'involvedObject.name=sick',
        '-o',
        'json',
      ]);
      const items = (JSON.parse(out) as { items: Array<{ reason: string; message: string }> }).items;
      const reasons = new Set(items.map((e) => e.reason));
      return reasons.has('Unhealthy') && reasons.has('Killing') ? items : undefined;
    });
    assert.ok(
      events.some(
        (e) => e.reason === 'Killing' && /failed liveness probe, will be restarted/.test(e.message),
      ),
    );
    assert.ok(events.some((e) => e.reason === 'Unhealthy' && /^Liveness probe failed/.test(e.message)));
  });

  it('shows an out-of-memory kill as OOMKilled', async () => {
    await createPod('hungry', {
      restartPolicy: 'Never',
      containers: [
        container('app', 'x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done', {
          resources: { limits: { memory: '16Mi' } },
        }),
      ],
    });
    const pod = await eventually('hungry to fail', async () => {
      const p = await getPod('hungry');
      return p.status?.phase === 'Failed' ? p : undefined;
    });
    assert.equal(pod.status?.containerStatuses?.[0]?.state?.terminated?.reason, 'OOMKilled');
    assert.equal(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 137);
  });

  it('backs off a crash loop: first restart at once, the next after 10 s, CrashLoopBackOff meanwhile', async () => {
    await createPod('crasher', { containers: [container('app', 'echo crashing; exit 1')] });
    const waiting = await eventually('CrashLoopBackOff', async () => {
      const p = await getPod('crasher');
      const s = p.status?.containerStatuses?.[0];
      return s?.state?.waiting?.reason === 'CrashLoopBackOff' ? s : undefined;
    });
    assert.equal(waiting.restartCount, 1);
    assert.match(
      waiting.state?.waiting?.message ?? '',
      /back-off 10s restarting failed container=app pod=crasher_default/,
    );
    const firstEnd = Date.parse(waiting.lastState?.terminated?.finishedAt ?? '');
    const restarted = await eventually(
      'the second restart',
      async () => {
        const s = (await getPod('crasher')).status?.containerStatuses?.[0];
        return (s?.restartCount ?? 0) >= 2 ? s : undefined;
      },
      25_000,
    );
    const secondStart = Date.parse(
      restarted.lastState?.terminated?.startedAt ?? restarted.state?.running?.startedAt ?? '',
    );
    const gap = (secondStart - firstEnd) / 1000;
    assert.ok(gap >= 9 && gap <= 13, `the second restart came ${gap}s after the crash, expected about 10s`);
  });

  it('passes ConfigMap and Secret values as env and files, and updates mounted files live', async () => {
    await kubectl([
      'create',
      'configmap',
      'app-config',
      '--from-literal=mode=blue',
      '--from-literal=greeting=hi',
    ]);
    await kubectl(['create', 'secret', 'generic', 'app-secret', '--from-literal=password=s3cret']);
    await createPod('configured', {
      containers: [
        container('app', 'exec sleep 3600', {
          env: [
            { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'mode' } } },
            { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'password' } } },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          ],
          volumeMounts: [
            { name: 'cfg', mountPath: '/etc/cfg' },
            { name: 'sec', mountPath: '/etc/sec' },
          ],
        }),
      ],
      volumes: [
        { name: 'cfg', configMap: { name: 'app-config' } },
        { name: 'sec', secret: { secretName: 'app-secret' } },
      ],
    });
    await eventually('configured to run', async () =>
      (await getPod('configured')).status?.phase === 'Running' ? true : undefined,
    );
    const env = await kubectl(['exec', 'configured', '--', 'sh', '-c', 'echo $MODE $PASSWORD $POD_NAME']);
    assert.equal(env.trim(), 'blue s3cret configured');
    assert.equal((await kubectl(['exec', 'configured', '--', 'cat', '/etc/cfg/mode'])).trim(), 'blue');
    assert.equal((await kubectl(['exec', 'configured', '--', 'cat', '/etc/sec/password'])).trim(), 's3cret');
    await kubectl(['patch', 'configmap', 'app-config', '--type', 'merge', '-p', '{"data":{"mode":"green"}}']);
    await eventually('the mounted file to change', async () => {
      const v = (await kubectl(['exec', 'configured', '--', 'cat', '/etc/cfg/mode'])).trim();
      return v === 'green' ? v : undefined;
    });
  });

  it('runs init containers first, and gives status.podIP to a container that asks for it', async () => {
    await createPod('ordered', {
      initContainers: [
        container('init', 'echo from-init > /work/mark', {
          volumeMounts: [{ name: 'w', mountPath: '/work' }],
        }),
      ],
      containers: [
        container('app', 'exec sleep 3600', {
          env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
          volumeMounts: [{ name: 'w', mountPath: '/work' }],
        }),
      ],
      volumes: [{ name: 'w', emptyDir: {} }],
    });
    const pod = await eventually('ordered to run', async () => {
      const p = await getPod('ordered');
      return p.status?.phase === 'Running' ? p : undefined;
    });
    const seen = await kubectl([
      'exec',
      'ordered',
      '-c',
      'app',
      '--',
      'sh',
      '-c',
      'echo $POD_IP $(cat /work/mark)',
    ]);
    assert.match(pod.status?.podIP ?? '', /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(seen.trim(), `${pod.status?.podIP} from-init`);
  });

  it('streams logs: --tail, and -f follows new lines', async () => {
    await createPod('talker', {
      containers: [container('app', 'i=0; while true; do i=$((i+1)); echo line-$i; sleep 0.2; done')],
    });
    await eventually('talker to have logged', async () => {
      const out = await kubectl(['logs', 'talker', '--tail', '2']);
      return out.trim().split('\n').length === 2 && out.includes('line-') ? out : undefined;
    });
    const follow = spawn(KUBECTL, ['logs', '-f', 'talker'], {
      env: { ...process.env, KUBECONFIG: server.kubeconfig, HOME: path.dirname(server.kubeconfig) },
    });
    let seen = '';
    follow.stdout.on('data', (d) => {
      seen += d;
    });
    try {
      const before = seen.length;
      await eventually(
        'followed lines',
        async () => {
          const lines = seen
            .slice(before)
            .split('\n')
            .filter((l) => l.startsWith('line-'));
          return lines.length >= 8 ? lines : undefined;
        },
        15_000,
      );
    } finally {
      follow.kill('SIGKILL');
    }
    const numbers = seen
      .split('\n')
      .filter((l) => l.startsWith('line-'))
      .map((l) => Number(l.slice(5)));
    assert.ok(
      numbers.every((n, i) => i === 0 || n === numbers[i - 1]! + 1),
      'lines arrive in order without gaps',
    );
  });

  it('survives kill -9 of the agent: its pods keep running, nothing restarts, readiness stays', async () => {
    const before = await getPod('duo');
    assert.ok(podReady(before));
    const ids = before.status?.containerStatuses?.map((c) => c.containerID).sort();
    await agent.kill9();
    await agent.start();
    // Give the new agent time to list, adopt and probe (several readiness periods).
    await new Promise((r) => setTimeout(r, 5000));
    const after = await getPod('duo');
    assert.ok(podReady(after), 'still Ready');
    assert.deepEqual(after.status?.containerStatuses?.map((c) => c.containerID).sort(), ids);
    assert.deepEqual(
      after.status?.containerStatuses?.map((c) => c.restartCount),
      before.status?.containerStatuses?.map((c) => c.restartCount),
    );
  });

  it('plumbs again, at its address, a sandbox an agent killed mid-start left without its interface', async () => {
    const before = await getPod('duo');
    const ids = before.status?.containerStatuses?.map((c) => c.containerID).sort();
    const sandbox =
      (await runtimeObjects(new Docker(), NODE, before.metadata?.uid ?? '')).find(
        (o) => o.kind === 'sandbox' && o.running,
      )?.id ?? '';
    assert.match(sandbox, /^[0-9a-f]{64}$/);
    // What an agent killed between starting the sandbox and plumbing it leaves: no veth (removing
    // the host end takes eth0 with it).
    await agent.kill9();
    await run('ip', ['link', 'del', hostInterfaceName(sandbox)]);
    await agent.start();
    const ip = before.status?.podIP ?? '';
    const eth0 = await eventually('eth0 back in duo', async () => {
      const out = await duoEth0();
      return out.includes(`inet ${ip}/24 `) ? out : undefined;
    });
    assert.match(eth0, /eth0/);
    const after = await eventually('duo Ready', async () => {
      const p = await getPod('duo');
      return podReady(p) ? p : undefined;
    });
    // The pod kept its sandbox, containers and address: nothing was restarted.
    assert.equal(after.status?.podIP, ip);
    assert.deepEqual(after.status?.containerStatuses?.map((c) => c.containerID).sort(), ids);
    assert.deepEqual(
      after.status?.containerStatuses?.map((c) => c.restartCount),
      before.status?.containerStatuses?.map((c) => c.restartCount),
    );
  });

  it('stops a deleted pod gracefully: the container sees SIGTERM before it stops', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-term-'));
    try {
      await createPod('graceful', {
        containers: [
          container('app', 'trap "echo got-TERM > /out/term; exit 0" TERM; while true; do sleep 0.2; done', {
            volumeMounts: [{ name: 'out', mountPath: '/out' }],
          }),
        ],
        volumes: [{ name: 'out', hostPath: { path: dir, type: 'Directory' } }],
      });
      await eventually('graceful to run', async () =>
        (await getPod('graceful')).status?.phase === 'Running' ? true : undefined,
      );
      await kubectl(['delete', 'pod', 'graceful', '--wait=true', '--timeout=30s']);
      assert.equal(fs.readFileSync(path.join(dir, 'term'), 'utf8').trim(), 'got-TERM');
      const r = await server.kubectl(['get', 'pod', 'graceful']);
      assert.notEqual(r.code, 0, 'the pod is gone from the API');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
