/**
 * The service proxy against the real kernel, inside network namespaces this test makes (and
 * deletes): nothing touches the host's own tables, no packet leaves the namespaces.
 *
 *   client 10.231.1.2 ─┐
 *   web-1  10.231.1.3 ─┼─ br0 10.231.1.1 ┐  router: the node. Our rules run here (iptables via
 *   web-2  10.231.1.4 ─┘                 │  `ip netns exec`); FORWARD policy DROP as Docker sets
 *   outside 10.233.0.2 ── v-x 10.233.0.1 ┘  it; the service CIDR routed to a neighbour that
 *                                           never answers, so only our REJECT makes a refusal fast.
 *
 * Cluster CIDR 10.231.0.0/16, the node's pod CIDR 10.231.1.0/24, Services in 10.232.0.0/16. The
 * pods share a bridge, as Docker's do, so replies between them are bridged and rely on
 * br_netfilter for un-DNAT, exactly as on a node. Backends are tiny TCP servers that answer
 * with their name and the address they see the caller at.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type CommandRunner, hostRunner } from '../../src/network/host-command.js';
import { MapCache } from '../../src/network/object-cache.js';
import {
  type EndpointSliceObject,
  IptablesApplier,
  type ProxyOptions,
  type ServiceObject,
  ServiceProxy,
} from '../../src/network/proxy/index.js';
import { eventually } from '../support/eventually.js';

const ID = randomBytes(3).toString('hex');
const NS = {
  router: `shoal-t-${ID}-rt`,
  client: `shoal-t-${ID}-c`,
  web1: `shoal-t-${ID}-b1`,
  web2: `shoal-t-${ID}-b2`,
  outside: `shoal-t-${ID}-x`,
};
const PREFIX = `SHL-${ID}`;
const CLIENT_IP = '10.231.1.2';
const WEB1_IP = '10.231.1.3';
const WEB2_IP = '10.231.1.4';
const OUTSIDE_IP = '10.233.0.2';
const ROUTER_OUTSIDE_IP = '10.233.0.1';

const OPTIONS: ProxyOptions = {
  chainPrefix: PREFIX,
  clusterCIDR: '10.231.0.0/16',
  podCIDR: '10.231.1.0/24',
  hostAddresses: [ROUTER_OUTSIDE_IP],
  localhostNodePorts: true,
};

/** Every command of the proxy runs inside the router namespace. */
const inRouter: CommandRunner = (command, args, input) =>
  hostRunner('ip', ['netns', 'exec', NS.router, command, ...args], input);

async function sh(command: string, args: string[]): Promise<string> {
  const result = await hostRunner(command, args);
  if (result.code !== 0)
    throw new Error(`${command} ${args.join(' ')}: exit ${result.code}: ${result.stderr}`);
  return result.stdout;
}

const ip = (ns: string, ...args: string[]) => sh('ip', ['-n', ns, ...args]);
const inNs = (ns: string, command: string, ...args: string[]) =>
  sh('ip', ['netns', 'exec', ns, command, ...args]);

const SERVER = `
const net = require('node:net');
net.createServer((s) => s.end(process.env.NAME + ' ' + s.remoteAddress + '\\n'))
  .listen(8080, '0.0.0.0', () => console.log('listening'));
`;

/** COUNT sequential connections to HOST:PORT, each bounded by 2 s; prints a JSON list of replies or error codes with times. */
const CLIENT = `
const net = require('node:net');
const { HOST, PORT, COUNT } = process.env;
const one = () => new Promise((resolve) => {
  const start = Date.now();
  let data = '';
  const s = net.connect(Number(PORT), HOST);
  s.setTimeout(2000, () => { s.destroy(); resolve({ error: 'TIMEOUT', ms: Date.now() - start }); });
  s.on('data', (d) => (data += d));
  s.on('end', () => resolve({ reply: data.trim(), ms: Date.now() - start }));
  s.on('error', (e) => resolve({ error: e.code, ms: Date.now() - start }));
});
(async () => {
  const out = [];
  for (let i = 0; i < Number(COUNT); i++) out.push(await one());
  console.log(JSON.stringify(out));
})();
`;

