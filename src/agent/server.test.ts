import assert from 'node:assert/strict';
import https from 'node:https';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import {
  createCertificateAuthority,
  type IssuedCertificate,
  issueClientCertificate,
  issueServingCertificate,
} from '../pki/certs.js';
import type { ExecSession, ExecStreamOptions, LogOptions } from '../runtime/driver.js';
import { LocateError } from './container-locator.js';
import { type AgentServer, startAgentServer } from './server.js';

const LOG_TEXT = 'line 1\nline 2\nline 3\n';
const NOW = Date.parse('2030-01-01T00:10:00Z');

/** A scripted process: `cat` copies stdin to stdout; `fail` writes to stderr and exits 3. */
function fakeSession(command: string[], tty: boolean): ExecSession {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const sizes: string[] = [];
  let exit: Promise<number>;
  if (command[0] === 'cat') {
    stdin.pipe(stdout);
    stderr.end();
    exit = new Promise((resolve) => stdout.once('end', () => resolve(0)));
  } else if (command[0] === 'fail') {
    stderr.end('oops\n');
    stdout.end();
    exit = Promise.resolve(3);
  } else if (command[0] === 'size') {
    // Prints the terminal size it was told, once stdin ends.
    stdin.resume();
    stderr.end();
    stdin.once('end', () => stdout.end(`${sizes.join(',')}\n`));
    exit = new Promise((resolve) => stdout.once('end', () => resolve(0)));
  } else {
    stdout.end(`ran ${command.join(' ')}\n`);
    stderr.end();
    exit = Promise.resolve(0);
  }
  return {
    stdin,
    stdout,
    ...(tty ? {} : { stderr }),
    resize: async (cols, rows) => {
      sizes.push(`${cols}x${rows}`);
    },
    wait: () => exit,
  };
}

const calls: { logs: LogOptions[]; exec: ExecStreamOptions[]; attach: unknown[] } = {
  logs: [],
  exec: [],
  attach: [],
};

const driver = {
  async logs(id: string, options: LogOptions): Promise<Readable> {
    calls.logs.push(options);
    if (id !== 'cid-web') throw new Error(`unexpected container ${id}`);
    return Readable.from([Buffer.from(LOG_TEXT)]);
  },
  async execStream(_id: string, options: ExecStreamOptions): Promise<ExecSession> {
    calls.exec.push(options);
    if (options.command[0] === 'missing') throw new Error('exec: "missing": executable file not found');
    return fakeSession(options.command, options.tty);
  },
  async attach(_id: string, options: Omit<ExecStreamOptions, 'command'>): Promise<ExecSession> {
    calls.attach.push(options);
    return fakeSession(['fail'], options.tty);
  },
};

const locator = {
  async resolve(namespace: string, pod: string, container: string, opts: { previous: boolean }) {
    if (pod !== 'web') throw new LocateError(404, `pods "${pod}" not found`);
    if (container === 'init') {
      throw new LocateError(400, `container "init" in pod "web" is waiting to start: ContainerCreating`);
    }
    if (opts.previous)
      throw new LocateError(400, `previous terminated container "${container}" in pod "web" not found`);
    assert.equal(namespace, 'default');
    return { containerId: `cid-${container}`, tty: false };
  },
};

let server: AgentServer;
let ca: Awaited<ReturnType<typeof createCertificateAuthority>>;
let admin: IssuedCertificate;
let nodeUser: IssuedCertificate;
let foreign: IssuedCertificate;

before(async () => {
  ca = await createCertificateAuthority();
  const serving = await issueServingCertificate(ca, { sans: { ips: ['127.0.0.1'], dnsNames: [] } });
  admin = await issueClientCertificate(ca, {
    commonName: 'shoal-apiserver-agent-client',
    organizations: ['system:masters'],
  });
  nodeUser = await issueClientCertificate(ca, {
    commonName: 'system:node:n1',
    organizations: ['system:nodes'],
  });
  const otherCa = await createCertificateAuthority();
  foreign = await issueClientCertificate(otherCa, {
    commonName: 'intruder',
    organizations: ['system:masters'],
  });
  server = await startAgentServer({
    host: '127.0.0.1',
    port: 0,
    tlsKeyPem: serving.keyPem,
    tlsCertPem: serving.certPem,
    caPem: ca.certPem,
    locator,
    driver,
    now: () => NOW,
  });
});

after(() => server.close());

function get(path: string, client?: IssuedCertificate): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        ca: ca.certPem,
        ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
  });
}

