/**
 * Services and EndpointSlices → the iptables rules that implement them, in the shape of
 * kube-proxy's iptables mode (docs/network.md, "Service proxy", draws the chains). Pure: the
 * applier (applier.ts) writes the result with one `iptables-restore --noflush`.
 *
 * Every chain carries the agent's prefix, since several agents (of several test clusters) share
 * one machine's tables. Per Service port: `SVC` picks among all usable endpoints, `SVL` among the
 * local ones (traffic policy Local), `EXT` handles traffic that came to a node address, an
 * external IP or a load-balancer IP, and one `SEP` chain per endpoint DNATs to it and decides on
 * source NAT. Source NAT is the exception, not the rule: a pod calling a Service keeps its own
 * address all the way to the backend.
 */
import { createHash } from 'node:crypto';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import {
  type Cidr,
  cidrContains,
  containsAddress,
  formatCidr,
  formatIPv4,
  parseIPv4,
  tryParseCidr,
} from '../../util/ipv4.js';
import { slicesByService } from '../endpoint-slices.js';
import { endpointsForPort, type ServiceEndpoint, usableEndpoints } from './endpoints.js';

/** `sessionAffinity: ClientIP` without `sessionAffinityConfig`: three hours, as Kubernetes. */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10_800;
/** kube-proxy's masquerade bit (0x4000). */
const DEFAULT_MASQUERADE_BIT = 14;

/** iptables refuses longer chain names. */
const MAX_CHAIN_NAME = 28;
/** Hash characters in a per-Service or per-endpoint chain name (base32: 60 bits). */
const HASH_CHARS = 12;
/** The longest per-Service infix, `-SVC-`. */
const MAX_PREFIX = MAX_CHAIN_NAME - HASH_CHARS - '-SVC-'.length;
const LOOPBACK = '127.0.0.0/8';

export interface ProxyOptions {
  /** Starts every chain this agent makes, e.g. `SHL-1a2b3c` (`chainPrefixFor`); at most 11 characters. */
  chainPrefix: string;
  /** Every pod address of the cluster, e.g. `10.42.0.0/16`. */
  clusterCIDR: string;
  /** This node's share of it, e.g. `10.42.1.0/24`: endpoints here are local. */
  podCIDR: string;
  /** The host's IPv4 addresses: LoadBalancer Services answer on them at their `port`. */
  hostAddresses: readonly string[];
  /** NodePorts (and LoadBalancer ports) also answer on 127.0.0.1; needs route_localnet. */
  localhostNodePorts: boolean;
  /** Endpoints whose `nodeName` is this count as local too (hostNetwork pods). */
  nodeName?: string;
  /** The packet-mark bit that asks for masquerade; default 14 (0x4000), as kube-proxy. */
  masqueradeBit?: number;
}

export interface TableRules {
  /** Our chains in this table, declared (and so flushed) on every restore. */
  chains: string[];
  /** `-A CHAIN ...` lines, in order. */
  rules: string[];
}

/** A rule in a built-in chain that sends packets into ours; installed once, not restored. */
export interface BuiltinJump {
  table: 'nat' | 'filter';
  chain: 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';
  /** The rule's arguments after the chain name, as given to `iptables -I/-C/-D`. */
  args: string[];
}

export interface ProxyRules {
  nat: TableRules;
  filter: TableRules;
  /** iptables-restore input for both tables (no stale chains removed: the applier adds that). */
  restoreInput: string;
  jumps: BuiltinJump[];
  /** sysctl settings the rules rely on, `name → value`. */
  sysctls: Record<string, string>;
  /** What was skipped and why, one line each (IPv6 Services, ports without a number, ...). */
  warnings: string[];
}

/** A chain prefix unique to one agent: `SHL-` and 6 hex digits of a hash of the seed (the node name, say). */
export function chainPrefixFor(seed: string): string {
  return `SHL-${createHash('sha256').update(seed).digest('hex').slice(0, 6)}`;
}

/** The fixed chains, per table, for a prefix. */
function baseChains(prefix: string) {
  return {
    nat: {
      services: `${prefix}-SERVICES`,
      nodePorts: `${prefix}-NODEPORTS`,
      postrouting: `${prefix}-POSTROUTING`,
      markMasq: `${prefix}-MARK-MASQ`,
    },
    filter: {
      input: `${prefix}-INPUT`,
      output: `${prefix}-OUTPUT`,
      forward: `${prefix}-FORWARD`,
      services: `${prefix}-SERVICES`,
    },
  };
}

