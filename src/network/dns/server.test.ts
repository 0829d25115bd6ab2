// The server over real UDP and TCP sockets on 127.0.0.1, with fake upstream nameservers the test
// runs itself: nothing here reaches the machine's resolver or any address but loopback.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { after, test } from 'node:test';
import dnsPacket, { type Packet, type DecodedPacket as PacketWithFlags } from 'dns-packet';
import type { KubeObject } from '../../api/object.js';
import { MapCache } from '../object-cache.js';
import { lengthPrefix, type Upstream, upstreamsFrom, usableUpstreams } from './forward.js';
import { ClusterRecords } from './records.js';
import { DnsServer } from './server.js';

const LOOPBACK = '127.0.0.1';

/** dns-packet decodes the rcode too; its types leave it out. */
type DecodedPacket = PacketWithFlags & { rcode: string };
const decode = (buf: Buffer) => dnsPacket.decode(buf) as DecodedPacket;
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

// --- fixtures -------------------------------------------------------------------------------

function clusterRecords(): ClusterRecords {
  const services = new MapCache<KubeObject>([
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { clusterIP: '10.43.0.10' },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'many', namespace: 'default' },
      spec: { clusterIP: 'None' },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'ext', namespace: 'default' },
      spec: { type: 'ExternalName', externalName: 'www.example.test' },
    },
  ]);
  const slices = new MapCache<KubeObject>([
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'many-a', namespace: 'default', labels: { 'kubernetes.io/service-name': 'many' } },
      addressType: 'IPv4',
      endpoints: Array.from({ length: 60 }, (_, i) => ({ addresses: [`10.42.0.${i + 2}`] })),
    },
  ]);
  return new ClusterRecords({ services, endpointSlices: slices });
}

type Handler = (query: DecodedPacket, transport: 'udp' | 'tcp') => Packet | 'silent';

/** A nameserver on 127.0.0.1 (UDP and TCP on one port) answering with `handler`. */
async function fakeUpstream(handler: Handler): Promise<Upstream & { seen: string[] }> {
  const seen: string[] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, LOOPBACK, resolve));
    const port = udp.address().port;
    const tcp = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.on('data', (chunk) => {
        const query = decode(chunk.subarray(2));
        seen.push(`tcp ${query.questions?.[0]?.name}`);
        const reply = handler(query, 'tcp');
        if (reply === 'silent') return;
        const buf = dnsPacket.encode(reply);
        socket.end(Buffer.concat([lengthPrefix(buf.length), buf]));
      });
    });
    const listening = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, LOOPBACK, () => resolve(true));
    });
    if (!listening) {
      udp.close();
      continue;
    }
    udp.on('message', (msg, from) => {
      const query = decode(msg);
      seen.push(`udp ${query.questions?.[0]?.name} id=${query.id}`);
      const reply = handler(query, 'udp');
      if (reply !== 'silent') udp.send(dnsPacket.encode(reply), from.port, from.address);
    });
    cleanups.push(
      () => new Promise<void>((resolve) => udp.close(() => resolve())),
      () => new Promise<void>((resolve) => tcp.close(() => resolve())),
    );
    return { address: LOOPBACK, port, seen };
  }
  throw new Error('no free port for the fake upstream');
}

/** Answers every A question with `address`; big.example.test gets 80 records and TC over UDP. */
const answering =
  (address: string): Handler =>
  (query, transport) => {
    const q = query.questions?.[0];
    const name = q?.name ?? '';
    const base = {
      type: 'response' as const,
      id: query.id,
      flags: dnsPacket.RECURSION_AVAILABLE,
      questions: query.questions,
    };
    if (name === 'slow.example.test') return 'silent';
    if (name === 'big.example.test') {
      if (transport === 'udp') return { ...base, flags: dnsPacket.TRUNCATED_RESPONSE, answers: [] };
      const answers = Array.from({ length: 80 }, (_, i) => ({
        name,
        type: 'A' as const,
        ttl: 60,
        data: `192.0.2.${i + 1}`,
      }));
      return { ...base, answers };
    }
    return { ...base, answers: [{ name, type: 'A', ttl: 60, data: address }] };
  };

