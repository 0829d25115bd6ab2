/**
 * The cluster DNS server: UDP and TCP on one address and port, answering the cluster zone from a
 * `RecordSource` and forwarding everything else to the upstream nameservers. Each query is handled
 * on its own promise, so a slow upstream delays only the queries waiting for it. Malformed input
 * never throws out of a handler: a readable header gets FORMERR, anything shorter is dropped.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import net, { isIPv6 } from 'node:net';
import os from 'node:os';
import dnsPacket, { type Answer, type DecodedPacket, type OptAnswer, type Packet } from 'dns-packet';
import { errorMessage } from '../../util/error-message.js';
import { forwardQuery, lengthPrefix, type Upstream, usableUpstreams } from './forward.js';
import type { RecordSource } from './records.js';

export interface DnsServerOptions {
  records: RecordSource;
  /** Default 0.0.0.0. */
  address?: string;
  /** Default 53; 0 picks a free port (read it back with `address()`). */
  port?: number;
  /** Where names outside the cluster zone go, in order. */
  upstreams?: readonly Upstream[];
  /** How long to wait for one upstream before trying the next; default 2000 ms. */
  upstreamTimeoutMs?: number;
  /** A TCP connection idle this long is closed; default 10000 ms. */
  tcpIdleTimeoutMs?: number;
  /** Forwarded queries in flight at most; beyond it queries get SERVFAIL at once. Default 1024. */
  maxForwardsInFlight?: number;
  log?: (line: string) => void;
}

/** Counters for a metrics endpoint. */
export interface DnsStats {
  /** Messages received, parseable or not. */
  queries: number;
  udpQueries: number;
  tcpQueries: number;
  /** Answered from the cluster zone (any rcode). */
  answered: number;
  nxdomain: number;
  /** Sent on to an upstream (including ExternalName targets followed). */
  forwarded: number;
  /** Forwards no upstream answered: the client got SERVFAIL (or an unfollowed CNAME). */
  forwardFailures: number;
  /** Messages that were not a well-formed query: FORMERR, NOTIMP or dropped. */
  malformed: number;
  /** UDP answers cut to fit, with TC set. */
  truncated: number;
}

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4 } as const;
const FLAG_QR = 0x8000;
const FLAG_AA = 0x0400;
const FLAG_TC = 0x0200;
const FLAG_RD = 0x0100;
const FLAG_RA = 0x0080;
const OPCODE_MASK = 0x7800;
/** A datagram without EDNS holds 512 bytes; with EDNS we accept up to 4096 (the common ceiling). */
const UDP_PLAIN_LIMIT = 512;
const UDP_EDNS_CEILING = 4096;
/** The payload size we advertise back (the DNS flag day 2020 recommendation). */
const EDNS_SIZE = 1232;
const TCP_LIMIT = 65535;
const MAX_CNAME_CHAIN = 8;

export class DnsServer {
  private readonly records: RecordSource;
  private readonly bindAddress: string;
  private readonly bindPort: number;
  private readonly configuredUpstreams: readonly Upstream[];
  private readonly upstreamTimeoutMs: number;
  private readonly tcpIdleTimeoutMs: number;
  private readonly maxForwards: number;
  private readonly log: (line: string) => void;
  private upstreams: Upstream[] = [];
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;
  private readonly connections = new Set<net.Socket>();
  private bound: Upstream | undefined;
  private forwardsInFlight = 0;
  private closed = false;
  private readonly counters: DnsStats = {
    queries: 0,
    udpQueries: 0,
    tcpQueries: 0,
    answered: 0,
    nxdomain: 0,
    forwarded: 0,
    forwardFailures: 0,
    malformed: 0,
    truncated: 0,
  };

  constructor(options: DnsServerOptions) {
    this.records = options.records;
    this.bindAddress = options.address ?? '0.0.0.0';
    this.bindPort = options.port ?? 53;
    this.configuredUpstreams = options.upstreams ?? [];
    this.upstreamTimeoutMs = options.upstreamTimeoutMs ?? 2000;
    this.tcpIdleTimeoutMs = options.tcpIdleTimeoutMs ?? 10_000;
    this.maxForwards = options.maxForwardsInFlight ?? 1024;
    this.log = options.log ?? (() => {});
  }

