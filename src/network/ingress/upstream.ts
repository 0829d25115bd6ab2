/**
 * The ingress proxy's HTTP/1.1 client for its backends: pooled keep-alive connections and a
 * response parser of its own. Node's http.request costs about three times what the proxy's whole
 * server side does per request (ClientRequest, Agent bookkeeping, an IncomingMessage stream and
 * per-request listeners); this keeps one set of listeners per connection and hands the proxy a
 * response head and body chunks, so a small answer goes back to the client in one write.
 *
 * Response framing follows RFC 9112 §6.3: no body for HEAD, 204 and 304; 1xx heads are skipped
 * (100 Continue, 103 Early Hints); Transfer-Encoding ending in chunked is decoded (trailers are
 * dropped); otherwise Content-Length, and without either the body runs to the connection's end.
 * A connection goes back to the pool only when its response was length-delimited, nothing
 * followed it, and neither side asked to close.
 */
import net, { type Socket } from 'node:net';

export interface ResponseHead {
  status: number;
  statusMessage: string;
  /** Flat name, value, name, value… as received. */
  rawHeaders: string[];
  /** HTTP/1.0 answers close their connection: the proxy never reuses one. */
  http10: boolean;
}

/** Who a connection reports its current response to. */
export interface ResponseSink {
  onHead(head: ResponseHead): void;
  /** A piece of the body; `last` on the final one (which may be empty). */
  onBody(chunk: Buffer, last: boolean): void;
  /** The connection failed or closed before the response was complete. */
  onError(err: Error): void;
}

/** The most bytes a response head may take (as nginx's proxy_buffer_size, generously). */
const MAX_HEAD = 64 * 1024;
const CRLF2 = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

enum State {
  Idle,
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
}

/** Thrown by the parser: the backend broke HTTP; the message says how. */
class UpstreamProtocolError extends Error {}