async function startServer(upstreams: Upstream[], timeoutMs = 300): Promise<DnsServer> {
  const server = new DnsServer({
    records: clusterRecords(),
    address: LOOPBACK,
    port: 0,
    upstreams,
    upstreamTimeoutMs: timeoutMs,
  });
  await server.start();
  cleanups.push(() => server.close());
  return server;
}

// --- clients --------------------------------------------------------------------------------

let nextId = 1;
function query(name: string, type: string, edns?: number): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: nextId++,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as 'A' }],
    ...(edns
      ? {
          additionals: [
            {
              type: 'OPT',
              name: '.',
              udpPayloadSize: edns,
              extendedRcode: 0,
              ednsVersion: 0,
              flags: 0,
              flag_do: false,
              options: [],
            },
          ],
        }
      : {}),
  });
}

/** Sends a raw datagram; resolves with the reply, or undefined if none comes within `waitMs`. */
function udpExchange(server: DnsServer, message: Buffer, waitMs = 3000): Promise<Buffer | undefined> {
  const { port } = server.address();
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(undefined);
    }, waitMs);
    socket.on('message', (reply) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    });
    socket.send(message, port, LOOPBACK);
  });
}

async function udp(
  server: DnsServer,
  name: string,
  type = 'A',
  edns?: number,
): Promise<{ raw: Buffer; packet: DecodedPacket }> {
  const raw = await udpExchange(server, query(name, type, edns));
  assert.ok(raw, `no UDP reply for ${type} ${name}`);
  return { raw, packet: decode(raw) };
}

/** Sends frames over one TCP connection and collects `count` replies. */
function tcpExchange(server: DnsServer, frames: Buffer[], count: number): Promise<DecodedPacket[]> {
  const { port } = server.address();
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, LOOPBACK);
    const replies: DecodedPacket[] = [];
    let pending = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`only ${replies.length} of ${count} TCP replies`));
    }, 3000);
    socket.on('connect', () => socket.write(Buffer.concat(frames)));
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        replies.push(decode(pending.subarray(2, 2 + pending.readUInt16BE(0))));
        pending = pending.subarray(2 + pending.readUInt16BE(0));
      }
      if (replies.length >= count) {
        clearTimeout(timer);
        socket.destroy();
        resolve(replies);
      }
    });
  });
}

const framed = (message: Buffer) => Buffer.concat([lengthPrefix(message.length), message]);
const data = (p: DecodedPacket) =>
  (p.answers ?? []).map((a) => `${a.type} ${'data' in a ? String(a.data) : ''}`);

// --- tests ----------------------------------------------------------------------------------

test('answers the cluster zone over UDP and TCP', async () => {
  const server = await startServer([]);
  const { packet } = await udp(server, 'Web.Default.svc.cluster.local');
  assert.equal(packet.rcode, 'NOERROR');
  assert.ok(packet.flag_qr && packet.flag_aa && packet.flag_rd && packet.flag_ra);
  assert.deepEqual(
    packet.answers?.map((a) => [a.name, a.type, 'data' in a && a.data, 'ttl' in a && a.ttl]),
    [['Web.Default.svc.cluster.local', 'A', '10.43.0.10', 5]],
  );

  const missing = await udp(server, 'nosuch.default.svc.cluster.local');
  assert.equal(missing.packet.rcode, 'NXDOMAIN');
  assert.deepEqual(
    missing.packet.authorities?.map((a) => a.type),
    ['SOA'],
  );

  const q1 = query('web.default.svc.cluster.local', 'A');
  const q2 = query('web.default.svc.cluster.local', 'AAAA');
  // Two frames in one write, the second split across writes would be the same to the parser.
  const [r1, r2] = await tcpExchange(server, [framed(q1), framed(q2)], 2);
  const byId = new Map([r1, r2].map((r) => [r?.id, r]));
  assert.deepEqual(data(byId.get(q1.readUInt16BE(0)) as DecodedPacket), ['A 10.43.0.10']);
  assert.deepEqual(data(byId.get(q2.readUInt16BE(0)) as DecodedPacket), []);
  assert.equal(byId.get(q2.readUInt16BE(0))?.rcode, 'NOERROR');

  const stats = server.stats();
  assert.equal(stats.queries, 4);
  assert.equal(stats.udpQueries, 2);
  assert.equal(stats.tcpQueries, 2);
  assert.equal(stats.answered, 4);
  assert.equal(stats.nxdomain, 1);
  assert.equal(stats.forwarded, 0);
});