  /** Binds UDP and TCP on the same port. With port 0, retries a few times if TCP finds the port taken. */
  async start(): Promise<void> {
    if (this.udp) return;
    for (let attempt = 1; ; attempt++) {
      const udp = dgram.createSocket(isIPv6(this.bindAddress) ? 'udp6' : 'udp4');
      await listening(udp.bind(this.bindPort, this.bindAddress)).catch((err: unknown) => {
        throw new Error(
          `cluster DNS: cannot listen on udp ${this.bindAddress}:${this.bindPort}: ${errorMessage(err)}`,
        );
      });
      const port = udp.address().port;
      try {
        this.tcp = await this.listenTcp(port);
        this.udp = udp;
        this.bound = { address: this.bindAddress, port };
        break;
      } catch (err) {
        udp.close();
        const retry =
          this.bindPort === 0 && attempt < 5 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (!retry)
          throw new Error(
            `cluster DNS: cannot listen on tcp ${this.bindAddress}:${port}: ${errorMessage(err)}`,
          );
      }
    }
    this.udp.on('message', (message, from) => this.onDatagram(message, from));
    this.udp.on('error', (err) => this.log(`cluster DNS: udp socket: ${errorMessage(err)}`));
    const local = Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
    this.upstreams = usableUpstreams(this.configuredUpstreams, this.bound, local);
    const skipped = this.configuredUpstreams.length - this.upstreams.length;
    if (skipped > 0) this.log(`cluster DNS: skipped ${skipped} upstream(s) that point back at this server`);
  }

  /** The bound address and port (after `start`). */
  address(): Upstream {
    if (!this.bound) throw new Error('cluster DNS: address() before start()');
    return { ...this.bound };
  }

  stats(): DnsStats {
    return { ...this.counters };
  }

