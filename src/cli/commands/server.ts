/**
 * `shoal server`: the control plane in one process: the API server, and the parts that run
 * beside it (the controllers of src/controllers/index.ts and the scheduler, each while this
 * server holds its leader Lease). Runs in the foreground until SIGINT/SIGTERM.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
// Types only: the control plane's code loads when it runs (`shoal agent` and the kubectl-like
// verbs share this binary and must not pay for the API server, its stores and their clients).
import type { RunningApiServer } from '../../apiserver/serve.js';
import { addServerFlags, controllerSettings, type ServerFlags, serverConfig } from './server-options.js';
import { interrupted } from './signals.js';

export function registerServer(program: Command): void {
  addServerFlags(
    program.command('server').description('run the Shoal control plane in the foreground'),
  ).action(async (flags: ServerFlags) => {
    await runServer(flags, 'server');
  });
}

/** Something `shoal up` runs beside the control plane (the local agent); returns its stop. */
export type Companion = (
  server: RunningApiServer,
  log: (line: string) => void,
) => Promise<() => Promise<void>>;

export async function runServer(flags: ServerFlags, what: string, companion?: Companion): Promise<void> {
  const log = (line: string) => console.error(`shoal ${what}: ${line}`);
  const [{ startApiServer }, { runPartInWorker }] = await Promise.all([
    import('../../apiserver/serve.js'),
    import('./server-parts.js'),
  ]);
  // Checked before anything starts: a bad flag is an error at once, not a controller that never runs.
  const settings = controllerSettings(flags);
  const server = await startApiServer(serverConfig(flags, log));
  log(`API server listening on ${server.url} (${server.store.backend} store)`);
  log(
    `kubeconfig: ${server.identity.adminKubeconfigPath}  (export KUBECONFIG=${server.identity.adminKubeconfigPath})`,
  );
  log(`agents join with the token in ${server.identity.nodeTokenPath}`);

  const stop = new AbortController();
  // Several servers may share one store (etcd): each part acts only while this process holds its
  // Lease. The identity is stable across restarts of the same server (same host, data directory
  // and listen address), so a restarted leader takes its Lease back at once instead of waiting for
  // it to expire; two servers on one host never share it, even on one data directory.
  const common = {
    loopback: server.loopback,
    identity: serverIdentity(flags.dataDir, flags.listen),
    host: os.hostname(),
  };
  const parts = [
    runPartInWorker({ ...common, part: 'shoal-controller-manager', settings }, stop.signal, log),
    runPartInWorker(
      {
        ...common,
        part: 'shoal-scheduler',
        ...(flags.schedulerScoring ? { scoring: flags.schedulerScoring } : {}),
      },
      stop.signal,
      log,
    ),
  ];
  const stopCompanion = companion ? await companion(server, log) : undefined;
  const failed = Promise.race(
    parts.map((p) =>
      p.then(
        () => new Error('a control-plane part stopped'),
        (err: Error) => err,
      ),
    ),
  );

  const reason = await Promise.race([interrupted().then(() => undefined), failed]);
  if (reason) log(`stopping: ${reason.message}`);
  else log('stopping');
  await stopCompanion?.();
  stop.abort();
  await Promise.allSettled(parts);
  await server.close();
}

/** This server among the candidates for leadership: its host, data directory and listen address. */
function serverIdentity(dataDir: string, listen: string): string {
  const where = createHash('sha256')
    .update(`${path.resolve(dataDir)}\n${listen}`)
    .digest('hex')
    .slice(0, 10);
  return `${os.hostname()}_${where}`;
}