test('forwards other names upstream with a fresh ID, trying the next upstream after a timeout', async () => {
  const dead = await fakeUpstream(() => 'silent');
  const live = await fakeUpstream(answering('192.0.2.7'));
  const server = await startServer([dead, live]);

  const asked = query('www.example.test', 'A');
  const raw = await udpExchange(server, asked);
  assert.ok(raw);
  const reply = decode(raw);
  assert.equal(reply.id, asked.readUInt16BE(0));
  assert.deepEqual(data(reply), ['A 192.0.2.7']);
  assert.equal(dead.seen.length, 1);
  assert.equal(live.seen.length, 1);
  assert.match(live.seen[0] ?? '', /^udp www.example.test id=\d+$/);

  // No upstream answers: SERVFAIL, counted.
  const { packet } = await udp(server, 'slow.example.test');
  assert.equal(packet.rcode, 'SERVFAIL');
  assert.equal(packet.id, nextId - 1);
  const stats = server.stats();
  assert.equal(stats.forwarded, 2);
  assert.equal(stats.forwardFailures, 1);
});

test('a slow upstream does not hold up other queries', async () => {
  const upstream = await fakeUpstream(answering('192.0.2.8'));
  const server = await startServer([upstream], 1500);
  const slow = udp(server, 'slow.example.test');
  await new Promise((r) => setTimeout(r, 50));
  const started = Date.now();
  const [local, forwarded] = await Promise.all([
    udp(server, 'web.default.svc.cluster.local'),
    udp(server, 'fast.example.test'),
  ]);
  assert.ok(Date.now() - started < 800, `other queries took ${Date.now() - started} ms`);
  assert.deepEqual(data(local.packet), ['A 10.43.0.10']);
  assert.deepEqual(data(forwarded.packet), ['A 192.0.2.8']);
  assert.equal((await slow).packet.rcode, 'SERVFAIL');
});

test('UDP answers over 512 bytes (or the EDNS size) are cut with TC set; TCP gets them whole', async () => {
  const server = await startServer([]);
  const plain = await udp(server, 'many.default.svc.cluster.local');
  assert.ok(plain.packet.flag_tc);
  assert.ok(plain.raw.length <= 512, `${plain.raw.length} bytes`);
  const kept = plain.packet.answers?.length ?? 0;
  assert.ok(kept > 0 && kept < 60, `${kept} answers kept`);

  const edns = await udp(server, 'many.default.svc.cluster.local', 'A', 4096);
  assert.equal(edns.packet.flag_tc, false);
  assert.equal(edns.packet.answers?.length, 60);
  assert.ok(edns.packet.additionals?.some((r) => r.type === 'OPT'));

  const [whole] = await tcpExchange(server, [framed(query('many.default.svc.cluster.local', 'A'))], 1);
  assert.equal(whole?.flag_tc, false);
  assert.equal(whole?.answers?.length, 60);
  assert.equal(server.stats().truncated, 1);
});

test('a truncated upstream answer is fetched again over TCP', async () => {
  const upstream = await fakeUpstream(answering('192.0.2.9'));
  const server = await startServer([upstream]);
  const [whole] = await tcpExchange(server, [framed(query('big.example.test', 'A'))], 1);
  assert.equal(whole?.answers?.length, 80);
  assert.deepEqual(
    upstream.seen.slice(0, 2).map((s) => s.split(' ')[0]),
    ['udp', 'tcp'],
  );

  // Relayed to a plain UDP client, the full answer is cut to 512 bytes with TC.
  const cut = await udp(server, 'big.example.test');
  assert.ok(cut.packet.flag_tc);
  assert.ok(cut.raw.length <= 512);
  assert.ok((cut.packet.answers?.length ?? 0) > 0);
});

test('an ExternalName answer brings the target addresses along', async () => {
  const upstream = await fakeUpstream(answering('192.0.2.10'));
  const server = await startServer([upstream]);
  const { packet } = await udp(server, 'ext.default.svc.cluster.local');
  assert.equal(packet.rcode, 'NOERROR');
  assert.deepEqual(data(packet), ['CNAME www.example.test', 'A 192.0.2.10']);
  const cname = await udp(server, 'ext.default.svc.cluster.local', 'CNAME');
  assert.deepEqual(data(cname.packet), ['CNAME www.example.test']);
});

