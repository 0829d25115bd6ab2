/**
 * Forwarding queries the cluster zone does not own to the node's upstream nameservers: UDP first,
 * TCP when the UDP answer comes back truncated, each upstream in turn with a timeout. Every
 * exchange uses its own socket (a fresh source port) and its own random query ID, so a slow or
 * spoofed reply for one query can never be taken for another's.
 */
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import net, { isIP, isIPv6 } from 'node:net';
import { errorMessage } from '../../util/error-message.js';
import { isLoopbackAddress } from '../../util/ipv4.js';

export interface Upstream {
  address: string;
  port: number;
}

/** Nameserver addresses (as a resolv.conf lists them) as upstreams on port 53; non-addresses are skipped. */
export function upstreamsFrom(nameservers: readonly string[], port = 53): Upstream[] {
  return nameservers
    .map((n) => n.replace(/%.*$/, '')) // an IPv6 zone index (fe80::1%eth0) is not ours to keep
    .filter((n) => isIP(n) !== 0)
    .map((address) => ({ address, port }));
}

/**
 * Drops the upstreams that would send queries back to this server: its own address and port,
 * or, when it listens on every address, any local or loopback address on its port. A loopback
 * stub resolver on another address (systemd-resolved's 127.0.0.53) is kept.
 */
export function usableUpstreams(
  upstreams: readonly Upstream[],
  self: Upstream,
  localAddresses: readonly string[],
): Upstream[] {
  const wildcard = self.address === '0.0.0.0' || self.address === '::';
  return upstreams.filter((u) => {
    if (u.port !== self.port) return true;
    if (u.address === self.address) return false;
    return !(wildcard && (isLoopbackAddress(u.address) || localAddresses.includes(u.address)));
  });
}

/** Sends `message` to each upstream in turn until one answers; the answer carries the query's own ID. */
export async function forwardQuery(
  upstreams: readonly Upstream[],
  message: Buffer,
  timeoutMs: number,
): Promise<Buffer> {
  if (message.length < 12) throw new Error('a DNS query is at least 12 bytes');
  if (upstreams.length === 0) throw new Error('no upstream nameservers configured');
  const failures: string[] = [];
  for (const upstream of upstreams) {
    const query = Buffer.from(message);
    const id = randomInt(0, 0x10000);
    query.writeUInt16BE(id, 0);
    try {
      let reply = await exchangeUdp(upstream, query, id, timeoutMs);
      // TC: the answer did not fit in a datagram; ask the same upstream again over TCP.
      if ((reply.readUInt16BE(2) & 0x0200) !== 0) reply = await exchangeTcp(upstream, query, id, timeoutMs);
      reply.writeUInt16BE(message.readUInt16BE(0), 0);
      return reply;
    } catch (err) {
      failures.push(`${upstream.address}:${upstream.port}: ${errorMessage(err)}`);
    }
  }
  throw new Error(`every upstream failed: ${failures.join('; ')}`);
}

type Finish = (err: Error | undefined, reply?: Buffer) => void;

/**
 * One exchange on a socket that `open` makes, wires to `finish` and returns the closer of: it
 * settles once, with the first `finish` or with a timeout error, and the socket is closed then.
 */
function exchange(
  transport: string,
  timeoutMs: number,
  open: (finish: Finish) => () => void,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    let close: (() => void) | undefined;
    const finish: Finish = (err, reply) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      close?.();
      if (err) reject(err);
      else resolve(reply as Buffer);
    };
    close = open(finish);
    timer = setTimeout(() => finish(new Error(`no ${transport} answer within ${timeoutMs} ms`)), timeoutMs);
  });
}

/** One UDP query and its reply (the first datagram from the upstream with the query's ID). */
function exchangeUdp(upstream: Upstream, query: Buffer, id: number, timeoutMs: number): Promise<Buffer> {
  return exchange('UDP', timeoutMs, (finish) => {
    const socket = dgram.createSocket(isIPv6(upstream.address) ? 'udp6' : 'udp4');
    socket.on('error', (err) => finish(err));
    socket.on('message', (reply, from) => {
      const fromUpstream = from.address === upstream.address && from.port === upstream.port;
      // Anything else (another sender, a stale or garbled reply) is ignored: the timer still runs.
      if (fromUpstream && reply.length >= 12 && reply.readUInt16BE(0) === id && (reply[2] ?? 0) & 0x80) {
        finish(undefined, reply);
      }
    });
    socket.send(query, upstream.port, upstream.address, (err) => {
      if (err) finish(err);
    });
    return () => socket.close();
  });
}

/** One query over TCP (two-byte length prefix each way). */
function exchangeTcp(upstream: Upstream, query: Buffer, id: number, timeoutMs: number): Promise<Buffer> {
  return exchange('TCP', timeoutMs, (finish) => {
    const socket = net.connect({ host: upstream.address, port: upstream.port });
    let received = Buffer.alloc(0);
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error('the upstream closed the TCP connection before answering')));
    socket.on('connect', () => socket.write(Buffer.concat([lengthPrefix(query.length), query])));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2) return;
      const length = received.readUInt16BE(0);
      if (received.length < 2 + length) return;
      const reply = Buffer.from(received.subarray(2, 2 + length));
      if (reply.length < 12 || reply.readUInt16BE(0) !== id)
        finish(new Error('the TCP answer has another query ID'));
      else finish(undefined, reply);
    });
    return () => socket.destroy();
  });
}

export function lengthPrefix(length: number): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(length, 0);
  return prefix;
}