interface Attempt {
  reply?: string;
  error?: string;
  ms: number;
}

async function connect(ns: string, host: string, port: number, count: number): Promise<Attempt[]> {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      'ip',
      ['netns', 'exec', ns, process.execPath, '-e', CLIENT],
      { env: { ...process.env, HOST: host, PORT: String(port), COUNT: String(count) }, timeout: 60_000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`client in ${ns}: ${err.message} ${stderr}`)) : resolve(stdout),
    ),
  );
  return JSON.parse(out) as Attempt[];
}

/** `name → [addresses the backend saw]` of the replies; throws on any failed attempt. */
function repliesByBackend(attempts: Attempt[]): Map<string, string[]> {
  const by = new Map<string, string[]>();
  for (const a of attempts) {
    if (!a.reply) throw new Error(`a connection failed: ${JSON.stringify(a)}`);
    const [name, seen] = a.reply.split(' ') as [string, string];
    by.set(name, [...(by.get(name) ?? []), seen]);
  }
  return by;
}

const servers: ChildProcess[] = [];

async function startServer(ns: string, name: string): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER], {
    env: { ...process.env, NAME: name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  servers.push(child);
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  await eventually(`${name} listening`, async () => (output.includes('listening') ? true : undefined), {
    timeoutMs: 15_000,
    intervalMs: 50,
    context: () => output,
  });
}

function service(
  name: string,
  clusterIP: string,
  spec: Partial<NonNullable<ServiceObject['spec']>> = {},
): ServiceObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { clusterIP, ports: [{ name: 'http', port: 80, targetPort: 8080 }], ...spec },
  };
}