/** One keep-alive connection to an endpoint; serves one request at a time. */
export class UpstreamConnection {
  /** Set by the proxy while a request uses the connection. */
  sink: ResponseSink | undefined;
  /** Whether the TCP connection was ever established. */
  connected = false;
  private state = State.Idle;
  private pending: Buffer = EMPTY;
  private remaining = 0;
  private noBody = false;
  private reusable = false;
  private connectTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly key: string,
    readonly socket: Socket,
    private readonly pool: UpstreamPool,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => {
      clearTimeout(this.connectTimer);
      this.pool.forget(this);
      this.fail(new Error('connection closed by the backend before the response was complete'));
    });
  }

  static connect(pool: UpstreamPool, host: string, port: number, key: string, timeoutMs: number) {
    const socket = net.connect({ host, port, noDelay: true });
    const conn = new UpstreamConnection(key, socket, pool);
    conn.connectTimer = setTimeout(() => socket.destroy(new Error('connect timeout')), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(conn.connectTimer);
      conn.connected = true;
    });
    return conn;
  }

  /** Starts a request: `head` is the request line and headers, ending in a blank line. */
  begin(sink: ResponseSink, head: string, isHead: boolean): void {
    this.sink = sink;
    this.state = State.Head;
    this.noBody = isHead;
    this.socket.write(head, 'latin1');
  }

  /** Drops the connection (the request is abandoned or failed). */
  destroy(): void {
    this.sink = undefined;
    this.socket.destroy();
  }

  /** Back to the pool after a complete response, if it can carry another request. */
  release(): void {
    this.sink = undefined;
    if (this.reusable && this.state === State.Idle && !this.socket.destroyed) this.pool.give(this);
    else this.socket.destroy();
  }

  private fail(err: Error): void {
    const sink = this.sink;
    if (!sink) return;
    if (this.state === State.UntilClose) {
      // A close-delimited body ends with the connection (RFC 9112 §6.3 item 8).
      this.state = State.Idle;
      this.reusable = false;
      sink.onBody(EMPTY, true);
      return;
    }
    this.sink = undefined;
    this.socket.destroy();
    sink.onError(err);
  }

  private onEnd(): void {
    this.reusable = false;
    this.fail(new Error('connection closed by the backend before the response was complete'));
  }

  private onData(chunk: Buffer): void {
    if (!this.sink || this.state === State.Idle) {
      // Bytes nobody asked for: the connection's framing cannot be trusted any more.
      this.socket.destroy();
      return;
    }
    try {
      this.parse(chunk);
    } catch (err) {
      const sink = this.sink;
      this.sink = undefined;
      this.socket.destroy();
      sink?.onError(err as Error);
    }
  }

  private parse(input: Buffer): void {
    const buf = this.pending.length > 0 ? Buffer.concat([this.pending, input]) : input;
    this.pending = EMPTY;
    let at = 0;
    while (at < buf.length || this.state === State.Idle) {
      const sink = this.sink;
      if (!sink) return;
      switch (this.state) {
        case State.Idle:
          if (at < buf.length) throw new UpstreamProtocolError('bytes after the end of the response');
          return;
        case State.Head: {
          const end = buf.indexOf(CRLF2, at);
          if (end < 0) {
            if (buf.length - at > MAX_HEAD) throw new UpstreamProtocolError('response head too large');
            this.pending = buf.subarray(at);
            return;
          }
          if (end - at > MAX_HEAD) throw new UpstreamProtocolError('response head too large');
          const head = parseHead(buf.toString('latin1', at, end));
          at = end + 4;
          if (head.status < 200 && head.status !== 101) continue; // informational: the real head follows
          if (head.status === 101)
            throw new UpstreamProtocolError('101 Switching Protocols to a plain request');
          const bodyless = this.frame(head);
          sink.onHead(head);
          if (bodyless) {
            if (at < buf.length) throw new UpstreamProtocolError('bytes after the end of the response');
            sink.onBody(EMPTY, true);
          }
          break;
        }
        case State.Length: {
          const n = Math.min(this.remaining, buf.length - at);
          this.remaining -= n;
          const last = this.remaining === 0;
          if (last) this.state = State.Idle;
          const piece = buf.subarray(at, at + n);
          at += n;
          if (last && at < buf.length) throw new UpstreamProtocolError('bytes after the end of the response');
          sink.onBody(piece, last);
          break;
        }
        case State.UntilClose:
          sink.onBody(buf.subarray(at), false);
          at = buf.length;
          break;
        case State.ChunkSize: {
          const eol = buf.indexOf('\r\n', at, 'latin1');
          if (eol < 0) {
            if (buf.length - at > 1024) throw new UpstreamProtocolError('chunk size line too long');
            this.pending = buf.subarray(at);
            return;
          }
          const line = buf.toString('latin1', at, eol);
          const semi = line.indexOf(';');
          const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) {
            throw new UpstreamProtocolError(`bad chunk size ${JSON.stringify(hex)}`);
          }
          this.remaining = Number.parseInt(hex, 16);
          at = eol + 2;
          this.state = this.remaining === 0 ? State.Trailers : State.ChunkData;
          break;
        }
        case State.ChunkData: {
          const n = Math.min(this.remaining, buf.length - at);
          this.remaining -= n;
          if (this.remaining === 0) this.state = State.ChunkEnd;
          if (n > 0) sink.onBody(buf.subarray(at, at + n), false);
          at += n;
          break;
        }
        case State.ChunkEnd:
          if (buf.length - at < 2) {
            this.pending = buf.subarray(at);
            return;
          }
          if (buf[at] !== 13 || buf[at + 1] !== 10)
            throw new UpstreamProtocolError('chunk not followed by CRLF');
          at += 2;
          this.state = State.ChunkSize;
          break;
        case State.Trailers: {
          // Trailer fields end with an empty line; the proxy does not forward them.
          const eol = buf.indexOf('\r\n', at, 'latin1');
          if (eol < 0) {
            if (buf.length - at > MAX_HEAD) throw new UpstreamProtocolError('trailers too large');
            this.pending = buf.subarray(at);
            return;
          }
          const emptyLine = eol === at;
          at = eol + 2;
          if (emptyLine) {
            this.state = State.Idle;
            if (at < buf.length) throw new UpstreamProtocolError('bytes after the end of the response');
            sink.onBody(EMPTY, true);
          }
          break;
        }
      }
    }
  }

  /** Sets the body state for a final response head (RFC 9112 §6.3); true when there is no body. */
  private frame(head: ResponseHead): boolean {
    let length: number | undefined;
    let chunked = false;
    let te = false;
    let close = head.http10;
    const raw = head.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.length === 14 && name.toLowerCase() === 'content-length') {
        const v = raw[i + 1]!.trim();
        if (!/^\d{1,15}$/.test(v)) throw new UpstreamProtocolError(`bad Content-Length ${JSON.stringify(v)}`);
        const n = Number(v);
        if (length !== undefined && length !== n)
          throw new UpstreamProtocolError('conflicting Content-Length');
        length = n;
      } else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
        te = true;
        chunked = /(?:^|,)\s*chunked\s*$/i.test(raw[i + 1]!);
      } else if (name.length === 10 && name.toLowerCase() === 'connection') {
        if (/(?:^|,)\s*close\s*(?:,|$)/i.test(raw[i + 1]!)) close = true;
      }
    }
    this.reusable = !close;
    if (this.noBody || head.status === 204 || head.status === 304) {
      this.state = State.Idle;
    } else if (te) {
      // With both, Transfer-Encoding wins and the connection must not be reused (§6.3 item 3).
      if (length !== undefined) this.reusable = false;
      this.state = chunked ? State.ChunkSize : State.UntilClose;
      if (!chunked) this.reusable = false;
    } else if (length !== undefined) {
      this.remaining = length;
      this.state = length === 0 ? State.Idle : State.Length;
    } else {
      this.state = State.UntilClose;
      this.reusable = false;
    }
    return this.state === State.Idle;
  }
}