  /** Serves until the signal aborts, then closes. */
  async run(signal: AbortSignal): Promise<void> {
    await this.start();
    if (!signal.aborted)
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const socket of this.connections) socket.destroy();
    const udp = this.udp;
    const tcp = this.tcp;
    await Promise.all([
      udp ? new Promise<void>((resolve) => udp.close(() => resolve())) : undefined,
      tcp ? new Promise<void>((resolve) => tcp.close(() => resolve())) : undefined,
    ]);
  }

  private onDatagram(message: Buffer, from: dgram.RemoteInfo): void {
    this.counters.udpQueries++;
    void this.respond(message, 'udp').then((reply) => {
      if (!reply || this.closed) return;
      this.udp?.send(reply, from.port, from.address, (err) => {
        if (err) this.log(`cluster DNS: sending to ${from.address}:${from.port}: ${errorMessage(err)}`);
      });
    });
  }

  private async listenTcp(port: number): Promise<net.Server> {
    const server = net.createServer((socket) => this.onConnection(socket));
    await listening(server.listen({ port, host: this.bindAddress }));
    server.on('error', (err) => this.log(`cluster DNS: tcp server: ${errorMessage(err)}`));
    return server;
  }

  private onConnection(socket: net.Socket): void {
    this.connections.add(socket);
    socket.setTimeout(this.tcpIdleTimeoutMs, () => socket.destroy());
    socket.on('close', () => this.connections.delete(socket));
    socket.on('error', () => socket.destroy());
    // Frames (two-byte length, message) may arrive split or several per chunk; a partial frame
    // is at most 64 KiB, so the buffer stays bounded.
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (pending.length < 2 + length) break;
        const message = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        this.counters.tcpQueries++;
        void this.respond(message, 'tcp').then((reply) => {
          if (reply && !socket.destroyed) socket.write(Buffer.concat([lengthPrefix(reply.length), reply]));
        });
      }
    });
  }

  /** The reply to one message, or undefined to drop it. Never rejects. */
  private async respond(message: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    this.counters.queries++;
    try {
      return await this.answer(message, transport);
    } catch (err) {
      this.log(`cluster DNS: answering a query: ${errorMessage(err)}`);
      return message.length >= 12 ? headerOnly(message, RCODE.SERVFAIL) : undefined;
    }
  }

  private async answer(message: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    if (message.length < 12 || (message.readUInt16BE(2) & FLAG_QR) !== 0) {
      // Too short to answer, or a response (answering those invites reflection loops).
      this.counters.malformed++;
      return undefined;
    }
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(message);
    } catch {
      this.counters.malformed++;
      return headerOnly(message, RCODE.FORMERR);
    }
    if ((message.readUInt16BE(2) & OPCODE_MASK) !== 0) {
      this.counters.malformed++;
      return headerOnly(message, RCODE.NOTIMP);
    }
    const question = query.questions?.[0];
    if (!question || query.questions?.length !== 1) {
      this.counters.malformed++;
      return headerOnly(message, RCODE.FORMERR);
    }
    const opt = query.additionals?.find((r): r is OptAnswer => r.type === 'OPT');
    const limit =
      transport === 'tcp'
        ? TCP_LIMIT
        : Math.min(Math.max(opt?.udpPayloadSize ?? UDP_PLAIN_LIMIT, UDP_PLAIN_LIMIT), UDP_EDNS_CEILING);

    const lookup = this.records.lookup(question);
    if (lookup.kind === 'forward') {
      const reply = await this.forward(message);
      if (!reply) return headerOnly(message, RCODE.SERVFAIL);
      if (reply.length <= limit) return reply;
      let decoded: DecodedPacket;
      try {
        decoded = dnsPacket.decode(reply);
      } catch {
        return headerOnly(message, RCODE.SERVFAIL);
      }
      return this.encodeWithin({ ...decoded, flags: decoded.flags ?? 0 }, limit);
    }

    this.counters.answered++;
    let rcode: number = RCODE[lookup.rcode];
    let answers = lookup.answers;
    let authorities = lookup.authorities;
    const last = answers.at(-1);
    const asked: string = question.type;
    if (last?.type === 'CNAME' && asked !== 'CNAME' && asked !== 'ANY') {
      const followed = await this.follow(last.data, question.type);
      answers = [...answers, ...followed.answers];
      if (followed.rcode !== undefined) rcode = followed.rcode;
      if (followed.answers.length > 0) authorities = [];
    }
    if (rcode === RCODE.NXDOMAIN) this.counters.nxdomain++;
    const reply: Packet = {
      type: 'response',
      id: query.id ?? 0,
      flags: FLAG_AA | FLAG_RA | ((query.flags ?? 0) & FLAG_RD) | rcode,
      questions: [question],
      answers,
      authorities,
      additionals: [...lookup.additionals, ...(opt ? [ednsRecord()] : [])],
    };
    return this.encodeWithin(reply, limit);
  }

  /**
   * Resolves a CNAME target (an ExternalName Service's) so clients get the addresses with the
   * CNAME, as the DNS specification's example shows: from the cluster zone, else upstream.
   */
  private async follow(target: string, type: string): Promise<{ answers: Answer[]; rcode?: number }> {
    const answers: Answer[] = [];
    let name = target;
    for (let hop = 0; hop < MAX_CNAME_CHAIN; hop++) {
      const lookup = this.records.lookup({ name, type });
      if (lookup.kind === 'answer') {
        answers.push(...lookup.answers);
        const next = lookup.answers.at(-1);
        if (next?.type !== 'CNAME') return { answers, rcode: RCODE[lookup.rcode] };
        name = next.data;
        continue;
      }
      const query = dnsPacket.encode({
        type: 'query',
        id: 0,
        flags: dnsPacket.RECURSION_DESIRED,
        questions: [{ name, type: type as Answer['type'] }],
      });
      const reply = await this.forward(query);
      if (!reply) return { answers };
      try {
        const decoded = dnsPacket.decode(reply);
        answers.push(...(decoded.answers ?? []));
        return { answers, rcode: reply.readUInt16BE(2) & 0x000f };
      } catch {
        return { answers };
      }
    }
    return { answers };
  }

  /** The upstream's reply, or undefined when none answered (counted as a failure). */
  private async forward(message: Buffer): Promise<Buffer | undefined> {
    this.counters.forwarded++;
    if (this.forwardsInFlight >= this.maxForwards) {
      this.counters.forwardFailures++;
      return undefined;
    }
    this.forwardsInFlight++;
    try {
      return await forwardQuery(this.upstreams, message, this.upstreamTimeoutMs);
    } catch (err) {
      this.counters.forwardFailures++;
      this.log(`cluster DNS: forwarding: ${errorMessage(err)}`);
      return undefined;
    } finally {
      this.forwardsInFlight--;
    }
  }

  /**
   * Encodes the reply; if it is over `limit`, sets TC and keeps as many whole answers as fit
   * (dropping the authority and additional sections, EDNS aside), so clients that cannot retry
   * over TCP still get something and those that can know to.
   */
  private encodeWithin(packet: Packet, limit: number): Buffer {
    const full = dnsPacket.encode(packet);
    if (full.length <= limit) return full;
    this.counters.truncated++;
    const answers = packet.answers ?? [];
    const cut = (n: number): Packet => ({
      ...packet,
      flags: (packet.flags ?? 0) | FLAG_TC,
      answers: answers.slice(0, n),
      authorities: [],
      additionals: (packet.additionals ?? []).filter((r) => r.type === 'OPT'),
    });
    let fits = 0;
    let tooMany = answers.length + 1;
    while (tooMany - fits > 1) {
      const mid = (fits + tooMany) >> 1;
      if (dnsPacket.encodingLength(cut(mid)) <= limit) fits = mid;
      else tooMany = mid;
    }
    return dnsPacket.encode(cut(fits));
  }
}

/** A reply with the query's ID, opcode and RD, the given rcode and no sections. */
function headerOnly(message: Buffer, rcode: number): Buffer {
  const reply = Buffer.alloc(12);
  reply.writeUInt16BE(message.readUInt16BE(0), 0);
  const flags = message.readUInt16BE(2);
  reply.writeUInt16BE(FLAG_QR | FLAG_RA | (flags & (OPCODE_MASK | FLAG_RD)) | rcode, 2);
  return reply;
}

function ednsRecord(): OptAnswer {
  return {
    type: 'OPT',
    name: '.',
    udpPayloadSize: EDNS_SIZE,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options: [],
  };
}

/** Resolves once the socket or server listens; rejects with its error (events.once does both). */
async function listening(emitter: dgram.Socket | net.Server): Promise<void> {
  await once(emitter, 'listening');
}
