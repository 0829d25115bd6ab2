/**
 * `shoal up`: a whole local cluster on this machine in the foreground, until Ctrl-C: the control
 * plane (`shoal server`, embedded store) and one agent that joins it with the cluster's own token
 * and runs pods on the local Docker Engine.
 */
import { hostname } from 'node:os';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { defaultNodeIP } from '../../agent/node-ip.js';
import { DEFAULT_CLUSTER_DOMAIN } from '../../api/network-defaults.js';
import { parseListen } from './agent.js';
import { runServer } from './server.js';
import { addServerFlags, type ServerFlags } from './server-options.js';

interface UpFlags extends ServerFlags {
  name: string;
  runtime: 'docker' | 'simulated';
  nodeIp?: string;
  agentListen: string;
}

export function registerUp(program: Command): void {
  addServerFlags(
    program.command('up').description('start a local cluster on this machine (foreground; Ctrl-C stops it)'),
  )
    .option('--name <name>', "the local node's name", hostname().toLowerCase())
    .addOption(
      new Option('--runtime <runtime>', 'container runtime')
        .choices(['docker', 'simulated'])
        .default('docker'),
    )
    .option('--node-ip <ip>', "the node's address (default: the host's first non-loopback IPv4)")
    .option('--agent-listen <host:port>', "the agent's HTTPS endpoint for logs and exec", '0.0.0.0:10250')
    .action(async (flags: UpFlags) => {
      const listen = parseListen(flags.agentListen, '--agent-listen');
      await runServer(flags, 'up', async (server, log) => {
        const { startAgent } = await import('../../agent/agent.js');
        const agent = await startAgent({
          server: server.url,
          tokenFile: server.identity.nodeTokenPath,
          nodeName: flags.name,
          dataDir: path.join(path.resolve(flags.dataDir), 'agent'),
          runtime: flags.runtime,
          nodeIP: flags.nodeIp ?? defaultNodeIP(),
          listenHost: listen.host,
          listenPort: listen.port,
          // The one node of a local cluster also serves its Ingresses on the host's 80 and 443.
          network: {
            clusterCidr: flags.clusterCidr,
            clusterDomain: DEFAULT_CLUSTER_DOMAIN,
            ingress: { httpPort: 80, httpsPort: 443 },
          },
          log: (line) => log(`agent: ${line}`),
        });
        log(`node ${agent.nodeName} joined; try: kubectl get nodes`);
        return () => agent.close();
      });
    });
}
