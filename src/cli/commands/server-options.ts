/**
 * Flags shared by `shoal server` and `shoal up`, and their translation into the API server's
 * configuration, with errors that name the flag at fault.
 */
import os from 'node:os';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { DEFAULT_NODE_PORT_RANGE, DEFAULT_SERVICE_CIDR } from '../../api/network-defaults.js';
import { DEFAULT_TOLERATION_SECONDS } from '../../apiserver/admission/default-tolerations.js';
import { DEFAULT_ADMITTED, DEFAULT_SEATS } from '../../apiserver/flow-control.js';
import type { ApiServerConfig } from '../../apiserver/serve.js';
import {
  type ControllerSettings,
  DEFAULT_CONTROLLER_SETTINGS,
} from '../../controllers/framework/controller.js';
import { clusterCIDR } from '../../controllers/nodeipam/cidr-set.js';
import { SCORING_PROFILES, type ScoringProfile } from '../../scheduler/profiles.js';
import { formatCidr, parseCidr } from '../../util/ipv4.js';
import { numberFlag } from './number-flag.js';

export interface ServerFlags {
  dataDir: string;
  listen: string;
  store: string;
  etcdEndpoints?: string;
  tlsSan: string[];
  serviceCidr: string;
  serviceNodePortRange: [number, number];
  schedulerScoring: ScoringProfile;
  nodeMonitorGracePeriod: number;
  defaultNotReadyTolerationSeconds: number;
  defaultUnreachableTolerationSeconds: number;
  clusterCidr: string;
  nodeCidrMaskSize: number;
  maxRequestsInflight: number;
  maxRequestsAdmitted: number;
}

export function addServerFlags(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'where the cluster keeps its state', path.join(os.homedir(), '.shoal'))
    .option('--listen <host:port>', 'address of the HTTPS API', '127.0.0.1:6443')
    .option('--store <kind>', 'store backend: sqlite (embedded) or etcd', 'sqlite')
    .option('--etcd-endpoints <urls>', 'comma-separated etcd client URLs (with --store etcd)')
    .option(
      '--tls-san <name>',
      'extra name or IP for the serving certificate (repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option(
      '--service-cidr <cidr>',
      'IPv4 range Service ClusterIPs are allocated from',
      (v: string) => formatCidr(parseCidr(v, '--service-cidr')),
      DEFAULT_SERVICE_CIDR,
    )
    .option(
      '--service-node-port-range <from-to>',
      'inclusive range NodePorts are allocated from',
      parsePortRange,
      [...DEFAULT_NODE_PORT_RANGE] as [number, number],
    )
    .addOption(
      new Option(
        '--scheduler-scoring <profile>',
        'how the scheduler ranks nodes: least-allocated spreads pods, most-allocated packs them',
      )
        .choices(SCORING_PROFILES)
        .default('least-allocated'),
    )
    .option(
      '--node-monitor-grace-period <seconds>',
      "how long a node's Lease and status may go unrenewed before the node is marked NotReady (Unknown)",
      (v: string) => parsePositiveSeconds(v, '--node-monitor-grace-period'),
      DEFAULT_CONTROLLER_SETTINGS.nodeMonitorGracePeriodSeconds,
    )
    .option(
      '--default-not-ready-toleration-seconds <seconds>',
      'how long pods tolerate node.kubernetes.io/not-ready:NoExecute by default (Kubernetes: 300)',
      (v: string) => parseTolerationSeconds(v, '--default-not-ready-toleration-seconds'),
      DEFAULT_TOLERATION_SECONDS.notReady,
    )
    .option(
      '--default-unreachable-toleration-seconds <seconds>',
      'how long pods tolerate node.kubernetes.io/unreachable:NoExecute by default (Kubernetes: 300)',
      (v: string) => parseTolerationSeconds(v, '--default-unreachable-toleration-seconds'),
      DEFAULT_TOLERATION_SECONDS.unreachable,
    )
    .option(
      '--cluster-cidr <cidr>',
      "the IPv4 range every node's pod CIDR (spec.podCIDR) is cut from",
      DEFAULT_CONTROLLER_SETTINGS.clusterCIDR,
    )
    .option(
      '--node-cidr-mask-size <bits>',
      "the prefix length of each node's pod CIDR (24: 254 pods per node)",
      (v: string) => numberFlag(v, '--node-cidr-mask-size', 'a whole number of bits', Number.isInteger),
      DEFAULT_CONTROLLER_SETTINGS.nodeCIDRMaskSize,
    )
    .option(
      '--max-requests-inflight <n>',
      'API requests executing at once; the rest queue fairly per client (watches do not count)',
      (v: string) =>
        numberFlag(
          v,
          '--max-requests-inflight',
          'a whole number, 1 or more',
          (n) => Number.isInteger(n) && n >= 1,
        ),
      DEFAULT_SEATS,
    )
    .option(
      '--max-requests-admitted <n>',
      'API requests let in at once: executing, or waiting for their write to commit (at least --max-requests-inflight)',
      (v: string) =>
        numberFlag(
          v,
          '--max-requests-admitted',
          'a whole number, 1 or more',
          (n) => Number.isInteger(n) && n >= 1,
        ),
      DEFAULT_ADMITTED,
    );
}

