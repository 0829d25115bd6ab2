/**
 * A real `shoal server` process for end-to-end tests: fresh data directory, free loopback port,
 * resolved once the API answers, and a `kubectl` runner bound to its admin kubeconfig. `kill` and
 * `start` take the server down and bring it back on the same data directory, port and
 * certificates, as an outage of the control plane would.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';
import { reserveClusterRanges } from './ranges.js';
import { spawnShoal } from './shoal-process.js';

export const KUBECTL = process.env.SHOAL_KUBECTL ?? '/usr/bin/kubectl';

export interface ShoalServer {
  url: string;
  dataDir: string;
  /** The pod range this server's nodes get podCIDRs from, disjoint from other test clusters'. */
  clusterCidr: string;
  kubeconfig: string;
  /** The current server process. */
  readonly process: ChildProcess;
  /** Everything the current server process printed so far. */
  output(): string;
  kubectl(
    args: string[],
    options?: { input?: string; env?: Record<string, string>; timeoutMs?: number },
  ): Promise<KubectlResult>;
  /** Ends the process (SIGKILL by default: a crash), keeping its data directory. */
  kill(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Starts the server again after `kill`; resolves once the API answers. */
  start(): Promise<void>;
  /** Ends the process and removes its data directory. */
  stop(): Promise<void>;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function startShoalServer(extraArgs: string[] = []): Promise<ShoalServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-e2e-'));
  const port = await freePort();
  const ranges = await reserveClusterRanges();
  // SHOAL_NODE_ARGS passes extra node flags to the server, e.g. "--cpu-prof" for profiling.
  const nodeArgs = (process.env.SHOAL_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const spawnServer = () =>
    spawnShoal(
      [
        'server',
        '--data-dir',
        dataDir,
        '--listen',
        `127.0.0.1:${port}`,
        '--cluster-cidr',
        ranges.clusterCidr,
        '--service-cidr',
        ranges.serviceCidr,
        ...extraArgs,
      ],
      'shoal server',
      nodeArgs,
    );
  let shoal = spawnServer();
  const cleanup = () => {
    if (shoal.child.exitCode === null) shoal.child.kill('SIGKILL');
  };
  process.once('exit', cleanup);
  process.once('exit', ranges.release);
  try {
    await shoal.ready('API server listening on');
  } catch (err) {
    // A server that never came up gives its address slot back at once, not at process exit.
    process.off('exit', ranges.release);
    ranges.release();
    throw err;
  }
  const kubeconfig = path.join(dataDir, 'admin.kubeconfig');
  return {
    url: `https://127.0.0.1:${port}`,
    dataDir,
    clusterCidr: ranges.clusterCidr,
    kubeconfig,
    get process() {
      return shoal.child;
    },
    output: () => shoal.output(),
    kubectl: (args, options = {}) => runKubectl(kubeconfig, args, options),
    async kill(signal = 'SIGKILL') {
      if (signal === 'SIGKILL') await shoal.kill9();
      else await shoal.stop();
    },
    async start() {
      if (shoal.child.exitCode === null && shoal.child.signalCode === null) {
        throw new Error('shoal server: start() while the server still runs; kill() it first');
      }
      shoal = spawnServer();
      await shoal.ready('API server listening on');
    },
    async stop() {
      process.off('exit', cleanup);
      await shoal.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
      process.off('exit', ranges.release);
      ranges.release();
    },
  };
}

function runKubectl(
  kubeconfig: string,
  args: string[],
  options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      KUBECTL,
      args,
      {
        // A HOME per server keeps kubectl's discovery cache from leaking between runs.
        env: { ...process.env, KUBECONFIG: kubeconfig, HOME: path.dirname(kubeconfig), ...options.env },
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin!.end(options.input);
    else child.stdin!.end();
  });
}