/** The jumps from the built-in chains into ours, the same for every sync. */
export function builtinJumps(prefix: string): BuiltinJump[] {
  const { nat, filter } = baseChains(prefix);
  const jump = (table: BuiltinJump['table'], chain: BuiltinJump['chain'], target: string): BuiltinJump => ({
    table,
    chain,
    args: ['-m', 'comment', '--comment', `shoal service proxy ${prefix}`, '-j', target],
  });
  return [
    jump('nat', 'PREROUTING', nat.services),
    jump('nat', 'OUTPUT', nat.services),
    jump('nat', 'POSTROUTING', nat.postrouting),
    jump('filter', 'INPUT', filter.input),
    jump('filter', 'FORWARD', filter.forward),
    jump('filter', 'OUTPUT', filter.output),
  ];
}

interface Resolved {
  prefix: string;
  cluster: Cidr;
  pod: Cidr;
  hostAddresses: string[];
  localhostNodePorts: boolean;
  nodeName: string | undefined;
  mark: string;
}

/** Checks the options, throwing with what is wrong and where. */
function resolveOptions(options: ProxyOptions): Resolved {
  const prefix = options.chainPrefix;
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(prefix) || prefix.length > MAX_PREFIX)
    throw new Error(
      `proxy options: chainPrefix "${prefix}" must be letters, digits and dashes, starting with a letter, at most ${MAX_PREFIX} characters (chain names are limited to ${MAX_CHAIN_NAME})`,
    );
  const cluster = tryParseCidr(options.clusterCIDR);
  if (!cluster) throw new Error(`proxy options: clusterCIDR "${options.clusterCIDR}" is not an IPv4 CIDR`);
  const pod = tryParseCidr(options.podCIDR);
  if (!pod) throw new Error(`proxy options: podCIDR "${options.podCIDR}" is not an IPv4 CIDR`);
  if (pod.bits < cluster.bits || !cidrContains(cluster, pod.base))
    throw new Error(
      `proxy options: podCIDR ${formatCidr(pod)} is not inside clusterCIDR ${formatCidr(cluster)}`,
    );
  for (const address of options.hostAddresses)
    if (parseIPv4(address) === undefined)
      throw new Error(`proxy options: host address "${address}" is not an IPv4 address`);
  const bit = options.masqueradeBit ?? DEFAULT_MASQUERADE_BIT;
  if (!Number.isInteger(bit) || bit < 0 || bit > 31)
    throw new Error(`proxy options: masqueradeBit ${bit} must be an integer from 0 to 31`);
  return {
    prefix,
    cluster,
    pod,
    hostAddresses: [...new Set(options.hostAddresses)],
    localhostNodePorts: options.localhostNodePorts,
    nodeName: options.nodeName,
    mark: `0x${(2 ** bit).toString(16)}`,
  };
}