function slice(service: string, endpoints: { ip: string; ready: boolean }[]): EndpointSliceObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${service}-1`,
      namespace: 'default',
      labels: { 'kubernetes.io/service-name': service },
    },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready } })),
    ports: [{ name: 'http', port: 8080 }],
  };
}

const both = [
  { ip: WEB1_IP, ready: true },
  { ip: WEB2_IP, ready: true },
];
const services = new MapCache<ServiceObject>([
  service('web', '10.232.0.10', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }),
  service('empty', '10.232.0.11'),
  service('sticky', '10.232.0.12', { sessionAffinity: 'ClientIP' }),
]);
const endpointSlices = new MapCache<EndpointSliceObject>([slice('web', both), slice('sticky', both)]);
const applier = new IptablesApplier(PREFIX, inRouter);
const proxy = new ServiceProxy({
  services,
  endpointSlices,
  applier,
  options: OPTIONS,
  log: (l) => console.log(l),
});
const stop = new AbortController();
let running: Promise<void> | undefined;

async function routerRules(): Promise<string> {
  return inNs(NS.router, 'iptables-save');
}

describe('service proxy in network namespaces (real iptables)', { timeout: 110_000 }, () => {
  before(async () => {
    for (const ns of Object.values(NS)) {
      await sh('ip', ['netns', 'add', ns]);
      await ip(ns, 'link', 'set', 'lo', 'up');
    }
    await ip(NS.router, 'link', 'add', 'br0', 'type', 'bridge');
    await ip(NS.router, 'addr', 'add', '10.231.1.1/24', 'dev', 'br0');
    await ip(NS.router, 'link', 'set', 'br0', 'up');
    for (const [ns, addr, dev] of [
      [NS.client, CLIENT_IP, 'v-c'],
      [NS.web1, WEB1_IP, 'v-b1'],
      [NS.web2, WEB2_IP, 'v-b2'],
    ] as const) {
      await ip(NS.router, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      await ip(NS.router, 'link', 'set', dev, 'master', 'br0', 'up');
      await ip(ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
      await ip(ns, 'link', 'set', 'eth0', 'up');
      await ip(ns, 'route', 'add', 'default', 'via', '10.231.1.1');
    }
    await ip(NS.router, 'link', 'add', 'v-x', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', NS.outside);
    await ip(NS.router, 'addr', 'add', `${ROUTER_OUTSIDE_IP}/24`, 'dev', 'v-x');
    await ip(NS.router, 'link', 'set', 'v-x', 'up');
    await ip(NS.outside, 'addr', 'add', `${OUTSIDE_IP}/24`, 'dev', 'eth0');
    await ip(NS.outside, 'link', 'set', 'eth0', 'up');
    await ip(NS.outside, 'route', 'add', 'default', 'via', ROUTER_OUTSIDE_IP);
    // Towards a neighbour that never answers: without our REJECT, a connection would hang.
    await ip(NS.router, 'route', 'add', '10.232.0.0/16', 'via', '10.233.0.99', 'dev', 'v-x');
    await inNs(NS.router, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
    await inNs(NS.router, 'iptables', '-w', '-P', 'FORWARD', 'DROP');
    await startServer(NS.web1, 'web-1');
    await startServer(NS.web2, 'web-2');
    running = proxy.run(stop.signal);
    await eventually('the first sync', async () => (proxy.appliedSyncs > 0 ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 50,
    });
  });

  after(async () => {
    stop.abort();
    await running?.catch(() => {});
    for (const child of servers) child.kill();
    for (const ns of Object.values(NS)) await hostRunner('ip', ['netns', 'del', ns]);
  });

  it('a client reaches both backends through the cluster IP, and they see its own address', async () => {
    const by = repliesByBackend(await connect(NS.client, '10.232.0.10', 80, 40));
    assert.deepEqual([...by.keys()].sort(), ['web-1', 'web-2'], 'both backends picked in 40 connections');
    for (const seen of by.values()) for (const addr of seen) assert.equal(addr, CLIENT_IP, 'no source NAT');
  });

  it('a Service without endpoints is refused at once', async () => {
    const attempts = await connect(NS.client, '10.232.0.11', 80, 3);
    for (const a of attempts) {
      assert.equal(a.error, 'ECONNREFUSED', JSON.stringify(a));
      assert.ok(a.ms < 1_000, `refused after ${a.ms} ms`);
    }
  });

  it('ClientIP affinity keeps a client on one backend', async () => {
    const by = repliesByBackend(await connect(NS.client, '10.232.0.12', 80, 20));
    assert.equal(by.size, 1, `all 20 on one backend: ${JSON.stringify([...by])}`);
  });

  it('an outside client on the node port keeps its address when the endpoint is local', async () => {
    const by = repliesByBackend(await connect(NS.outside, ROUTER_OUTSIDE_IP, 30080, 10));
    for (const seen of by.values()) for (const addr of seen) assert.equal(addr, OUTSIDE_IP);
  });

  it('the node port answers on 127.0.0.1 of the node, masqueraded', async () => {
    const by = repliesByBackend(await connect(NS.router, '127.0.0.1', 30080, 10));
    for (const seen of by.values()) for (const addr of seen) assert.equal(addr, '10.231.1.1');
  });

  it('a backend that turns not-ready stops getting connections within a second', async () => {
    const before = proxy.appliedSyncs;
    const start = Date.now();
    endpointSlices.upsert(slice('web', [{ ip: WEB1_IP, ready: false }, both[1]!]));
    await eventually('the sync', async () => (proxy.appliedSyncs > before ? true : undefined), {
      timeoutMs: 5_000,
      intervalMs: 10,
    });
    assert.ok(Date.now() - start < 1_000, `in the kernel after ${Date.now() - start} ms`);
    const by = repliesByBackend(await connect(NS.client, '10.232.0.10', 80, 20));
    assert.deepEqual([...by.keys()], ['web-2']);
  });

  it('cleanup leaves no chain or jump of ours', async () => {
    assert.ok((await routerRules()).includes(`${PREFIX}-SERVICES`), 'there were rules to clean');
    stop.abort();
    await running;
    await proxy.cleanup();
    const left = await routerRules();
    assert.ok(!left.includes('SHL-'), `left behind:\n${left}`);
    const attempts = await connect(NS.client, '10.232.0.10', 80, 1);
    assert.ok(attempts[0]?.error, 'the cluster IP no longer answers');
  });
});