/** `30000-32767` → [30000, 32767]. */
function parsePortRange(value: string): [number, number] {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(value);
  const [from, to] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  if (!m || from < 1 || to > 65535 || from > to) {
    throw new Error(
      `--service-node-port-range must be FROM-TO within 1-65535, e.g. 30000-32767, got "${value}"`,
    );
  }
  return [from, to];
}

/** The controllers' settings from the flags; throws naming the flag when they do not fit together. */
export function controllerSettings(flags: ServerFlags): ControllerSettings {
  const cluster = clusterCIDR(flags.clusterCidr, flags.nodeCidrMaskSize);
  if (typeof cluster === 'string') throw new Error(cluster);
  return {
    nodeMonitorGracePeriodSeconds: flags.nodeMonitorGracePeriod,
    clusterCIDR: flags.clusterCidr,
    nodeCIDRMaskSize: flags.nodeCidrMaskSize,
  };
}

/** A flag's value as a number of seconds above 0 (fractions allowed). */
function parsePositiveSeconds(value: string, flag: string): number {
  return numberFlag(value, flag, 'a number of seconds above 0', (n) => Number.isFinite(n) && n > 0);
}

/** A flag's value as toleration seconds: a whole number, 0 or more. */
function parseTolerationSeconds(value: string, flag: string): number {
  return numberFlag(value, flag, 'whole seconds, 0 or more', (n) => Number.isInteger(n) && n >= 0);
}

export function serverConfig(flags: ServerFlags, log: (line: string) => void): ApiServerConfig {
  const m = /^(.*):(\d+)$/.exec(flags.listen);
  if (!m) throw new Error(`--listen must be HOST:PORT, got "${flags.listen}"`);
  const host = m[1]!.replace(/^\[(.*)\]$/, '$1');
  const port = Number(m[2]);
  if (port > 65535) throw new Error(`--listen port must be at most 65535, got ${port}`);
  const dataDir = path.resolve(flags.dataDir);
  let store: ApiServerConfig['store'];
  if (flags.store === 'sqlite') {
    store = { kind: 'sqlite', dataDir: path.join(dataDir, 'store') };
  } else if (flags.store === 'etcd') {
    const endpoints = (flags.etcdEndpoints ?? '').split(',').filter(Boolean);
    if (endpoints.length === 0)
      throw new Error('--store etcd needs --etcd-endpoints, e.g. http://127.0.0.1:2379');
    store = { kind: 'etcd', endpoints };
  } else {
    throw new Error(`--store must be sqlite or etcd, got "${flags.store}"`);
  }
  return {
    dataDir,
    host,
    port,
    store,
    tlsSans: flags.tlsSan,
    flowControl: { seats: flags.maxRequestsInflight, admitted: flags.maxRequestsAdmitted },
    services: { serviceCidr: flags.serviceCidr, nodePortRange: flags.serviceNodePortRange },
    defaultTolerationSeconds: {
      notReady: flags.defaultNotReadyTolerationSeconds,
      unreachable: flags.defaultUnreachableTolerationSeconds,
    },
    log,
  };
}
