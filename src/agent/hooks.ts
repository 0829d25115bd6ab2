/**
 * Lifecycle hooks (postStart, preStop): exec in the container, an HTTP GET to the pod, or a sleep.
 * Returns undefined on success, else the failure as Kubernetes words it in the event.
 */
import type { Container, LifecycleHandler } from 'kubernetes-types/core/v1.js';
import type { RuntimeDriver } from '../runtime/driver.js';
import type { Clock } from '../util/clock.js';
import { httpProbe, resolvePort } from './prober/index.js';

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
    // The same GET as an httpGet probe: status 200-399 is success.
    const g = handler.httpGet;
    let port: number;
    try {
      port = resolvePort(g.port, ctx.container, 'lifecycle hook');
    } catch (err) {
      return (err as Error).message;
    }
    const { result, output } = await httpProbe(
      {
        type: 'httpGet',
        scheme: g.scheme === 'HTTPS' ? 'https' : 'http',
        host: g.host ?? ctx.podIP ?? '127.0.0.1',
        port,
        path: g.path?.startsWith('/') ? g.path : `/${g.path ?? ''}`,
        headers: g.httpHeaders ?? [],
      },
      ctx.timeoutMs,
    );
    return result === 'failure' ? `HTTP lifecycle hook failed: ${output}` : undefined;
  }
  if (handler.sleep) {
    await ctx.clock.sleep(Math.min(handler.sleep.seconds * 1000, ctx.timeoutMs));
    return undefined;
  }
  return 'the hook has no handler (exec, httpGet or sleep)';
}
