/**
 * The parts of the control plane that run beside the API server in `shoal server`: the controller
 * manager and the scheduler. Each runs in a worker thread of its own, so the scheduling loop and
 * the controllers' reconciling never hold up the API server's event loop (nor each other): with
 * the scheduler on the API server's thread, 5,000 nodes scheduled ~2,000 pods/s; beside it, ~3,000.
 * Each part reaches the API server through the loopback socket, as any client, and acts only while
 * this server holds the part's leader Lease.
 */
import { Worker } from 'node:worker_threads';
import { DEFAULT_SCHEDULER_NAME } from '../../api/defaults/pod.js';
import type { ControllerSettings } from '../../controllers/framework/controller.js';
import type { ScoringProfile } from '../../scheduler/profiles.js';

export interface Loopback {
  server: string;
  socketPath: string;
  token: string;
}

export type PartSpec = {
  loopback: Loopback;
  /** This server among the candidates for each part's leader Lease. */
  identity: string;
  host: string;
} & (
  | { part: 'shoal-controller-manager'; settings: ControllerSettings }
  | { part: 'shoal-scheduler'; scoring?: ScoringProfile }
);

/** What the worker says to the thread that started it. */
export type PartMessage = { type: 'log'; line: string };

/**
 * Run `spec` in a worker thread until `signal` aborts (then it stops its part, finishing what is
 * in flight) or the part ends by itself. Resolves when the thread has exited; rejects when it
 * failed (an uncaught error in the part).
 */
export function runPartInWorker(
  spec: PartSpec,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<void> {
  const worker = new Worker(new URL('./server-part-worker.js', import.meta.url), {
    workerData: spec,
    name: spec.part,
  });
  const stop = () => worker.postMessage('stop');
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
  worker.on('message', (m: PartMessage) => {
    if (m?.type === 'log') log(m.line);
  });
  return new Promise<void>((resolve, reject) => {
    let failure: Error | undefined;
    worker.on('error', (err) => {
      failure = err;
    });
    worker.on('exit', (code) => {
      signal.removeEventListener('abort', stop);
      if (failure) reject(new Error(`${spec.part} failed: ${failure.message}`, { cause: failure }));
      else if (code !== 0) reject(new Error(`${spec.part} exited with code ${code}`));
      else resolve();
    });
  });
}

/** Run `spec` on this thread until `signal` aborts (what the worker does; tests call it directly). */
export async function runPart(
  spec: PartSpec,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<void> {
  const [{ Client }, { LeaderElector }] = await Promise.all([
    import('../../client/rest.js'),
    import('../../client/leader-election.js'),
  ]);
  const userAgent = spec.part === 'shoal-scheduler' ? DEFAULT_SCHEDULER_NAME : spec.part;
  const client = new Client({ ...spec.loopback, userAgent });
  try {
    const elector = new LeaderElector(client, { name: spec.part, identity: spec.identity, log });
    if (spec.part === 'shoal-controller-manager') {
      const { CONTROLLERS, ControllerManager } = await import('../../controllers/index.js');
      await elector.run(signal, (lead) =>
        new ControllerManager(client, CONTROLLERS, { log, host: spec.host, settings: spec.settings }).run(
          lead,
        ),
      );
    } else if (spec.part === 'shoal-scheduler') {
      const { defaultScheduler } = await import('../../scheduler/default-scheduler.js');
      await elector.run(signal, (lead) =>
        defaultScheduler(client, { ...(spec.scoring ? { scoring: spec.scoring } : {}), log }).run(lead),
      );
    } else {
      throw new Error(`unknown control-plane part "${(spec as { part: unknown }).part}"`);
    }
  } finally {
    client.close();
  }
}
