/**
 * The Docker driver against the real dockerd: one pod sandbox, containers joining it, and what
 * the agent relies on (command semantics, mounts, limits, signals, exec, logs, events, adoption
 * after a restart). Objects carry a node name unique to this run; `after` removes them all.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { DockerDriver } from '../../src/runtime/docker/driver.js';
import {
  type ContainerRecord,
  type ContainerSpec,
  ImageError,
  LABEL_NODE,
  type RuntimeEvent,
  type SandboxRecord,
} from '../../src/runtime/driver.js';
import { ensureTestImage, removeNodeContainers, uniqueNodeName } from '../support/docker.js';

const nodeName = uniqueNodeName('rt-docker');
const podUid = `uid-${nodeName}`;
const docker = new Docker();
const hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-rt-docker-'));
/** An image with both ENTRYPOINT and CMD, made from the test image for the command tests. */
const entrypointImage = `shoal-test/entrypoint:${nodeName}`;

let image: string;
let driver: DockerDriver;
let sandbox: SandboxRecord;

function spec(name: string, overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    podUid,
    podName: 'web',
    namespace: 'default',
    name,
    kind: 'container',
    attempt: 0,
    image,
    env: [],
    mounts: [],
    resources: {},
    security: {},
    tty: false,
    stdin: false,
    stdinOnce: false,
    labels: {},
    ...overrides,
  };
}

async function run(name: string, overrides: Partial<ContainerSpec>): Promise<string> {
  const id = await driver.createContainer(sandbox, spec(name, overrides));
  await driver.startContainer(id);
  return id;
}

async function waitExited(id: string, timeoutMs = 10_000): Promise<ContainerRecord> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const record = await driver.inspect(id);
    if (record?.state === 'exited') return record;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`container ${id} did not exit within ${timeoutMs} ms`);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

/** Runs a container to its end and returns its logs. */
async function output(name: string, overrides: Partial<ContainerSpec>): Promise<string> {
  const id = await run(name, overrides);
  await waitExited(id);
  return readAll(await driver.logs(id, {}));
}

before(async () => {
  image = await ensureTestImage();
  driver = new DockerDriver({ nodeName, stateDir: path.join(hostDir, 'state') });
  const maker = await docker.createContainer({
    Image: image,
    Cmd: ['true'],
    Labels: { [LABEL_NODE]: nodeName },
  });
  const [repo, tag] = entrypointImage.split(':');
  await maker.commit({ repo, tag, changes: ['ENTRYPOINT ["echo", "ep"]', 'CMD ["cmd"]'] });
  sandbox = await driver.runSandbox({
    podUid,
    podName: 'web',
    namespace: 'default',
    labels: { app: 'web' },
    hostname: 'web-host',
    hostNetwork: false,
    ports: [],
    extraHosts: ['10.1.2.3 extra.example'],
  });
});

after(async () => {
  await removeNodeContainers(nodeName, docker);
  await docker
    .getImage(entrypointImage)
    .remove()
    .catch(() => undefined);
  fs.rmSync(hostDir, { recursive: true, force: true });
});

