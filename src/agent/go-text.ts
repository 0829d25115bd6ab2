/**
 * Texts as the kubelet (Go's strconv, net and net/http) writes them, so Events, probe messages and
 * downwardAPI files read the same as on a Kubernetes node: `dial tcp 10.0.0.5:8080: connect:
 * connection refused`, `app="web"`.
 */
import { isIP } from 'node:net';

/** Go's net.JoinHostPort: IPv6 addresses in brackets. */
export function joinHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

const GO_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '"': '\\"',
  '\\': '\\\\',
};

/** Go's strconv.Quote (`%q` of a string) for the characters that occur in names, labels and commands. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (GO_ESCAPES[ch]) out += GO_ESCAPES[ch];
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c >= 0x80 && c < 0xa0) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Go's time.Duration String() for whole seconds or milliseconds. */
export function goDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The errno texts Go prints (strerror), for the codes a probe meets. */
const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  ETIMEDOUT: 'connection timed out',
  EADDRNOTAVAIL: 'cannot assign requested address',
  EPIPE: 'broken pipe',
};

/** What Go's dialer says when connecting to host:port failed with Node's `err`. */
export function dialErrorText(err: unknown, host: string, port: number): string {
  const e = err as NodeJS.ErrnoException;
  if (e.syscall === 'getaddrinfo') return `dial tcp: lookup ${host}: no such host`;
  const text = (e.code && ERRNO_TEXT[e.code]) || e.message || String(err);
  if (e.syscall === 'connect') return `dial tcp ${joinHostPort(host, port)}: connect: ${text}`;
  // A connection that broke after it was made (Node: "socket hang up"); Go reports the EOF.
  if (e.code === 'ECONNRESET' && !e.syscall) return 'EOF';
  return e.syscall ? `${e.syscall}: ${text}` : text;
}

/** Go's i/o timeout of a dial that did not finish in time. */
export function dialTimeoutText(host: string, port: number): string {
  return `dial tcp ${joinHostPort(host, port)}: i/o timeout`;
}
