/**
 * Flags shared by `shoal server` and `shoal up`, and their translation into the API server's
 * configuration, with errors that name the flag at fault.
 */
import os from 'node:os';
import path from 'node:path';
import { type Command, Option } from 'commander';
import type { ApiServerConfig } from '../../apiserver/serve.js';
import { SCORING_PROFILES, type ScoringProfile } from '../../scheduler/profiles.js';

export interface ServerFlags {
  dataDir: string;
  listen: string;
  store: string;
  etcdEndpoints?: string;
  tlsSan: string[];
  schedulerScoring: ScoringProfile;
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
    .addOption(
      new Option(
        '--scheduler-scoring <profile>',
        'how the scheduler ranks nodes: least-allocated spreads pods, most-allocated packs them',
      )
        .choices(SCORING_PROFILES)
        .default('least-allocated'),
    );
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
  return { dataDir, host, port, store, tlsSans: flags.tlsSan, log };
}