interface WsResult {
  protocol: string;
  frames: Buffer[];
  stdout: string;
  stderr: string;
  status?: Record<string, unknown>;
  httpStatus?: number;
  httpBody?: string;
}

/** Runs one exec/attach over WebSocket; `send` is called once open to write stdin etc. */
function stream(
  path: string,
  opts: { protocols?: string[]; send?: (ws: WebSocket) => void; client?: IssuedCertificate } = {},
): Promise<WsResult> {
  const client = opts.client ?? admin;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(
      `wss://127.0.0.1:${server.port}${path}`,
      opts.protocols ?? ['v5.channel.k8s.io'],
      {
        ca: ca.certPem,
        cert: client.certPem,
        key: client.keyPem,
      },
    );
    const result: WsResult = { protocol: '', frames: [], stdout: '', stderr: '' };
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ ...result, httpStatus: res.statusCode ?? 0, httpBody: body }));
    });
    ws.on('open', () => {
      result.protocol = ws.protocol;
      opts.send?.(ws);
    });
    ws.on('message', (data: Buffer) => {
      result.frames.push(data);
      const text = data.subarray(1).toString('utf8');
      if (data[0] === 1) result.stdout += text;
      if (data[0] === 2) result.stderr += text;
      if (data[0] === 3 && text) result.status = JSON.parse(text);
    });
    ws.on('close', () => resolve(result));
    ws.on('error', reject);
  });
}

const frame = (channel: number, data: string | number[]) =>
  Buffer.concat([Buffer.from([channel]), typeof data === 'string' ? Buffer.from(data) : Buffer.from(data)]);

describe('agent server: authentication', { timeout: 10_000 }, () => {
  it('answers 401 without a client certificate', async () => {
    const r = await get('/containerLogs/default/web/web');
    assert.equal(r.status, 401);
    assert.equal(JSON.parse(r.body).reason, 'Unauthorized');
  });

  it('answers 401 for a certificate from another CA', async () => {
    const r = await get('/containerLogs/default/web/web', foreign);
    assert.equal(r.status, 401);
  });

  it('answers 403 for a cluster user outside system:masters', async () => {
    const r = await get('/containerLogs/default/web/web', nodeUser);
    assert.equal(r.status, 403);
    assert.match(JSON.parse(r.body).message, /system:node:n1/);
  });

  it('refuses an exec upgrade without the right identity', async () => {
    const r = await stream('/exec/default/web/web?command=ls&stdout=1', { client: nodeUser });
    assert.equal(r.httpStatus, 403);
  });
});

describe('agent server: containerLogs', { timeout: 10_000 }, () => {
  it('streams the driver output with the options it was asked for', async () => {
    const r = await get(
      '/containerLogs/default/web/web?follow=true&tailLines=2&sinceSeconds=60&timestamps=1',
      admin,
    );
    assert.equal(r.status, 200);
    assert.equal(r.body, LOG_TEXT);
    const opts = calls.logs.at(-1)!;
    assert.equal(opts.follow, true);
    assert.equal(opts.tail, 2);
    assert.equal(opts.timestamps, true);
    assert.deepEqual(opts.since, new Date(NOW - 60_000));
  });

  it('cuts the output at limitBytes', async () => {
    const r = await get('/containerLogs/default/web/web?limitBytes=9', admin);
    assert.equal(r.body, 'line 1\nli');
  });

  it('passes sinceTime through', async () => {
    await get('/containerLogs/default/web/web?sinceTime=2030-01-01T00:00:00Z', admin);
    assert.deepEqual(calls.logs.at(-1)!.since, new Date('2030-01-01T00:00:00Z'));
  });

  it('answers the locator errors as Status', async () => {
    let r = await get('/containerLogs/default/nope/web', admin);
    assert.equal(r.status, 404);
    assert.equal(JSON.parse(r.body).message, 'pods "nope" not found');
    r = await get('/containerLogs/default/web/init', admin);
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.body).message, /is waiting to start: ContainerCreating/);
    r = await get('/containerLogs/default/web/web?previous=true', admin);
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.body).message, /previous terminated container "web"/);
  });

  it('rejects bad options and unknown paths', async () => {
    let r = await get('/containerLogs/default/web/web?tailLines=-1', admin);
    assert.equal(r.status, 422);
    assert.match(
      JSON.parse(r.body).message,
      /tailLines: Invalid value: -1: must be greater than or equal to 0/,
    );
    r = await get('/containerLogs/default/web/web?sinceSeconds=5&sinceTime=2030-01-01T00:00:00Z', admin);
    assert.match(JSON.parse(r.body).message, /at most one of `sinceTime` or `sinceSeconds`/);
    r = await get('/containerLogs/default/web/web?sinceTime=yesterday', admin);
    assert.match(JSON.parse(r.body).message, /sinceTime: Invalid value: "yesterday"/);
    r = await get('/stats/summary', admin);
    assert.equal(r.status, 404);
    r = await get('/exec/default/web/web?command=ls&stdout=1', admin);
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.body).message, /Upgrade request required/);
  });
});