export function computeRules(
  services: readonly Service[],
  endpointSlices: readonly EndpointSlice[],
  options: ProxyOptions,
): ProxyRules {
  const o = resolveOptions(options);
  const clusterNet = formatCidr(o.cluster);
  const base = baseChains(o.prefix);
  const nat: TableRules = { chains: Object.values(base.nat), rules: [] };
  const filter: TableRules = { chains: Object.values(base.filter), rules: [] };
  const warnings: string[] = [];
  const natRule = (chain: string, ...args: string[]) => nat.rules.push(['-A', chain, ...args].join(' '));
  const filterRule = (chain: string, ...args: string[]) =>
    filter.rules.push(['-A', chain, ...args].join(' '));
  const comment = (text: string) => ['-m', 'comment', '--comment', `"${text}"`];

  // Base rules: filter hooks, pod forwarding, masquerade.
  if (o.localhostNodePorts)
    // route_localnet makes the kernel accept 127/8 from the wire; only our DNATed loopback
    // traffic should get in that way (kube-proxy's fix for CVE-2020-8558).
    filterRule(
      base.filter.input,
      ...comment('block martian loopback traffic route_localnet lets in'),
      '-d',
      LOOPBACK,
      '!',
      '-s',
      LOOPBACK,
      '-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
    );
  filterRule(base.filter.input, '-m conntrack --ctstate NEW', '-j', base.filter.services);
  filterRule(base.filter.output, '-m conntrack --ctstate NEW', '-j', base.filter.services);
  filterRule(base.filter.forward, '-m conntrack --ctstate NEW', '-j', base.filter.services);
  // A packet conntrack calls INVALID is not un-NATed; delivered, its receiver answers with a
  // reset that kills a healthy connection.
  filterRule(
    base.filter.forward,
    ...comment('drop invalid packets to pods'),
    '-d',
    clusterNet,
    '-m conntrack --ctstate INVALID -j DROP',
  );
  filterRule(base.filter.forward, ...comment('pod network egress'), '-s', clusterNet, '-j ACCEPT');
  filterRule(base.filter.forward, ...comment('pod network ingress'), '-d', clusterNet, '-j ACCEPT');
  filterRule(
    base.filter.forward,
    ...comment('service traffic marked for masquerade'),
    ...markMatch(o.mark),
    '-j ACCEPT',
  );

  natRule(base.nat.markMasq, '-j MARK --or-mark', o.mark);
  // A pod's Service traffic is NATed on its own node, so a packet from another node's pod with a
  // non-local destination is not ours (it is when several agents share one machine's tables: the
  // caller's own agent must choose, or this one would take it for off-node traffic and
  // masquerade it). NodePorts (local destinations) stay ours whoever calls.
  natRule(
    base.nat.services,
    ...comment("another node's pod: its own agent's rules decide"),
    '-s',
    clusterNet,
    // One rule takes one -s: the node's own range is excluded as an address range.
    '-m iprange !',
    '--src-range',
    `${formatIPv4(o.pod.base)}-${formatIPv4(o.pod.base + o.pod.size - 1)}`,
    '-m addrtype ! --dst-type LOCAL',
    '-j RETURN',
  );
  // Docker's own masquerade is off for pod networks: this is the one that lets pods out.
  natRule(
    base.nat.postrouting,
    ...comment('pod traffic leaving the cluster network'),
    '-s',
    clusterNet,
    '!',
    '-d',
    clusterNet,
    '-j MASQUERADE',
  );
  natRule(base.nat.postrouting, '-m mark !', '--mark', `${o.mark}/${o.mark}`, '-j RETURN');
  // Clear the bit so a packet that comes round again (an encapsulation) is not masqueraded twice.
  natRule(base.nat.postrouting, '-j MARK --xor-mark', o.mark);
  natRule(base.nat.postrouting, ...comment('service traffic requiring SNAT'), '-j MASQUERADE --random-fully');

  const slicesOf = slicesByService(endpointSlices);
  const isLocal = (ip: string, nodeName: string | undefined) =>
    containsAddress(o.pod, ip) || (o.nodeName !== undefined && nodeName === o.nodeName);

  const sepChains = new Set<string>();
  const sorted = [...services].sort((a, b) => serviceKey(a).localeCompare(serviceKey(b)));
  for (const svc of sorted) {
    const key = serviceKey(svc);
    const spec = svc.spec ?? {};
    const type = spec.type ?? 'ClusterIP';
    const clusterIP = spec.clusterIP;
    // ExternalName is DNS only; headless Services are DNS only too.
    if (type === 'ExternalName' || !clusterIP || clusterIP === 'None') continue;
    if (parseIPv4(clusterIP) === undefined) {
      warnings.push(`service ${key}: cluster IP ${clusterIP} is not IPv4; skipped`);
      continue;
    }
    const affinity =
      spec.sessionAffinity === 'ClientIP'
        ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS)
        : undefined;
    const internalLocal = spec.internalTrafficPolicy === 'Local';
    const externalLocal = spec.externalTrafficPolicy === 'Local';
    const lbIPs =
      type === 'LoadBalancer'
        ? (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip && parseIPv4(i.ip) ? [i.ip] : []))
        : [];
    // Addresses that answer at the Service's own port, besides the cluster IP.
    const externalDestinations = [
      ...new Set([
        ...(spec.externalIPs ?? []).filter((ip) => parseIPv4(ip) !== undefined),
        ...lbIPs,
        ...(type === 'LoadBalancer' ? o.hostAddresses : []),
        ...(type === 'LoadBalancer' && o.localhostNodePorts ? ['127.0.0.1'] : []),
      ]),
    ];

    for (const port of spec.ports ?? []) {
      const portName = port.name ? `${key}:${port.name}` : key;
      if (!validPort(port.port)) {
        warnings.push(`service ${portName}: port ${String(port.port)} is not a port number; skipped`);
        continue;
      }
      const protocol = (port.protocol ?? 'TCP').toLowerCase();
      const id = `${portName}/${protocol}`;
      const nodePort =
        (type === 'NodePort' || type === 'LoadBalancer') && validPort(port.nodePort)
          ? port.nodePort
          : undefined;
      const hasExternal = nodePort !== undefined || externalDestinations.length > 0;
      const match = (dport: number) => ['-p', protocol, '-m', protocol, '--dport', String(dport)];

      const all = endpointsForPort(slicesOf.get(key) ?? [], port, isLocal);
      const allUsable = usableEndpoints(all);
      const localUsable = usableEndpoints(all.filter((e) => e.local));
      const svcChain = `${o.prefix}-SVC-${hash(id)}`;
      const svlChain = `${o.prefix}-SVL-${hash(id)}`;
      const ext = `${o.prefix}-EXT-${hash(id)}`;
      const clusterChain = internalLocal ? svlChain : svcChain;
      const clusterEndpoints = internalLocal ? localUsable : allUsable;
      const externalChain = externalLocal ? svlChain : svcChain;
      const externalEndpoints = externalLocal ? localUsable : allUsable;

      // Which endpoint-picking chains something jumps to (only ever with endpoints in them).
      const pickers = new Map<string, ServiceEndpoint[]>();
      if (clusterEndpoints.length > 0) pickers.set(clusterChain, clusterEndpoints);
      if (hasExternal && externalEndpoints.length > 0) pickers.set(externalChain, externalEndpoints);

      // Cluster IP.
      const vip = ['-d', `${clusterIP}/32`, ...match(port.port)];
      if (clusterEndpoints.length > 0)
        natRule(base.nat.services, ...comment(`${portName} cluster IP`), ...vip, '-j', clusterChain);
      else if (allUsable.length === 0)
        filterRule(base.filter.services, ...comment(`${portName} has no endpoints`), ...vip, ...reject());
      else
        filterRule(base.filter.services, ...comment(`${portName} has no local endpoints`), ...vip, '-j DROP');

      // Node ports, external IPs, load-balancer IPs and host addresses.
      if (hasExternal) {
        const refuse =
          allUsable.length === 0 ? reject() : externalEndpoints.length === 0 ? ['-j DROP'] : undefined;
        const why = allUsable.length === 0 ? 'has no endpoints' : 'has no local endpoints';
        if (allUsable.length > 0) {
          nat.chains.push(ext);
          const masqueradeLoopback = () =>
            natRule(
              ext,
              ...comment('masquerade loopback-originated traffic'),
              '-s',
              LOOPBACK,
              '-j',
              base.nat.markMasq,
            );
          for (const ip of externalDestinations)
            natRule(
              base.nat.services,
              ...comment(`${portName} external ${ip}`),
              '-d',
              `${ip}/32`,
              ...match(port.port),
              '-j',
              ext,
            );
          if (nodePort !== undefined)
            natRule(base.nat.nodePorts, ...comment(`${portName} node port`), ...match(nodePort), '-j', ext);
          if (externalLocal) {
            // Pods and the node itself are not "external": they get the internal policy, so
            // they reach the Service even from a node without a local endpoint.
            if (clusterEndpoints.length > 0)
              natRule(
                ext,
                ...comment('pod traffic to an external address'),
                '-s',
                clusterNet,
                '-j',
                clusterChain,
              );
            masqueradeLoopback();
            if (clusterEndpoints.length > 0)
              natRule(
                ext,
                ...comment('node-originated traffic'),
                '-m addrtype --src-type LOCAL',
                '-j',
                clusterChain,
              );
            if (localUsable.length > 0) natRule(ext, '-j', svlChain);
          } else {
            masqueradeLoopback();
            natRule(ext, '-j', svcChain);
          }
        }
        // Filter rules see only packets the nat table did not DNAT: the refused ones.
        if (refuse) {
          for (const ip of externalDestinations)
            filterRule(
              base.filter.services,
              ...comment(`${portName} ${why}`),
              '-d',
              `${ip}/32`,
              ...match(port.port),
              ...refuse,
            );
          if (nodePort !== undefined)
            filterRule(
              base.filter.services,
              ...comment(`${portName} ${why}`),
              '-m addrtype --dst-type LOCAL',
              ...match(nodePort),
              ...refuse,
            );
        }
      }

      for (const [chain, endpoints] of pickers) {
        nat.chains.push(chain);
        const seps = endpoints.map((e) => ({
          e,
          chain: `${o.prefix}-SEP-${hash(`${id}>${e.ip}:${e.port}`)}`,
        }));
        if (affinity !== undefined)
          for (const { e, chain: sep } of seps)
            natRule(
              chain,
              ...comment(`${portName} -> ${e.ip}:${e.port}`),
              '-m recent --name',
              sep,
              '--rcheck --seconds',
              String(affinity),
              '--reap -j',
              sep,
            );
        seps.forEach(({ e, chain: sep }, i) => {
          const left = seps.length - i;
          const pick = left > 1 ? ['-m statistic --mode random --probability', (1 / left).toFixed(10)] : [];
          natRule(chain, ...comment(`${portName} -> ${e.ip}:${e.port}`), ...pick, '-j', sep);
          if (sepChains.has(sep)) return;
          sepChains.add(sep);
          nat.chains.push(sep);
          // An endpoint reaching itself through its Service must see the reply come from the
          // Service, so that one hairpin connection is masqueraded.
          natRule(sep, ...comment('hairpin'), '-s', `${e.ip}/32`, '-j', base.nat.markMasq);
          // The reply from an endpoint on another node goes straight back to the caller unless
          // the caller's address routes through this node: only this node's pods do for sure.
          if (!e.local)
            natRule(
              sep,
              ...comment('caller off this node to a remote endpoint'),
              '!',
              '-s',
              formatCidr(o.pod),
              '-j',
              base.nat.markMasq,
            );
          const remember = affinity !== undefined ? ['-m recent --name', sep, '--set'] : [];
          natRule(sep, '-p', protocol, ...remember, '-j DNAT --to-destination', `${e.ip}:${e.port}`);
        });
      }
    }
  }

  natRule(
    base.nat.services,
    ...comment('node ports on local addresses; keep this last'),
    '-m addrtype --dst-type LOCAL',
    ...(o.localhostNodePorts ? [] : ['!', '-d', LOOPBACK]),
    '-j',
    base.nat.nodePorts,
  );

  const rules = { nat, filter };
  return {
    ...rules,
    restoreInput: renderRestoreInput(rules),
    jumps: builtinJumps(o.prefix),
    sysctls: o.localhostNodePorts ? { 'net.ipv4.conf.all.route_localnet': '1' } : {},
    warnings,
  };
}

