/**
 * `shoal agent`: join a cluster with its token and run this machine's pods until SIGINT/SIGTERM.
 * Stopping the agent leaves the pods' containers running; the next start adopts them.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type AgentConfig, defaultNodeIP, startAgent } from '../../agent/agent.js';

interface AgentFlags {
  server: string;
  tokenFile: string;
  name: string;
  runtime: 'docker' | 'simulated';
  dataDir: string;
  nodeIp?: string;
  listen: string;
  dockerSocket?: string;
  simulatedStartDelay: string;
}

function port(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('expected a port number 0-65535');
  return n;
}

export function addAgentFlags(cmd: Command): Command {
  return cmd
    .option('--name <name>', "this node's name", hostname().toLowerCase())
    .addOption(
      new Option('--runtime <runtime>', 'container runtime')
        .choices(['docker', 'simulated'])
        .default('docker'),
    )
    .option(
      '--node-ip <ip>',
      "the address other machines reach this node at (default: the host's first non-loopback IPv4)",
    )
    .option(
      '--listen <host:port>',
      "the agent's HTTPS endpoint for logs and exec (port 0: any free port)",
      '0.0.0.0:10250',
    )
    .option('--docker-socket <path>', "Docker Engine's socket", '/var/run/docker.sock')
    .option('--simulated-start-delay <ms>', 'simulated runtime: how long a container takes to start', '0');
}

export function registerAgent(program: Command): void {
  addAgentFlags(
    program
      .command('agent')
      .description(
        "join a cluster and run this node's pods (foreground; Ctrl-C stops the agent, not the pods)",
      )
      .requiredOption('--server <url>', 'the API server, https://HOST:6443')
      .requiredOption('--token-file <file>', "the cluster's join token (the server's DATA_DIR/node-token)")
      .option('--data-dir <dir>', "the agent's state: credentials, pod volumes", '~/.shoal/agent'),
  ).action(async (flags: AgentFlags) => {
    const stop = await startAgent(agentConfig(flags, (line) => console.error(`shoal agent: ${line}`)));
    await new Promise<void>((done) => {
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => done());
    });
    await stop.close();
  });
}

export function agentConfig(flags: AgentFlags, log: (line: string) => void): AgentConfig {
  const listen = parseListen(flags.listen, '--listen');
  const delay = Number(flags.simulatedStartDelay);
  if (!Number.isFinite(delay) || delay < 0)
    throw new InvalidArgumentError('--simulated-start-delay: expected milliseconds ≥ 0');
  return {
    server: flags.server,
    tokenFile: resolve(expandHome(flags.tokenFile)),
    nodeName: flags.name,
    dataDir: resolve(expandHome(flags.dataDir)),
    runtime: flags.runtime,
    nodeIP: flags.nodeIp ?? defaultNodeIP(),
    listenHost: listen.host,
    listenPort: listen.port,
    dockerSocket: flags.dockerSocket,
    simulatedStartDelayMs: delay,
    log,
  };
}

/** The agent endpoint's `HOST:PORT` given with `flag` (`[::1]:10250` for IPv6). */
export function parseListen(text: string, flag: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  if (i < 0) throw new InvalidArgumentError(`${flag}: expected HOST:PORT, got ${JSON.stringify(text)}`);
  return { host: text.slice(0, i).replace(/^\[|\]$/g, ''), port: port(text.slice(i + 1)) };
}

/** `~/x` as a path under $HOME. */
export function expandHome(p: string): string {
  return p.startsWith('~/') ? `${process.env.HOME ?? ''}${p.slice(1)}` : p;
}
