/**
 * A real `shoal agent` process joined to a test server (test/support/shoal-server.ts), with its
 * own data dir and a node name unique to the run. `kill9` + `start` again simulate an agent crash;
 * `stop` ends it and removes its containers and its tmpfs.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeNodeContainers } from './docker.js';
import type { ShoalServer } from './shoal-server.js';

const SHOAL_BIN = path.resolve(import.meta.dirname, '../../../bin/shoal.js');

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
  let child: ChildProcess | undefined;
  let output = '';
  let exited: Promise<void> = Promise.resolve();
  const cleanup = () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', cleanup);

  const agent: ShoalAgent = {
    name,
    dataDir,
    output: () => output,
    get process() {
      return child;
    },
    async start() {
      output = '';
      const args = [
        SHOAL_BIN,
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
        ...extraArgs,
      ];
      const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      proc.stdout!.on('data', (d) => {
        output += d;
      });
      proc.stderr!.on('data', (d) => {
        output += d;
      });
      exited = new Promise((resolve) => proc.once('exit', () => resolve()));
      const deadline = Date.now() + 30_000;
      while (!output.includes('agent endpoint')) {
        if (proc.exitCode !== null) throw new Error(`shoal agent exited with ${proc.exitCode}:\n${output}`);
        if (Date.now() > deadline) throw new Error(`shoal agent did not start within 30 s:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async kill9() {
      child?.kill('SIGKILL');
      await exited;
    },
    async stop() {
      process.off('exit', cleanup);
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child?.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await removeNodeContainers(name);
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