test('malformed packets get FORMERR or are dropped, and the server keeps serving', async () => {
  const server = await startServer([]);
  // Shorter than a header: nothing to answer.
  assert.equal(await udpExchange(server, Buffer.from([1, 2, 3]), 200), undefined);
  // A header announcing a question that is not there: FORMERR with the same ID.
  const header = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0xff]);
  const formerr = await udpExchange(server, header);
  assert.ok(formerr);
  const decoded = decode(formerr);
  assert.equal(decoded.id, 0xabcd);
  assert.equal(decoded.rcode, 'FORMERR');
  assert.ok(decoded.flag_qr);
  // No question at all: FORMERR too.
  const empty = await udpExchange(server, dnsPacket.encode({ type: 'query', id: 7, questions: [] }));
  assert.equal(empty && decode(empty).rcode, 'FORMERR');
  // Another opcode (STATUS): NOTIMP.
  const status = query('web.default.svc.cluster.local', 'A');
  status.writeUInt16BE(status.readUInt16BE(2) | (2 << 11), 2);
  const notimp = await udpExchange(server, status);
  assert.equal(notimp && decode(notimp).rcode, 'NOTIMP');
  // A response sent to us is not answered (no reflection loops).
  const response = dnsPacket.encode({ type: 'response', id: 9, questions: [{ name: 'x.test', type: 'A' }] });
  assert.equal(await udpExchange(server, response, 200), undefined);
  // Garbage over TCP, then a good query on the same connection.
  const [bad, good] = await tcpExchange(
    server,
    [framed(header), framed(query('web.default.svc.cluster.local', 'A'))],
    2,
  );
  assert.equal(bad?.rcode, 'FORMERR');
  assert.deepEqual(data(good as DecodedPacket), ['A 10.43.0.10']);
  assert.equal(server.stats().malformed, 6);
  assert.deepEqual(data((await udp(server, 'web.default.svc.cluster.local')).packet), ['A 10.43.0.10']);
});

test('run(signal) serves until aborted, then releases the port', async () => {
  const server = new DnsServer({ records: clusterRecords(), address: LOOPBACK, port: 0 });
  const controller = new AbortController();
  const running = server.run(controller.signal);
  for (let i = 0; i < 100 && !hasAddress(server); i++) await new Promise((r) => setTimeout(r, 10));
  const { port } = server.address();
  assert.deepEqual(data((await udp(server, 'web.default.svc.cluster.local')).packet), ['A 10.43.0.10']);
  controller.abort();
  await running;
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(port, LOOPBACK, resolve);
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

function hasAddress(server: DnsServer): boolean {
  try {
    server.address();
    return true;
  } catch {
    return false;
  }
}

test('upstreams: from resolv.conf nameservers, minus the ones that point back at us', () => {
  assert.deepEqual(upstreamsFrom(['192.168.1.1', 'fe80::1%eth0', 'not-an-ip', '127.0.0.53']), [
    { address: '192.168.1.1', port: 53 },
    { address: 'fe80::1', port: 53 },
    { address: '127.0.0.53', port: 53 },
  ]);
  const all = upstreamsFrom(['10.42.0.1', '127.0.0.53', '192.168.1.1', '127.0.0.1']);
  const cases: { self: Upstream; local: string[]; want: string[] }[] = [
    // Bound to the pod gateway: only that exact address is us; the host's stub stays.
    {
      self: { address: '10.42.0.1', port: 53 },
      local: ['10.42.0.1', '192.168.1.1'],
      want: ['127.0.0.53', '192.168.1.1', '127.0.0.1'],
    },
    // Bound to every address on 53: loopback and the host's own addresses would reach us.
    { self: { address: '0.0.0.0', port: 53 }, local: ['10.42.0.1', '127.0.0.1'], want: ['192.168.1.1'] },
    // Another port: nothing points back.
    {
      self: { address: '0.0.0.0', port: 5353 },
      local: ['10.42.0.1'],
      want: ['10.42.0.1', '127.0.0.53', '192.168.1.1', '127.0.0.1'],
    },
  ];
  for (const c of cases) {
    assert.deepEqual(
      usableUpstreams(all, c.self, c.local).map((u) => u.address),
      c.want,
      JSON.stringify(c.self),
    );
  }
});
