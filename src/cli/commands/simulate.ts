/**
 * `shoal simulate`: join a cluster once and run N hollow nodes in this process (as Kubernetes'
 * KWOK and kubemark) until SIGINT/SIGTERM. Each registers a Node, renews its Lease and reports the
 * pods bound to it Running and Ready on the `simulated` runtime. See docs/simulate.md.
 */
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parseQuantity } from '../../api/quantity.js';
import { isDNS1123Subdomain } from '../../api/validation/names.js';
// Types only: the simulator's code loads when the command runs.
import type { RunningSimulator, SimulatorConfig } from '../../simulate/simulator.js';
import { expandHome } from './agent.js';
import { interrupted } from './signals.js';

/** More would not fit the made-up node addresses (layout.ts nodeIp); 5,000 is the target. */
const MAX_NODES = 100_000;

interface SimulateFlags {
  server: string;
  tokenFile: string;
  dataDir: string;
  nodes: number;
  cpu: number;
  memory: number;
  pods: number;
  namePrefix: string;
  zones: number;
  startDelay: number;
}

/** An integer in [min, max], for commander's argument parsers. */
export function integerIn(min: number, max: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

/** A positive Kubernetes quantity ("32", "500m", "256Gi") as a number of base units. */
export function positiveQuantity(text: string): number {
  const v = parseQuantity(text);
  if (v === undefined || !(v > 0))
    throw new InvalidArgumentError('expected a positive quantity such as 32, 500m, 256Gi');
  return v;
}

/** A prefix that makes valid node names: `<prefix>0042` must be a DNS-1123 subdomain. */
export function namePrefix(text: string): string {
  const problems = isDNS1123Subdomain(`${text}${'0'.repeat(String(MAX_NODES).length)}`);
  if (problems.length > 0)
    throw new InvalidArgumentError(`node names <prefix>NNNN would be invalid: ${problems.join('; ')}`);
  return text;
}

function milliseconds(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('expected milliseconds ≥ 0');
  return n;
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('run hollow nodes that report their pods Running (foreground; Ctrl-C stops them)')
    .requiredOption('--server <url>', 'the API server, https://HOST:6443')
    .requiredOption('--token-file <file>', "the cluster's join token (the server's DATA_DIR/node-token)")
    .requiredOption('--nodes <n>', 'how many hollow nodes', integerIn(1, MAX_NODES))
    .option('--cpu <quantity>', 'cpu capacity of each node', positiveQuantity, 32)
    .addOption(
      new Option('--memory <quantity>', 'memory capacity of each node')
        .argParser(positiveQuantity)
        .default(256 * 2 ** 30, '256Gi'),
    )
    .option('--pods <n>', 'pod capacity of each node', integerIn(1, 10_000), 110)
    .option('--name-prefix <prefix>', 'node names are <prefix>0, <prefix>1, ...', namePrefix, 'sim-')
    .option(
      '--zones <n>',
      'spread nodes over this many topology.kubernetes.io/zone values',
      integerIn(1, 1000),
      3,
    )
    .option('--start-delay <ms>', 'how long a simulated container takes to start', milliseconds, 0)
    .option('--data-dir <dir>', "the simulator's join credential", '~/.shoal/simulate')
    .action(async (flags: SimulateFlags) => {
      const log = (line: string) => console.error(`shoal simulate: ${line}`);
      const [{ startSimulator }, { JoinError }] = await Promise.all([
        import('../../simulate/simulator.js'),
        import('../../agent/join.js'),
      ]);
      let sim: RunningSimulator;
      try {
        sim = await startSimulator(simulateConfig(flags, log));
      } catch (err) {
        // A bad token, server or CA pin: the message says which; a stack trace would not help.
        if (!(err instanceof JoinError)) throw err;
        log(`error: ${err.message}`);
        process.exitCode = 1;
        return;
      }
      await interrupted();
      await sim.close();
    });
}

export function simulateConfig(flags: SimulateFlags, log: (line: string) => void): SimulatorConfig {
  return {
    server: flags.server,
    tokenFile: resolve(expandHome(flags.tokenFile)),
    dataDir: resolve(expandHome(flags.dataDir)),
    nodes: flags.nodes,
    namePrefix: flags.namePrefix,
    zones: flags.zones,
    cpus: flags.cpu,
    memoryBytes: flags.memory,
    maxPods: flags.pods,
    startDelayMs: flags.startDelay,
    log,
  };
}
