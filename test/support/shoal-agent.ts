/**
 * A real `shoal agent` process joined to a test server (test/support/shoal-server.ts), with its
 * own data dir and a node name unique to the run. `kill9` + `start` again simulate an agent crash;
 * `stop` ends it and removes its containers and its tmpfs. Image garbage collection is off unless
 * `extraArgs` turn it on.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chainPrefixFor, IptablesApplier } from '../../src/network/proxy/index.js';
import { removeNodeContainers, removeNodeNetwork } from './docker.js';
import { type ShoalProcess, spawnShoal } from './shoal-process.js';
import type { ShoalServer } from './shoal-server.js';

export interface ShoalAgent {
  name: string;
  dataDir: string;
  /** Everything the current process printed. */
  output(): string;
  /** (Re)starts the process; resolves once it serves. */
  start(): Promise<void>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
  readonly process: ChildProcess | undefined;
}

export function shoalAgent(server: ShoalServer, name: string, extraArgs: string[] = []): ShoalAgent {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-agent-'));
  let current: ShoalProcess | undefined;
  const cleanup = () => {
    if (current && current.child.exitCode === null) current.child.kill('SIGKILL');
  };
  process.once('exit', cleanup);

  const agent: ShoalAgent = {
    name,
    dataDir,
    output: () => current?.output() ?? '',
    get process() {
      return current?.child;
    },
    async start() {
      const args = [
        'agent',
        '--server',
        server.url,
        '--token-file',
        path.join(server.dataDir, 'node-token'),
        '--name',
        name,
        '--data-dir',
        dataDir,
        '--listen',
        '127.0.0.1:0',
        '--node-ip',
        '127.0.0.1',
        // The dockerd is shared: image GC would remove other people's images. A test that means
        // to exercise it (on a private dockerd) passes its own threshold in extraArgs, which wins.
        '--image-gc-high-threshold',
        '100',
        // A server a test started by hand (not startShoalServer) has no address slot.
        ...(server.clusterCidr ? ['--cluster-cidr', server.clusterCidr] : []),
        // Several agents share this machine's ports 80/443: only a test that asks for the ingress
        // (with ports of its own) gets one.
        ...(extraArgs.includes('--ingress-http-port') ? [] : ['--no-ingress']),
        ...extraArgs,
      ];
      current = spawnShoal(args, 'shoal agent');
      await current.ready('agent endpoint');
    },
    async kill9() {
      await current?.kill9();
    },
    async stop() {
      process.off('exit', cleanup);
      await current?.stop();
      await removeNodeContainers(name);
      await removeNodeNetwork(name);
      // The agent leaves its NAT rules behind on exit (so Services keep working across a
      // restart, as kube-proxy's do); a finished test takes them out of the shared tables.
      await new IptablesApplier(chainPrefixFor(name)).cleanup().catch(() => undefined);
      const tmpfs = path.join(dataDir, 'tmpfs');
      try {
        execFileSync('umount', [tmpfs], { stdio: 'ignore' });
      } catch {
        // not mounted (simulated runtime, or the agent never got that far)
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return agent;
}
