/**
 * `kubectl logs`, `exec` and `cp` through a real `shoal server` to a node agent endpoint running in
 * this process. The agent's runtime is a fake: exec runs the command as a local process whose
 * working directory stands in for the container's root, and logs are a fixed text (following adds
 * a line every 100 ms). A Node object points at the agent; pods are bound to it by spec.nodeName.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { LocateError } from '../../src/agent/container-locator.js';
import { type AgentServer, startAgentServer } from '../../src/agent/server.js';
import { issueServingCertificate, loadCertificateAuthority } from '../../src/pki/index.js';
import type { ExecSession, ExecStreamOptions, LogOptions } from '../../src/runtime/driver.js';
import { KUBECTL, type ShoalServer, startShoalServer } from '../support/shoal-server.js';

const NODE = 'fake-node';
const LOG_LINES: Array<[string, string]> = [
  ['2030-01-01T00:00:01.000000000Z', 'starting'],
  ['2030-01-01T00:00:02.000000000Z', 'listening on :8080'],
  ['2030-01-01T00:00:03.000000000Z', 'ready'],
];
/** Lines a follower gets after the fixed text, one every 100 ms. */
const FOLLOW_LINES = 50;

/** Follows whose reader went away, as the agent saw it (its signal aborted). */
let followsStopped = 0;
let shoal: ShoalServer;
let agent: AgentServer;
let root: string;
let work: string;

function fakeLogs(_id: string, options: LogOptions): Promise<Readable> {
  let lines = LOG_LINES.filter(([ts]) => !options.since || Date.parse(ts) >= options.since.getTime());
  if (options.tail !== undefined) lines = lines.slice(lines.length - Math.min(options.tail, lines.length));
  const text = lines.map(([ts, line]) => (options.timestamps ? `${ts} ${line}\n` : `${line}\n`)).join('');
  if (!options.follow) return Promise.resolve(Readable.from([Buffer.from(text)]));
  options.signal?.addEventListener('abort', () => followsStopped++, { once: true });
  async function* follow() {
    yield Buffer.from(text);
    for (let i = 1; i <= FOLLOW_LINES; i++) {
      await delay(100, undefined, { signal: options.signal });
      yield Buffer.from(`tick ${i}\n`);
    }
  }
  return Promise.resolve(Readable.from(follow()));
}

/** The "container" is a local process in `root`. */
function fakeExec(_id: string, options: ExecStreamOptions): Promise<ExecSession> {
  const child = spawn(options.command[0]!, options.command.slice(1), { cwd: root, stdio: 'pipe' });
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 + os.constants.signals[signal] : 1)));
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () =>
      resolve({
        stdin: child.stdin,
        stdout: child.stdout,
        stderr: child.stderr,
        resize: async () => undefined,
        wait: () => exited,
      }),
    );
  });
}

