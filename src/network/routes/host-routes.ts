/**
 * Pod traffic between machines, "host-gw" style (as flannel's backend of that name): every node
 * routes each other node's podCIDR via that node's InternalIP, so a packet from a pod leaves
 * with its own source address and arrives at the other node's bridge untouched. It needs the
 * nodes on one L2 segment (or a network that routes their pod ranges); there is no overlay.
 *
 * Nodes on this same machine (several agents, as in tests) need no route: their bridges are
 * local and the kernel already reaches them. Routes Shoal adds carry their own protocol number,
 * so a sync can find and delete the ones no longer wanted without touching anyone else's.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { errorMessage } from '../../util/error-message.js';
import type { CommandRunner } from '../host-command.js';
import type { ObjectCache } from '../object-cache.js';

/** The `proto` of our routes in `ip route` (any number not used by the system; 90 = "shoal"). */
export const ROUTE_PROTOCOL = '90';

export interface RoutePlanInput {
  /** This agent's node. */
  nodeName: string;
  /** Every IPv4 address of this machine: a node whose InternalIP is one of them is local. */
  localAddresses: readonly string[];
}

/** podCIDR → the InternalIP of the node that owns it, for every node on another machine. */
export function planRoutes(nodes: readonly Node[], input: RoutePlanInput): Map<string, string> {
  const local = new Set(input.localAddresses);
  const routes = new Map<string, string>();
  for (const node of nodes) {
    if (node.metadata?.name === input.nodeName) continue;
    const cidr = node.spec?.podCIDR;
    const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (!cidr || !ip || local.has(ip) || ip.startsWith('127.')) continue;
    routes.set(cidr, ip);
  }
  return routes;
}

/** Parses `ip -4 route show proto 90` lines (`10.42.1.0/24 via 192.168.1.5 dev eth0 ...`). */
export function parseRoutes(text: string): Map<string, string> {
  const routes = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\S+) via (\S+)/.exec(line.trim());
    if (m) routes.set(m[1]!, m[2]!);
  }
  return routes;
}

/** The `ip` commands that turn `current` into `wanted`. */
export function routeCommands(current: Map<string, string>, wanted: Map<string, string>): string[][] {
  const commands: string[][] = [];
  for (const [cidr, via] of wanted) {
    if (current.get(cidr) !== via) {
      commands.push(['route', 'replace', cidr, 'via', via, 'proto', ROUTE_PROTOCOL]);
    }
  }
  for (const cidr of current.keys()) {
    if (!wanted.has(cidr)) commands.push(['route', 'del', cidr, 'proto', ROUTE_PROTOCOL]);
  }
  return commands;
}

export interface HostRoutesOptions {
  nodes: ObjectCache;
  input: RoutePlanInput;
  run: CommandRunner;
  log: (line: string) => void;
}

/** Keeps this machine's routes to other nodes' pod ranges in step with the Nodes. */
export class HostRoutes {
  private syncing: Promise<void> = Promise.resolve();
  private again = false;

  constructor(private readonly options: HostRoutesOptions) {}

  /** Syncs now and on every Node change until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const trigger = () => this.sync();
    const offs = [
      this.options.nodes.onAdd(trigger),
      this.options.nodes.onUpdate(trigger),
      this.options.nodes.onDelete(trigger),
    ];
    this.sync();
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    for (const off of offs) off();
    await this.syncing;
  }

  /** One sync at a time; changes during a sync cause one more after it. */
  sync(): Promise<void> {
    if (this.again) return this.syncing;
    this.again = true;
    this.syncing = this.syncing.then(async () => {
      this.again = false;
      try {
        await this.syncOnce();
      } catch (err) {
        this.options.log(`warning: pod routes: ${errorMessage(err)}`);
      }
    });
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    const { run } = this.options;
    const wanted = planRoutes(this.options.nodes.list() as Node[], this.options.input);
    const shown = await run('ip', ['-4', 'route', 'show', 'proto', ROUTE_PROTOCOL]);
    if (shown.code !== 0) throw new Error(`ip route show: ${shown.stderr.trim()}`);
    for (const args of routeCommands(parseRoutes(shown.stdout), wanted)) {
      const result = await run('ip', args);
      if (result.code !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr.trim()}`);
      this.options.log(`pod routes: ip ${args.join(' ')}`);
    }
  }
}
