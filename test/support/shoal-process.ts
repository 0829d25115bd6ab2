/**
 * A `node bin/shoal.js ...` child process for end-to-end tests and benchmarks: its output
 * collected, a wait for the line that says it serves, and a stop that escalates to SIGKILL.
 * shoal-server.ts and shoal-agent.ts build on it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SHOAL_BIN = fileURLToPath(new URL('../../../bin/shoal.js', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export interface ShoalProcess {
  readonly child: ChildProcess;
  /** Everything the process printed (stdout and stderr). */
  output(): string;
  /** Resolves once `output()` contains `marker`; rejects if the process exits or 30 s pass first. */
  ready(marker: string): Promise<void>;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited. */
  stop(): Promise<void>;
  /** SIGKILL; resolves once the process has exited. */
  kill9(): Promise<void>;
}

/** Starts `shoal <args>` (`nodeArgs` go to node itself); `what` names it in errors. */
export function spawnShoal(args: string[], what: string, nodeArgs: string[] = []): ShoalProcess {
  const child = spawn(process.execPath, [...nodeArgs, SHOAL_BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (d: Buffer) => {
    output += d;
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    async ready(marker) {
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (!output.includes(marker)) {
        if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}:\n${output}`);
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new Error(`${what} did not start within ${START_TIMEOUT_MS / 1000} s:\n${output}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
