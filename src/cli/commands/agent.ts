/**
 * `shoal agent`: join a cluster with its token and run this machine's pods until SIGINT/SIGTERM.
 * Stopping the agent leaves the pods' containers running; the next start adopts them.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
// Types only: the agent's code loads when the command runs, so no command loads what it does not run.
import type { AgentConfig } from '../../agent/agent.js';
// The pure policy modules only (the collector loads with the agent).
import { CONTAINER_GC_PERIOD_MS } from '../../agent/gc/container-gc.js';
import { DEFAULT_IMAGE_GC_POLICY, IMAGE_GC_PERIOD_MS } from '../../agent/gc/image-gc.js';
import { defaultNodeIP } from '../../agent/node-ip.js';
import { DEFAULT_CLUSTER_CIDR, DEFAULT_CLUSTER_DOMAIN } from '../../api/network-defaults.js';
import { isDNS1123Subdomain } from '../../api/validation/names.js';
import { formatCidr, parseCidr } from '../../util/ipv4.js';
import { numberFlag } from './number-flag.js';
import { interrupted } from './signals.js';

export interface AgentFlags {
  server: string;
  tokenFile: string;
  name: string;
  runtime: 'docker' | 'simulated';
  dataDir: string;
  nodeIp?: string;
  listen: string;
  dockerSocket?: string;
  simulatedStartDelay: string;
  imageGcHighThreshold: string;
  imageGcLowThreshold: string;
  imageMinimumGcAge: string;
  imageGcPeriod: string;
  containerGcPeriod: string;
  clusterCidr: string;
  clusterDomain: string;
  ingress: boolean;
  ingressHttpPort: number;
  ingressHttpsPort: number;
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
    .option('--simulated-start-delay <ms>', 'simulated runtime: how long a container takes to start', '0')
    .option(
      '--image-gc-high-threshold <percent>',
      "disk usage of the runtime's image filesystem at which unused images are removed (100: never)",
      String(DEFAULT_IMAGE_GC_POLICY.highThresholdPercent),
    )
    .option(
      '--image-gc-low-threshold <percent>',
      'disk usage that image garbage collection frees down to',
      String(DEFAULT_IMAGE_GC_POLICY.lowThresholdPercent),
    )
    .option(
      '--image-minimum-gc-age <seconds>',
      'images seen for less than this long are not garbage-collected',
      String(DEFAULT_IMAGE_GC_POLICY.minAgeMs / 1000),
    )
    .option(
      '--image-gc-period <seconds>',
      'how often image garbage collection runs',
      String(IMAGE_GC_PERIOD_MS / 1000),
    )
    .option(
      '--container-gc-period <seconds>',
      'how often dead containers are garbage-collected',
      String(CONTAINER_GC_PERIOD_MS / 1000),
    )
    .option(
      '--cluster-cidr <cidr>',
      "the cluster's pod range, as the server's --cluster-cidr (traffic within it is never source-NATed)",
      DEFAULT_CLUSTER_CIDR,
    )
    .option('--cluster-domain <domain>', 'the DNS domain cluster DNS answers for', DEFAULT_CLUSTER_DOMAIN)
    .option('--no-ingress', 'do not run the ingress controller on this node')
    .option('--ingress-http-port <port>', "the ingress controller's HTTP port (0: any free port)", port, 80)
    .option(
      '--ingress-https-port <port>',
      "the ingress controller's HTTPS port (0: any free port)",
      port,
      443,
    );
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
  ).action(async function (this: Command, flags: AgentFlags) {
    let config: AgentConfig;
    try {
      config = agentConfig(flags, (line) => console.error(`shoal agent: ${line}`));
    } catch (err) {
      // A bad flag: commander's one-line "error: ..." and exit code, not a stack trace.
      if (err instanceof InvalidArgumentError) this.error(`error: ${err.message}`);
      throw err;
    }
    const { startAgent } = await import('../../agent/agent.js');
    const stop = await startAgent(config);
    await interrupted();
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
    gc: gcSettings(flags),
    network: networkSettings(flags),
    log,
  };
}

/** The networking flags, checked: an IPv4 cluster CIDR and a DNS domain. */
function networkSettings(flags: AgentFlags): NonNullable<AgentConfig['network']> {
  let clusterCidr: string;
  try {
    clusterCidr = formatCidr(parseCidr(flags.clusterCidr, '--cluster-cidr'));
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  const domain = flags.clusterDomain.replace(/\.$/, '').toLowerCase();
  if (isDNS1123Subdomain(domain).length > 0) {
    throw new InvalidArgumentError(
      `--cluster-domain: expected a DNS domain like cluster.local, got "${flags.clusterDomain}"`,
    );
  }
  return {
    clusterCidr,
    clusterDomain: domain,
    ...(flags.ingress
      ? { ingress: { httpPort: flags.ingressHttpPort, httpsPort: flags.ingressHttpsPort } }
      : {}),
  };
}

/** The garbage collection flags, checked: percentages 0-100 with low < high, positive periods. */
function gcSettings(flags: AgentFlags): NonNullable<AgentConfig['gc']> {
  const percent = (text: string, flag: string) =>
    numberFlag(text, flag, 'a percentage 0-100', (n) => Number.isFinite(n) && n >= 0 && n <= 100);
  const seconds = (text: string, flag: string, min: 'zero' | 'positive') =>
    1000 *
    numberFlag(
      text,
      flag,
      min === 'zero' ? 'seconds ≥ 0' : 'seconds > 0',
      (n) => Number.isFinite(n) && (min === 'zero' ? n >= 0 : n > 0),
    );
  const high = percent(flags.imageGcHighThreshold, '--image-gc-high-threshold');
  const low = percent(flags.imageGcLowThreshold, '--image-gc-low-threshold');
  if (low >= high)
    throw new InvalidArgumentError(
      `--image-gc-low-threshold (${low}) must be lower than --image-gc-high-threshold (${high})`,
    );
  const imagePolicy = {
    highThresholdPercent: high,
    lowThresholdPercent: low,
    minAgeMs: seconds(flags.imageMinimumGcAge, '--image-minimum-gc-age', 'zero'),
  };
  return {
    imagePolicy,
    imagePeriodMs: seconds(flags.imageGcPeriod, '--image-gc-period', 'positive'),
    containerPeriodMs: seconds(flags.containerGcPeriod, '--container-gc-period', 'positive'),
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
