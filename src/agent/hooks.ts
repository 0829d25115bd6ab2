/**
 * Lifecycle hooks (postStart, preStop): exec in the container, an HTTP GET to the pod, or a sleep.
 * Returns undefined on success, else the failure as Kubernetes words it in the event.
 */
import http from 'node:http';
import https from 'node:https';
import type { Container, LifecycleHandler } from 'kubernetes-types/core/v1.js';
import type { RuntimeDriver } from '../runtime/driver.js';
import type { Clock } from '../util/clock.js';

export interface HookContext {
  driver: Pick<RuntimeDriver, 'exec'>;
  containerId: string;
  container: Container;
  podIP?: string;
  timeoutMs: number;
  clock: Clock;
}

export async function runHook(handler: LifecycleHandler, ctx: HookContext): Promise<string | undefined> {
  if (handler.exec) {
    const command = handler.exec.command ?? [];
    const result = await ctx.driver.exec(ctx.containerId, command, ctx.timeoutMs);
    if (result.timedOut) return `command '${command.join(' ')}' timed out`;
    if (result.exitCode !== 0) {
      return `command '${command.join(' ')}' exited with ${result.exitCode}: ${result.output.trim()}`;
    }
    return undefined;
  }
  if (handler.httpGet) {
    const g = handler.httpGet;
    const port = resolvePort(ctx.container, g.port);
    if (port === undefined) return `unable to resolve port ${String(g.port)}`;
    const host = g.host ?? ctx.podIP ?? '127.0.0.1';
    const scheme = (g.scheme ?? 'HTTP').toLowerCase();
    const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${g.path ?? '/'}`;
    return httpHook(url, g.httpHeaders ?? [], ctx.timeoutMs);
  }
  if (handler.sleep) {
    await ctx.clock.sleep(Math.min(handler.sleep.seconds * 1000, ctx.timeoutMs));
    return undefined;
  }
  return 'the hook has no handler (exec, httpGet or sleep)';
}

export function resolvePort(container: Container, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function httpHook(
  url: string,
  headers: Array<{ name: string; value: string }>,
  timeoutMs: number,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const mod = url.startsWith('https') ? https : http;
    const req = mod.get(
      url,
      {
        headers: Object.fromEntries(headers.map((h) => [h.name, h.value])),
        timeout: timeoutMs,
        rejectUnauthorized: false,
      },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve(
          code >= 200 && code < 400 ? undefined : `HTTP lifecycle hook (${url}) failed with status ${code}`,
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => resolve(`HTTP lifecycle hook (${url}) failed: ${err.message}`));
  });
}