/** Parses `HTTP/1.x SSS reason` and header lines; throws UpstreamProtocolError when malformed. */
function parseHead(text: string): ResponseHead {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0]!);
  if (!m) throw new UpstreamProtocolError(`bad status line ${JSON.stringify(lines[0]!.slice(0, 100))}`);
  const rawHeaders: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0 || line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9) {
      throw new UpstreamProtocolError(`bad header line ${JSON.stringify(line.slice(0, 100))}`);
    }
    rawHeaders.push(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return { status: Number(m[2]), statusMessage: m[3] ?? '', rawHeaders, http10: m[1] === '0' };
}

/** Idle connections by endpoint key, most recently used first out. */
export class UpstreamPool {
  private readonly idle = new Map<string, UpstreamConnection[]>();
  private destroyed = false;

  constructor(private readonly maxIdlePerEndpoint = 1024) {}

  /** An idle connection to the endpoint, if there is one. */
  take(key: string): UpstreamConnection | undefined {
    const list = this.idle.get(key);
    if (!list) return undefined;
    for (;;) {
      const conn = list.pop();
      if (!conn) return undefined;
      if (!conn.socket.destroyed) return conn;
    }
  }

  give(conn: UpstreamConnection): void {
    if (this.destroyed) {
      conn.socket.destroy();
      return;
    }
    let list = this.idle.get(conn.key);
    if (!list) {
      list = [];
      this.idle.set(conn.key, list);
    }
    if (list.length >= this.maxIdlePerEndpoint) conn.socket.destroy();
    else list.push(conn);
  }

  /** Called as a connection closes: it must not be handed out again. */
  forget(conn: UpstreamConnection): void {
    const list = this.idle.get(conn.key);
    if (!list) return;
    const i = list.indexOf(conn);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.idle.delete(conn.key);
  }

  /** Closes every idle connection; connections given back later are closed too. */
  destroy(): void {
    this.destroyed = true;
    for (const list of this.idle.values()) for (const conn of list) conn.socket.destroy();
    this.idle.clear();
  }
}