describe('agent server: exec over WebSocket', { timeout: 10_000 }, () => {
  it('runs the command, announces the streams and reports success', async () => {
    const r = await stream('/exec/default/web/web?command=echo&command=hi&stdout=true&stderr=true');
    assert.equal(r.protocol, 'v5.channel.k8s.io');
    // The first frame is the empty stdout message that tells the client the streams are open.
    assert.deepEqual([...r.frames[0]!], [1]);
    assert.equal(r.stdout, 'ran echo hi\n');
    assert.deepEqual(r.status, { metadata: {}, status: 'Success' });
    assert.deepEqual(calls.exec.at(-1), {
      command: ['echo', 'hi'],
      stdin: false,
      stdout: true,
      stderr: true,
      tty: false,
    });
  });

  it('reports a non-zero exit code as kubectl reads it', async () => {
    const r = await stream('/exec/default/web/web?command=fail&command=now&stdout=1&stderr=1');
    assert.equal(r.stderr, 'oops\n');
    assert.deepEqual(r.status, {
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command [fail now], exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });

  it('feeds stdin and ends it on the v5 close signal', async () => {
    const r = await stream('/exec/default/web/web?command=cat&stdin=1&stdout=1&stderr=1', {
      send: (ws) => {
        ws.send(frame(0, 'hello '));
        ws.send(frame(0, 'world'));
        ws.send(frame(255, [0]));
      },
    });
    assert.equal(r.stdout, 'hello world');
    assert.equal(r.status?.status, 'Success');
  });

  it('passes terminal resizes to the session', async () => {
    const r = await stream('/exec/default/web/web?command=size&stdin=1&stdout=1&tty=1&stderr=1', {
      send: (ws) => {
        ws.send(frame(4, '{"Width":120,"Height":40}'));
        ws.send(frame(4, 'not json'));
        ws.send(frame(255, [0]));
      },
    });
    assert.equal(r.stdout, '120x40\n');
    // With a tty stderr is merged into stdout, so it is not asked for.
    assert.equal(calls.exec.at(-1)!.stderr, false);
  });

  it('speaks v4 when the client offers only that', async () => {
    const r = await stream('/exec/default/web/web?command=echo&stdout=1', {
      protocols: ['v4.channel.k8s.io'],
    });
    assert.equal(r.protocol, 'v4.channel.k8s.io');
    assert.equal(r.status?.status, 'Success');
  });

  it('reports a command the runtime cannot start on the error channel', async () => {
    const r = await stream('/exec/default/web/web?command=missing&stdout=1');
    assert.equal(r.status?.status, 'Failure');
    assert.equal(r.status?.reason, 'InternalError');
    assert.match(String(r.status?.message), /executable file not found/);
  });

  it('refuses bad requests before upgrading', async () => {
    let r = await stream('/exec/default/web/web?stdout=1');
    assert.equal(r.httpStatus, 400);
    assert.match(r.httpBody!, /at least one command/);
    r = await stream('/exec/default/web/web?command=ls');
    assert.match(r.httpBody!, /at least 1 of stdin, stdout, stderr/);
    r = await stream('/exec/default/web/web?command=ls&stdout=1', { protocols: ['channel.k8s.io'] });
    assert.equal(r.httpStatus, 400);
    assert.match(r.httpBody!, /v5\.channel\.k8s\.io/);
    r = await stream('/exec/default/ghost/web?command=ls&stdout=1');
    assert.equal(r.httpStatus, 404);
    assert.match(r.httpBody!, /pods \\"ghost\\" not found/);
  });
});

describe('agent server: attach', { timeout: 10_000 }, () => {
  it('attaches with the container terminal setting and always reports success', async () => {
    const r = await stream('/attach/default/web/web?stdout=1&stderr=1');
    assert.equal(r.stderr, 'oops\n');
    assert.deepEqual(r.status, { metadata: {}, status: 'Success' });
    assert.deepEqual(calls.attach.at(-1), { stdin: false, stdout: true, stderr: true, tty: false });
  });
});
