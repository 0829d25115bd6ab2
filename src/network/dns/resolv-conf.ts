/**
 * resolv.conf files: reading the host's, and writing a pod's as the kubelet composes it
 * (pkg/kubelet/network/dns) for each `dnsPolicy`, with `spec.dnsConfig` merged in and the
 * resolver's limits applied. Pure: the agent reads the host file and writes the pod's.
 */
import type { Pod, PodDNSConfig } from 'kubernetes-types/core/v1.js';
import { DEFAULT_CLUSTER_DOMAIN } from '../../api/network-defaults.js';

export interface ParsedResolvConf {
  nameservers: string[];
  searches: string[];
  /** As written, e.g. `ndots:5`, `rotate`. */
  options: string[];
}

/** At most this many nameservers reach a pod (glibc's MAXNS). */
const MAX_NAMESERVERS = 3;
/** Kubernetes' expanded DNS limits: 32 search domains, 2048 characters on the search line. */
const MAX_SEARCHES = 32;
const MAX_SEARCH_CHARS = 2048;
const MAX_DOMAIN_CHARS = 253;

/**
 * Reads a resolv.conf as the kubelet does: nameserver lines accumulate; the last search line and
 * the last options line win; search domains lose a trailing dot; `#` and `;` start comments.
 */
export function parseResolvConf(text: string): ParsedResolvConf {
  const parsed: ParsedResolvConf = { nameservers: [], searches: [], options: [] };
  for (const line of text.split('\n')) {
    const fields = line
      .replace(/[#;].*$/, '')
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    const [keyword, ...rest] = fields;
    if (keyword === 'nameserver' && rest[0]) parsed.nameservers.push(rest[0]);
    else if (keyword === 'search') parsed.searches = rest.map((s) => (s.endsWith('.') ? s.slice(0, -1) : s));
    else if (keyword === 'options') parsed.options = rest;
  }
  return parsed;
}

export interface PodDnsOptions {
  /** The cluster DNS address pods use; without it ClusterFirst falls back to Default, as the kubelet does. */
  nameserver?: string;
  /** Default `cluster.local`. */
  clusterDomain?: string;
  /** The node's own resolver configuration (its /etc/resolv.conf, parsed). */
  host: ParsedResolvConf;
}

/** The pod's resolver configuration for its `dnsPolicy` and `dnsConfig`; throws on an invalid combination. */
export function podDnsConfig(pod: Pod, options: PodDnsOptions): ParsedResolvConf {
  const spec = pod.spec;
  const where = `pod ${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
  const policy = spec?.dnsPolicy || 'ClusterFirst';
  const domain = options.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
  const host = options.host;
  let base: ParsedResolvConf;
  switch (policy) {
    case 'None':
      if (!spec?.dnsConfig?.nameservers?.length) {
        throw new Error(
          `${where}: spec.dnsConfig.nameservers must name at least one nameserver when spec.dnsPolicy is None`,
        );
      }
      base = { nameservers: [], searches: [], options: [] };
      break;
    case 'ClusterFirst':
    case 'ClusterFirstWithHostNet':
      // ClusterFirst on the host network means Default: such pods resolve as the node does.
      if ((policy === 'ClusterFirst' && spec?.hostNetwork) || !options.nameserver) base = copy(host);
      else {
        base = {
          // The cluster DNS is the only nameserver: it forwards what it cannot answer itself.
          nameservers: [options.nameserver],
          searches: unique([
            `${pod.metadata?.namespace ?? 'default'}.svc.${domain}`,
            `svc.${domain}`,
            domain,
            ...host.searches,
          ]),
          options: ['ndots:5'],
        };
      }
      break;
    case 'Default':
      base = copy(host);
      break;
    default:
      throw new Error(
        `${where}: spec.dnsPolicy ${JSON.stringify(policy)} is not one of ClusterFirst, ClusterFirstWithHostNet, Default, None`,
      );
  }
  const merged = spec?.dnsConfig ? merge(base, spec.dnsConfig) : base;
  return {
    nameservers: merged.nameservers.slice(0, MAX_NAMESERVERS),
    searches: fitSearches(merged.searches),
    options: merged.options,
  };
}

/** The text of the pod's /etc/resolv.conf. */
export function podResolvConf(pod: Pod, options: PodDnsOptions): string {
  return formatResolvConf(podDnsConfig(pod, options));
}

export function formatResolvConf(config: ParsedResolvConf): string {
  const lines = config.nameservers.map((n) => `nameserver ${n}`);
  if (config.searches.length > 0) lines.push(`search ${config.searches.join(' ')}`);
  if (config.options.length > 0) lines.push(`options ${config.options.join(' ')}`);
  return lines.map((l) => `${l}\n`).join('');
}

/** dnsConfig adds nameservers and searches (duplicates dropped) and overrides options by name. */
function merge(base: ParsedResolvConf, extra: PodDNSConfig): ParsedResolvConf {
  const options = new Map<string, string | undefined>();
  for (const option of base.options) {
    const colon = option.indexOf(':');
    if (colon < 0) options.set(option, undefined);
    else options.set(option.slice(0, colon), option.slice(colon + 1));
  }
  for (const option of extra.options ?? [])
    if (option.name) options.set(option.name, option.value || undefined);
  return {
    nameservers: unique([...base.nameservers, ...(extra.nameservers ?? [])]),
    searches: unique([...base.searches, ...(extra.searches ?? [])]),
    options: [...options].map(([name, value]) => (value === undefined ? name : `${name}:${value}`)),
  };
}

/** Applies the kubelet's search limits: 32 domains, none over 253 characters, 2048 on the line. */
function fitSearches(searches: string[]): string[] {
  const fitted = searches.slice(0, MAX_SEARCHES).filter((s) => s.length <= MAX_DOMAIN_CHARS);
  while (fitted.join(' ').length > MAX_SEARCH_CHARS) fitted.pop();
  return fitted;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function copy(c: ParsedResolvConf): ParsedResolvConf {
  return { nameservers: [...c.nameservers], searches: [...c.searches], options: [...c.options] };
}