async function kubectl(args: string[], input?: string) {
  return shoal.kubectl(args, { ...(input !== undefined ? { input } : {}), timeoutMs: 30_000 });
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

before(async () => {
  shoal = await startShoalServer();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-e2e-root-'));
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-e2e-work-'));
  const pki = path.join(shoal.dataDir, 'pki');
  const ca = await loadCertificateAuthority(
    fs.readFileSync(path.join(pki, 'ca.crt'), 'utf8'),
    fs.readFileSync(path.join(pki, 'ca.key'), 'utf8'),
  );
  const serving = await issueServingCertificate(ca, {
    sans: { ips: ['127.0.0.1'], dnsNames: [] },
    commonName: `system:node:${NODE}`,
  });
  agent = await startAgentServer({
    host: '127.0.0.1',
    port: 0,
    tlsKeyPem: serving.keyPem,
    tlsCertPem: serving.certPem,
    caPem: ca.certPem,
    locator: {
      async resolve(namespace, pod, container) {
        if (namespace !== 'default' || pod !== 'web') throw new LocateError(404, `pods "${pod}" not found`);
        return { containerId: `fake-${container}`, tty: false };
      },
    },
    driver: {
      logs: fakeLogs,
      execStream: fakeExec,
      // The container's main process, as attach meets it: it greets, then echoes its input.
      attach: (id, options) => fakeExec(id, { ...options, command: ['sh', '-c', 'echo attached; cat'] }),
    },
  });
  const objects = [
    {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: NODE },
      status: {
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
        daemonEndpoints: { kubeletEndpoint: { Port: agent.port } },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default' },
      spec: { nodeName: NODE, containers: [{ name: 'app', image: 'registry.local/app:1' }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'two', namespace: 'default' },
      spec: {
        nodeName: NODE,
        containers: [
          { name: 'a', image: 'registry.local/app:1' },
          { name: 'b', image: 'registry.local/app:1' },
        ],
      },
    },
    {
      // Nothing listens on port 1: the agent of this node is unreachable.
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'dead-node' },
      status: {
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
        daemonEndpoints: { kubeletEndpoint: { Port: 1 } },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'stranded', namespace: 'default' },
      spec: { nodeName: 'dead-node', containers: [{ name: 'app', image: 'registry.local/app:1' }] },
    },
    {
      // No scheduler picks this one up: it stays unscheduled.
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pending', namespace: 'default' },
      spec: { schedulerName: 'nobody', containers: [{ name: 'app', image: 'registry.local/app:1' }] },
    },
  ];
  await ok(['create', '-f', '-'], objects.map((o) => JSON.stringify(o)).join('\n'));
});

after(async () => {
  await agent?.close();
  await shoal?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('kubectl logs', { timeout: 60_000 }, () => {
  it('prints the container output, --tail, --timestamps and --since-time', async () => {
    assert.equal(await ok(['logs', 'web']), 'starting\nlistening on :8080\nready\n');
    assert.equal(await ok(['logs', 'web', '--tail=1']), 'ready\n');
    assert.equal(
      await ok(['logs', 'web', '--tail=1', '--timestamps']),
      '2030-01-01T00:00:03.000000000Z ready\n',
    );
    assert.equal(
      await ok(['logs', 'web', '-c', 'app', '--since-time=2030-01-01T00:00:02Z']),
      'listening on :8080\nready\n',
    );
  });

  it('follows with -f until kubectl is stopped', async () => {
    const child = spawn(KUBECTL, ['logs', '-f', 'web'], {
      env: { ...process.env, KUBECONFIG: shoal.kubeconfig, HOME: path.dirname(shoal.kubeconfig) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    const deadline = Date.now() + 20_000;
    while (!out.includes('tick 3\n') && Date.now() < deadline && child.exitCode === null) await delay(50);
    const stillRunning = child.exitCode === null;
    child.kill('SIGTERM');
    assert.ok(stillRunning, `kubectl logs -f exited early (${child.exitCode}): ${out}`);
    assert.match(out, /^starting\nlistening on :8080\nready\ntick 1\ntick 2\ntick 3\n/);
    // kubectl's going away reaches the agent through the API server, which stops following.
    const until = Date.now() + 10_000;
    while (followsStopped === 0 && Date.now() < until) await delay(50);
    assert.equal(followsStopped, 1);
  });

  it('answers Kubernetes errors for bad requests', async () => {
    let r = await kubectl(['logs', 'pending']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pod pending does not have a host assigned/);
    r = await kubectl(['logs', 'web', '-c', 'nope']);
    assert.match(r.stderr, /container nope is not valid for pod web/);
    r = await kubectl(['get', '--raw', '/api/v1/namespaces/default/pods/two/log']);
    assert.match(r.stderr, /a container name must be specified for pod two, choose one of: \[a b\]/);
    r = await kubectl(['get', '--raw', '/api/v1/namespaces/default/pods/web/log?tailLines=-2']);
    assert.match(r.stderr, /tailLines: Invalid value: -2: must be greater than or equal to 0/);
  });
});

describe('kubectl exec and cp', { timeout: 90_000 }, () => {
  it('runs a command and prints its output', async () => {
    assert.equal(await ok(['exec', 'web', '--', 'echo', 'hi']), 'hi\n');
  });

  it('exits with the command exit code', async () => {
    const r = await kubectl(['exec', 'web', '--', 'sh', '-c', 'echo bad >&2; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /bad/);
    assert.match(r.stderr, /command terminated with exit code 3/);
  });

  it('passes stdin through and ends it', async () => {
    assert.equal(await ok(['exec', '-i', 'web', '--', 'cat'], 'data\nmore\n'), 'data\nmore\n');
  });

  it('attaches to the main process with kubectl attach -i', async () => {
    assert.equal(await ok(['attach', '-i', 'web'], 'typed\n'), 'attached\ntyped\n');
  });

  it('copies a file into the container and back', async () => {
    const local = path.join(work, 'upload.txt');
    fs.writeFileSync(local, 'payload 1234\n');
    // Relative paths in the pod resolve against the fake container's root (the exec cwd).
    await ok(['cp', local, 'web:uploaded.txt']);
    assert.equal(fs.readFileSync(path.join(root, 'uploaded.txt'), 'utf8'), 'payload 1234\n');
    const back = path.join(work, 'download.txt');
    await ok(['cp', 'web:uploaded.txt', back]);
    assert.equal(fs.readFileSync(back, 'utf8'), 'payload 1234\n');
  });

  it('refuses an unscheduled pod with the Kubernetes message', async () => {
    const r = await kubectl(['exec', 'pending', '--', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pod pending does not have a host assigned/);
  });

  it('authenticates upgrade requests like any other', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(
        `${shoal.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/web/exec?command=true&stdout=1`,
        ['v5.channel.k8s.io'],
        { ca: fs.readFileSync(path.join(shoal.dataDir, 'pki', 'ca.crt')) },
      );
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('an anonymous exec was let in')));
      ws.on('error', reject);
    });
    assert.equal(status, 401);
  });

  it('names the node whose agent cannot be reached', async () => {
    for (const args of [
      ['exec', 'stranded', '--', 'true'],
      ['logs', 'stranded'],
    ]) {
      const r = await kubectl(args);
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        /ServiceUnavailable.*unable to reach the agent of node "dead-node" at 127\.0\.0\.1:1/,
      );
    }
  });

  it("reports a container the agent cannot find (also on kubectl's SPDY retry)", async () => {
    const r = await kubectl(['exec', 'two', '-c', 'b', '--', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /NotFound.*pods "two" not found/);
  });
});