describe('Docker driver', { timeout: 60_000 }, () => {
  it('reports the engine in Kubernetes terms', async () => {
    const info = await driver.info();
    assert.match(info.runtimeVersion, /^docker:\/\/\d+\./);
    assert.ok(['amd64', 'arm64'].includes(info.architecture), info.architecture);
    assert.equal(info.operatingSystem, 'linux');
    assert.ok(info.cpus > 0 && info.memoryBytes > 0);
  });

  it('runs the sandbox on its own pause image, with an IP, hostname and extra hosts', async () => {
    assert.equal(sandbox.kind, 'sandbox');
    assert.equal(sandbox.state, 'running');
    assert.equal(sandbox.podUid, podUid);
    assert.match(sandbox.ip ?? '', /^\d+\.\d+\.\d+\.\d+$/);
    const json = await docker.getContainer(sandbox.id).inspect();
    assert.equal(json.Config.Image, 'shoal/pause:1');
    assert.equal(json.Config.Labels.app, 'web');
    const hosts = await output('hosts', { command: ['sh', '-c', 'hostname; cat /etc/hosts'] });
    assert.match(hosts, /^web-host\n/);
    assert.match(hosts, /10\.1\.2\.3\s+extra\.example/);
  });

  it('creates containers in a sandbox not yet started; they start in its network once it runs', async () => {
    const uid = `${podUid}-split`;
    const created = await driver.createSandbox({
      podUid: uid,
      podName: 'split',
      namespace: 'default',
      labels: {},
      hostname: 'split',
      hostNetwork: false,
      ports: [],
    });
    assert.equal(created.kind, 'sandbox');
    assert.equal(created.state, 'created');
    assert.equal(created.podUid, uid);
    assert.equal(created.ip, undefined);
    assert.equal((await driver.inspect(created.id))?.state, 'created');
    const id = await driver.createContainer(
      created,
      spec('ip', { podUid: uid, podName: 'split', command: ['sh', '-c', 'ip -4 addr show eth0'] }),
    );
    const started = await driver.startSandbox(created.id);
    assert.equal(started.state, 'running');
    assert.match(started.ip ?? '', /^\d+\.\d+\.\d+\.\d+$/);
    await driver.startContainer(id);
    await waitExited(id);
    assert.match(await readAll(await driver.logs(id, {})), new RegExp(`inet ${started.ip}/`));
  });

  it('lets two containers of the pod talk over localhost; mounts read-only; forwards a port', async () => {
    fs.mkdirSync(path.join(hostDir, 'www'));
    fs.writeFileSync(path.join(hostDir, 'www', 'index.html'), 'hello from httpd\n');
    const server = await run('server', {
      command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
      mounts: [{ hostPath: path.join(hostDir, 'www'), containerPath: '/www', readOnly: true }],
    });
    const client = await run('client', { command: ['sleep', '3600'] });
    let fetched = { exitCode: -1, output: '', timedOut: false };
    for (let i = 0; i < 50 && fetched.exitCode !== 0; i++) {
      fetched = await driver.exec(client, ['wget', '-q', '-O', '-', 'http://127.0.0.1:8080/'], 5000);
      if (fetched.exitCode !== 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(fetched.output, 'hello from httpd\n');

    const write = await driver.exec(server, ['sh', '-c', 'echo x > /www/new'], 5000);
    assert.notEqual(write.exitCode, 0);
    assert.match(write.output, /Read-only file system/);
    assert.equal(fs.existsSync(path.join(hostDir, 'www', 'new')), false);

    const conn = await driver.portForward(sandbox, 8080);
    conn.end('GET / HTTP/1.0\r\n\r\n');
    assert.match(await readAll(conn), /200 OK[\s\S]*hello from httpd/);
  });

  it('gives Docker an Entrypoint without Cmd, and the image CMD is then not used (engine check)', async () => {
    for (const cmd of [undefined, []]) {
      const c = await docker.createContainer({
        Image: entrypointImage,
        Entrypoint: ['echo', 'own'],
        ...(cmd ? { Cmd: cmd } : {}),
        Labels: { [LABEL_NODE]: nodeName },
      });
      const json = await c.inspect();
      assert.deepEqual(json.Config.Cmd ?? [], [], `Cmd ${JSON.stringify(cmd)}`);
    }
  });

  it('follows Kubernetes command/args semantics, env and workingDir', async () => {
    const img = { image: entrypointImage };
    assert.equal(await output('neither', img), 'ep cmd\n');
    assert.equal(await output('args', { ...img, args: ['a1', 'a2'] }), 'ep a1 a2\n');
    assert.equal(await output('command', { ...img, command: ['echo', 'c'] }), 'c\n');
    assert.equal(await output('both', { ...img, command: ['echo', 'c'], args: ['a'] }), 'c a\n');
    const env = await output('env', {
      command: ['sh', '-c', 'echo "$FOO-$BAR-$(pwd)"'],
      env: [
        { name: 'FOO', value: 'one' },
        { name: 'BAR', value: 'two words' },
      ],
      workingDir: '/bin',
    });
    assert.equal(env, 'one-two words-/bin\n');
  });

  it('runs as the given user and group with a read-only root filesystem', async () => {
    const text = await output('user', {
      command: ['sh', '-c', 'id -u; id -g; id -G; touch /x 2>&1; echo rc=$?'],
      security: {
        runAsUser: 1234,
        runAsGroup: 4321,
        supplementalGroups: [555],
        readOnlyRootFilesystem: true,
      },
    });
    const [uid, gid, groups, ...rest] = text.trim().split('\n');
    assert.equal(uid, '1234');
    assert.equal(gid, '4321');
    assert.ok(groups?.split(' ').includes('555'), groups);
    assert.match(rest.join('\n'), /Read-only file system[\s\S]*rc=1/);
  });

  it('reports an OOM kill past the memory limit, and the events stream sees it die', async () => {
    const events: RuntimeEvent[] = [];
    const abort = new AbortController();
    const stream = driver.events(abort.signal);
    const collecting = (async () => {
      for await (const e of stream) events.push(e);
    })();
    // Let the events request reach the engine before the container starts.
    await new Promise((r) => setTimeout(r, 300));
    const id = await run('hog', {
      command: ['sh', '-c', 'x=a; while true; do x=$x$x; done'],
      resources: { memoryLimitBytes: 16 * 1024 * 1024 },
    });
    const record = await waitExited(id, 20_000);
    assert.equal(record.oomKilled, true);
    assert.equal(record.exitCode, 137);
    const deadline = Date.now() + 5000;
    while (!events.some((e) => e.id === id && e.type === 'die') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    abort.abort();
    await collecting;
    assert.ok(
      events.some((e) => e.id === id && e.type === 'die' && e.podUid === podUid),
      JSON.stringify(events),
    );
    assert.ok(events.some((e) => e.id === id && e.type === 'start'));
    assert.ok(events.some((e) => e.id === id && e.type === 'oom'));
  });

  it('stops with SIGTERM first, which a trap can handle', async () => {
    fs.mkdirSync(path.join(hostDir, 'out'));
    const id = await run('trapper', {
      command: ['sh', '-c', "trap 'echo term > /out/term; exit 0' TERM; while true; do sleep 0.1; done"],
      mounts: [{ hostPath: path.join(hostDir, 'out'), containerPath: '/out', readOnly: false }],
    });
    await new Promise((r) => setTimeout(r, 300)); // the trap is set once sh has started
    await driver.stopContainer(id, 10);
    const record = await driver.inspect(id);
    assert.equal(record?.state, 'exited');
    assert.equal(record?.exitCode, 0);
    assert.equal(fs.readFileSync(path.join(hostDir, 'out', 'term'), 'utf8'), 'term\n');
    await driver.stopContainer(id, 0); // not running: a no-op
    await driver.removeContainer(id);
    await driver.removeContainer(id); // gone: a no-op
    assert.equal(await driver.inspect(id), undefined);
  });

  it('execs to completion with exit codes and output, and times out', async () => {
    const id = await run('exec', { command: ['sleep', '3600'] });
    const result = await driver.exec(id, ['sh', '-c', 'echo out; echo err >&2; exit 3'], 5000);
    assert.equal(result.exitCode, 3);
    assert.equal(result.timedOut, false);
    assert.match(result.output, /out/);
    assert.match(result.output, /err/);
    const big = await driver.exec(id, ['sh', '-c', 'yes | head -c 100000'], 5000);
    assert.equal(big.exitCode, 0);
    assert.equal(big.output.length, 10 * 1024);
    const started = Date.now();
    const slow = await driver.exec(id, ['sleep', '5'], 300);
    assert.equal(slow.timedOut, true);
    assert.ok(Date.now() - started < 2000);
  });

  it('streams an exec with stdin, stdout and stderr apart', async () => {
    const id = await run('stream', { command: ['sleep', '3600'] });
    const session = await driver.execStream(id, {
      command: ['sh', '-c', 'cat; echo problem >&2; exit 4'],
      stdin: true,
      stdout: true,
      stderr: true,
      tty: false,
    });
    const out = readAll(session.stdout);
    const err = readAll(session.stderr!);
    session.stdin!.end('hello through stdin\n');
    assert.equal(await session.wait(), 4);
    assert.equal(await out, 'hello through stdin\n');
    assert.equal(await err, 'problem\n');
  });

  it('streams an exec on a tty, which merges stderr and can be resized', async () => {
    const id = await run('tty', { command: ['sleep', '3600'] });
    const session = await driver.execStream(id, {
      // Waits (bounded) for the resize below to reach the terminal.
      command: [
        'sh',
        '-c',
        'for i in $(seq 50); do [ "$(stty size 2>/dev/null)" = "40 100" ] && break; sleep 0.1; done; stty size; echo oops >&2',
      ],
      stdin: false,
      stdout: true,
      stderr: true,
      tty: true,
    });
    assert.equal(session.stderr, undefined);
    const out = readAll(session.stdout);
    await session.resize(100, 40);
    assert.equal(await session.wait(), 0);
    assert.equal((await out).replace(/\r/g, ''), '40 100\noops\n');
  });

  it('attaches to the main process: stdin in, output out, exit code from wait', async () => {
    const id = await run('attached', {
      command: ['sh', '-c', 'read line; echo "got $line"; echo bye >&2; exit 5'],
      stdin: true,
      stdinOnce: true,
    });
    const session = await driver.attach(id, { stdin: true, stdout: true, stderr: true, tty: false });
    const out = readAll(session.stdout);
    const err = readAll(session.stderr!);
    session.stdin!.end('hi\n');
    assert.equal(await session.wait(), 5);
    assert.equal(await out, 'got hi\n');
    assert.equal(await err, 'bye\n');
  });

  it('returns logs with tail, since and follow, stdout and stderr in one stream', async () => {
    const id = await run('logger', {
      command: ['sh', '-c', 'echo one; echo two >&2; sleep 0.6; echo three'],
    });
    const followed = await readAll(await driver.logs(id, { follow: true }));
    assert.equal(followed.split('\n').sort().join(','), ',one,three,two');
    assert.equal(await readAll(await driver.logs(id, { tail: 1 })), 'three\n');
    const stamped = (await readAll(await driver.logs(id, { timestamps: true }))).trim().split('\n');
    const third = stamped.find((l) => l.endsWith(' three'))!;
    const since = new Date(third.split(' ')[0]!);
    assert.equal(await readAll(await driver.logs(id, { since })), 'three\n');

    const sleeper = await run('quiet', { command: ['sh', '-c', 'echo up; sleep 3600'] });
    const abort = new AbortController();
    const live = await driver.logs(sleeper, { follow: true, signal: abort.signal });
    setTimeout(() => abort.abort(), 300);
    assert.equal(await readAll(live), 'up\n');
  });

  it('refuses to pull with policy Never and reports pull failures', async () => {
    await driver.ensureImage(image, 'Never');
    await driver.ensureImage(image, 'IfNotPresent');
    const absent = `shoal-test/absent-${process.pid}:1`;
    await assert.rejects(driver.ensureImage(absent, 'Never'), (err: ImageError) => {
      assert.ok(err instanceof ImageError);
      assert.equal(err.reason, 'ErrImageNeverPull');
      assert.equal(err.message, `Container image "${absent}" is not present with pull policy of Never`);
      return true;
    });
    // A registry on a closed loopback port: the pull fails fast, with the engine's reason.
    await assert.rejects(driver.ensureImage('127.0.0.1:1/nothing:1', 'Always'), (err: ImageError) => {
      assert.equal(err.reason, 'ErrImagePull');
      assert.match(err.message, /127\.0\.0\.1:1/);
      return true;
    });
  });

  it('lets a restarted agent find its objects by label, and only its own', async () => {
    const again = new DockerDriver({ nodeName, stateDir: path.join(hostDir, 'state') });
    const all = await again.list({ podUid });
    assert.ok(all.some((r) => r.id === sandbox.id && r.kind === 'sandbox'));
    const client = all.find((r) => r.name === 'client');
    assert.equal(client?.state, 'running');
    assert.equal(client?.podName, 'web');
    const created = all.map((r) => r.createdAt.getTime());
    assert.deepEqual(
      created,
      [...created].sort((a, b) => b - a),
    );
    const running = await again.list({ running: true });
    assert.ok(running.every((r) => r.state === 'running'));
    assert.ok(running.length < all.length);
    const sameSandbox = await again.inspect(sandbox.id);
    assert.equal(sameSandbox?.kind, 'sandbox');
    assert.equal((sameSandbox as SandboxRecord).ip, sandbox.ip);

    const stranger = new DockerDriver({
      nodeName: `${nodeName}-other`,
      stateDir: path.join(hostDir, 'state-other'),
    });
    assert.deepEqual(await stranger.list(), []);
    assert.equal(await stranger.inspect(sandbox.id), undefined);
  });
});
