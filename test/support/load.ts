/**
 * Bounded HTTP load for network tests: `concurrency` loops send GETs until `count` requests were
 * sent or `durationMs` passed, whichever comes first, and count answers and failures. Each request
 * opens its own connection (no keep-alive), so every one goes through connection set-up again:
 * NAT rule choice, endpoint picking, a backend that is going away.
 */
import http from 'node:http';

export interface LoadOptions {
  /** Loopback or an address of a container the test made (the network rule). */
  url: string;
  headers?: Record<string, string>;
  count: number;
  durationMs: number;
  concurrency?: number;
  /** Per request (default 5 s). */
  timeoutMs?: number;
  /** Stop early once this signal aborts. */
  signal?: AbortSignal;
}

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  /** Failure descriptions (status or error code) and how often each happened. */
  failures: Map<string, number>;
  /** Bodies of 2xx answers (trimmed) and how often each came back. */
  bodies: Map<string, number>;
  elapsedMs: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  return startLoad(options).done;
}

/** `runLoad`, with the counts readable while it runs (`live`). */
export function startLoad(options: LoadOptions): { live: LoadResult; done: Promise<LoadResult> } {
  const started = Date.now();
  const result: LoadResult = {
    sent: 0,
    ok: 0,
    failed: 0,
    failures: new Map(),
    bodies: new Map(),
    elapsedMs: 0,
  };
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  const more = () =>
    result.sent < options.count && Date.now() - started < options.durationMs && !options.signal?.aborted;
  const loop = async () => {
    while (more()) {
      result.sent++;
      try {
        const { status, body } = await get(options.url, options.headers ?? {}, options.timeoutMs ?? 5_000);
        if (status >= 200 && status < 300) {
          result.ok++;
          bump(result.bodies, body.trim());
        } else {
          result.failed++;
          bump(result.failures, `HTTP ${status}`);
        }
      } catch (err) {
        result.failed++;
        bump(result.failures, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
      }
    }
  };
  const done = Promise.all(Array.from({ length: options.concurrency ?? 4 }, loop)).then(() => {
    result.elapsedMs = Date.now() - started;
    return result;
  });
  return { live: result, done };
}

/** One GET on a fresh connection; rejects on network errors and timeouts. */
export function get(
  url: string,
  headers: Record<string, string> = {},
  timeoutMs = 5_000,
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
  });
}
