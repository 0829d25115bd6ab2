/**
 * httpGet probes, as kubelet makes them: a GET with `User-Agent: kube-probe/<version>` and an
 * `Accept` of any type unless the probe sets them, no keep-alive, HTTPS without certificate checks,
 * redirects followed only while they stay on the same host name (at most 10 requests), at most
 * 10 KiB of body read. 200–399 is success; a redirect to another host is not followed and counts
 * as success with a warning ("Probe terminated redirects").
 *
 * One deviation: a body that stops arriving before the timeout is a failure here; kubelet calls
 * it "probe errored" and does not count it, so a server that hangs after its headers would never
 * fail a liveness probe there.
 */
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { KUBERNETES_MAJOR, KUBERNETES_MINOR } from '../../api/version.js';
import { dialErrorText, joinHostPort } from '../go-text.js';
import type { ProbeOutcome } from './outcome.js';
import { type HttpGetAction, ProbeConfigError } from './spec.js';

/** `kube-probe/<major>.<minor>` of the agent's own version, as kubelet builds it. */
export const PROBE_USER_AGENT = `kube-probe/${KUBERNETES_MAJOR}.${KUBERNETES_MINOR}`;
/** Kubelet reads no more of the body than this; the rest is left unread. */
export const MAX_BODY_BYTES = 10 * 1024;
/** Go's http.Client gives up on the 11th request of a redirect chain. */
const MAX_REQUESTS = 10;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Header names are case-insensitive and may repeat: group values under the first spelling seen. */
function requestHeaders(list: HttpGetAction['headers']): { headers: OutgoingHttpHeaders; host?: string } {
  const headers: Record<string, string[]> = {};
  const spelling = new Map<string, string>();
  let host: string | undefined;
  for (const { name, value } of list) {
    const lower = name.toLowerCase();
    // Go moves a Host header to the request's Host (one value); the first one wins there too.
    if (lower === 'host') {
      host ??= value;
      continue;
    }
    const key = spelling.get(lower) ?? name;
    spelling.set(lower, key);
    headers[key] = [...(headers[key] ?? []), value];
  }
  if (!spelling.has('user-agent')) headers['User-Agent'] = [PROBE_USER_AGENT];
  if (!spelling.has('accept')) headers.Accept = ['*/*'];
  return host === undefined ? { headers } : { headers, host };
}

function unbracket(hostname: string): string {
  return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
}

function get(url: URL, headers: OutgoingHttpHeaders, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const hostname = unbracket(url.hostname);
    const options: https.RequestOptions = {
      hostname,
      port: url.port || (url.protocol === 'https:' ? 443 : 80),
      path: url.pathname + url.search,
      method: 'GET',
      headers,
      // A fresh connection each time, closed after the response (kubelet disables keep-alive).
      agent: false,
      signal,
      // Probes check liveness, not identity: kubelet skips certificate verification.
      rejectUnauthorized: false,
      ...(isIP(hostname) ? {} : { servername: hostname }),
    };
    const req = (url.protocol === 'https:' ? https : http).request(options, resolve);
    req.once('error', reject);
    req.end();
  });
}

/** Up to `max` bytes of the body; the rest is dropped with the connection. */
function readCapped(res: IncomingMessage, max: number, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err?: unknown) => {
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks).subarray(0, max).toString('utf8'));
    };
    const onAbort = () => {
      res.destroy();
      done(signal.reason ?? new Error('aborted'));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    res.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= max) {
        res.destroy();
        done();
      }
    });
    res.once('end', () => done());
    res.once('error', (err) => done(err));
  });
}

function classify(status: number, body: string): ProbeOutcome {
  if (status >= 200 && status < 300) return { result: 'success', output: body };
  if (status >= 300 && status < 400) {
    return { result: 'warning', output: `Probe terminated redirects, Response body: ${body}` };
  }
  return { result: 'failure', output: `HTTP probe failed with statuscode: ${status}` };
}

export async function httpProbe(action: HttpGetAction, timeoutMs: number): Promise<ProbeOutcome> {
  // Go prints the URL as built (default ports kept); WHATWG URL would drop ":80".
  let shown = `${action.scheme}://${joinHostPort(action.host, action.port)}${action.path}`;
  let url: URL;
  try {
    url = new URL(shown);
  } catch {
    throw new ProbeConfigError(`httpGet: host "${action.host}" and path "${action.path}" do not form a URL`);
  }
  const firstHost = url.hostname;
  const { headers, host } = requestHeaders(action.headers);
  let hostHeader = host;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let phase: 'headers' | 'body' = 'headers';
  try {
    for (let requests = 1; ; requests++) {
      const res = await get(
        url,
        hostHeader === undefined ? headers : { ...headers, Host: hostHeader },
        controller.signal,
      );
      const location = res.headers.location;
      if (REDIRECTS.has(res.statusCode ?? 0) && location) {
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          res.resume();
          return {
            result: 'failure',
            output: `Get "${shown}": failed to parse Location header ${JSON.stringify(location)}`,
          };
        }
        // Kubelet follows a redirect only to the same host name; otherwise this 3xx is the answer.
        if (next.hostname === firstHost) {
          res.resume();
          if (next.protocol !== 'http:' && next.protocol !== 'https:') {
            return {
              result: 'failure',
              output: `Get "${next.href}": unsupported protocol scheme "${next.protocol.slice(0, -1)}"`,
            };
          }
          if (requests >= MAX_REQUESTS) {
            return {
              result: 'failure',
              output: `Get "${next.href}": stopped after ${MAX_REQUESTS} redirects`,
            };
          }
          // Go keeps a custom Host header only through relative redirects.
          if (URL.canParse(location)) hostHeader = undefined;
          url = next;
          shown = next.href;
          continue;
        }
      }
      phase = 'body';
      return classify(res.statusCode ?? 0, await readCapped(res, MAX_BODY_BYTES, controller.signal));
    }
  } catch (err) {
    if (controller.signal.aborted) {
      const during =
        phase === 'headers'
          ? 'Client.Timeout exceeded while awaiting headers'
          : 'Client.Timeout or context cancellation while reading body';
      return { result: 'failure', output: `Get "${shown}": context deadline exceeded (${during})` };
    }
    return {
      result: 'failure',
      output: `Get "${shown}": ${dialErrorText(err, unbracket(url.hostname), Number(url.port) || (url.protocol === 'https:' ? 443 : 80))}`,
    };
  } finally {
    clearTimeout(timer);
  }
}
