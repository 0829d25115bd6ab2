/**
 * Throwaway etcd servers for tests.
 *
 * `startEtcd()` runs a real single-member etcd on free loopback ports with a fresh data directory
 * and resolves once it answers `/health`. Every test that starts one should `stop()` it (usually in
 * `after`/`t.after`); as a safety net, servers still running when the test process exits (or is
 * ended by SIGINT/SIGTERM/SIGHUP) are killed and their data directories removed, and a forgotten
 * server does not keep the test process alive.
 *
 * The binary is `$SHOAL_ETCD_BIN`, else `/usr/bin/etcd` (Debian's etcd-server), else `etcd` on PATH.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './ports.js';

export interface EtcdOptions {
  /** etcd's `--max-request-bytes`. Default 2 MiB, so a 1.5 MiB value plus request overhead fits. */
  maxRequestBytes?: number;
}

export interface EtcdServer {
  /** Client URLs, e.g. `['http://127.0.0.1:41234']`. */
  endpoints: string[];
  dataDir: string;
  /** SIGTERM, wait for exit (SIGKILL after 5 s), then remove the data dir. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL at once, like a crash. Keeps the data dir; call `stop()` afterwards to clean up. */
  kill(): void;
}

const DEFAULT_MAX_REQUEST_BYTES = 2 * 1024 * 1024;
const QUOTA_BACKEND_BYTES = 8 * 1024 * 1024 * 1024;
const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
const STDERR_TAIL_BYTES = 8 * 1024;

/** Servers not yet cleaned up, for the exit handler. */
const live = new Set<{ child: ChildProcess; dataDir: string }>();

export async function startEtcd(options: EtcdOptions = {}): Promise<EtcdServer> {
  installExitHandlers();
  const [clientPort, peerPort] = await freePorts(2);
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const name = `shoal-test-${clientPort}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'shoal-etcd-'));

  const args = [
    `--name=${name}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=${name}=${peerUrl}`,
    '--initial-cluster-state=new',
    `--max-request-bytes=${options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES}`,
    `--quota-backend-bytes=${QUOTA_BACKEND_BYTES}`,
    '--logger=zap',
    '--log-outputs=stderr',
    '--log-level=warn',
  ];
  // etcd also reads ETCD_* variables; drop any from the environment so only our flags count.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCD_')));
  const child = spawn(etcdBinary(), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const entry = { child, dataDir };
  live.add(entry);

  let stderrTail = '';
  const keepTail = (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });

  const cleanUp = async () => {
    await rm(dataDir, { recursive: true, force: true });
    live.delete(entry);
  };

  try {
    await waitHealthy(clientUrl, child, () => spawnError);
  } catch (err) {
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null && !spawnError) await exited;
    await cleanUp();
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`etcd did not start: ${why}\n--- etcd stderr (tail) ---\n${stderrTail}`);
  }

  // A forgotten server must not keep the test process alive; the exit handler kills it.
  unrefChild(child);

  let stopping: Promise<void> | undefined;
  return {
    endpoints: [clientUrl],
    dataDir,
    kill() {
      child.kill('SIGKILL');
    },
    stop() {
      stopping ??= (async () => {
        child.ref(); // keep the event loop alive until etcd has really gone
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
          await exited;
          clearTimeout(timer);
        }
        await cleanUp();
      })();
      return stopping;
    },
  };
}

function etcdBinary(): string {
  if (process.env.SHOAL_ETCD_BIN) return process.env.SHOAL_ETCD_BIN;
  return existsSync('/usr/bin/etcd') ? '/usr/bin/etcd' : 'etcd';
}

/** Polls `/health` until etcd reports healthy; fails early if the process exits. */
async function waitHealthy(
  clientUrl: string,
  child: ChildProcess,
  spawnError: () => Error | undefined,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    const err = spawnError();
    if (err) throw new Error(`could not run ${etcdBinary()}: ${err.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`etcd exited early (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    try {
      const res = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(1_000) });
      const body = await res.text();
      if (res.ok && /"health"\s*:\s*"true"/.test(body)) return;
      lastProblem = `/health answered ${res.status}: ${body.trim()}`;
    } catch (e) {
      lastProblem = e instanceof Error ? e.message : String(e);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `no healthy answer from ${clientUrl}/health within ${READY_TIMEOUT_MS / 1000} s (${lastProblem})`,
  );
}

function unrefChild(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
}

let exitHandlersInstalled = false;

function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  const killAll = () => {
    for (const { child, dataDir } of live) {
      try {
        child.kill('SIGKILL');
        rmSync(dataDir, { recursive: true, force: true });
      } catch {
        // best effort: the process is going away anyway
      }
    }
    live.clear();
  };
  process.on('exit', killAll);
  // A signal ends the process without 'exit' handlers running: clean up, then die of the same
  // signal as we would have without this handler.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal);
    });
  }
}