/**
 * iptables-restore input (for `--noflush`): each of our chains declared, which creates or
 * flushes it, its rules, then the stale chains (ours, found in the kernel, no longer computed)
 * flushed and deleted, one COMMIT per table.
 */
export function renderRestoreInput(
  tables: { nat: TableRules; filter: TableRules },
  stale: { nat?: readonly string[]; filter?: readonly string[] } = {},
): string {
  const lines: string[] = [];
  for (const table of ['filter', 'nat'] as const) {
    const { chains, rules } = tables[table];
    const gone = (stale[table] ?? []).filter((c) => !chains.includes(c));
    lines.push(`*${table}`);
    for (const chain of [...chains, ...gone]) lines.push(`:${chain} - [0:0]`);
    lines.push(...rules);
    for (const chain of gone) lines.push(`-X ${chain}`);
    lines.push('COMMIT');
  }
  return `${lines.join('\n')}\n`;
}

function serviceKey(svc: Service): string {
  return `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
}

function validPort(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535;
}

function markMatch(mark: string): string[] {
  return ['-m mark', '--mark', `${mark}/${mark}`];
}

function reject(): string[] {
  return ['-j REJECT --reject-with icmp-port-unreachable'];
}

/** Base32 of SHA-256, as kube-proxy names its chains, cut to fit our prefix. */
function hash(text: string): string {
  const digest = createHash('sha256').update(text).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < HASH_CHARS) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
    if (out.length >= HASH_CHARS) break;
  }
  return out;
}
