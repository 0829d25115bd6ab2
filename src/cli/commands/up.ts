/**
 * `shoal up`: start a local cluster on this machine in the foreground, until Ctrl-C.
 *
 * Today a cluster is its store: the embedded SQLite store (or etcd) with periodic compaction.
 * The API server, scheduler, controllers and a local agent join it as they are built.
 */
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { Compactor, openStore, type StoreConfig } from '../../store/index.js';

interface UpOptions {
  dataDir: string;
  store: 'sqlite' | 'etcd';
  etcdEndpoints?: string;
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start a local cluster on this machine (foreground; Ctrl-C stops it)')
    .option('--data-dir <dir>', 'where the cluster keeps its state', path.join(os.homedir(), '.shoal'))
    .option('--store <kind>', 'store backend: sqlite (embedded) or etcd', 'sqlite')
    .option('--etcd-endpoints <urls>', 'comma-separated etcd client URLs (with --store etcd)')
    .action(async (options: UpOptions) => {
      await up(options);
    });
}

function storeConfig(options: UpOptions): StoreConfig {
  if (options.store === 'sqlite') return { kind: 'sqlite', dataDir: path.resolve(options.dataDir) };
  if (options.store === 'etcd') {
    const endpoints = (options.etcdEndpoints ?? '').split(',').filter(Boolean);
    if (endpoints.length === 0)
      throw new Error('--store etcd needs --etcd-endpoints, e.g. http://127.0.0.1:2379');
    return { kind: 'etcd', endpoints };
  }
  throw new Error(`--store must be sqlite or etcd, got ${options.store}`);
}

async function up(options: UpOptions): Promise<void> {
  const config = storeConfig(options);
  const store = await openStore(config);
  const where = config.kind === 'sqlite' ? config.dataDir : config.endpoints.join(',');
  console.log(`shoal: ${store.backend} store ready at ${where} (revision ${await store.currentRevision()})`);
  console.log('shoal: keeping 5 minutes of history; press Ctrl-C to stop');

  const stop = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
  const compactor = new Compactor(store, {
    onError: (err) => console.error(`shoal: compaction failed: ${String(err)}`),
  });
  await compactor.run(stop.signal);
  await store.close();
  console.log('shoal: stopped');
}
