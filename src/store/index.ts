/**
 * The versioned object store: one etcd-shaped interface (store.ts), two backends (embedded
 * SQLite, the default; etcd for control planes that outgrow one machine), a shared watch fan-out
 * and periodic compaction. Everything above the store reaches it through the API server.
 */
import { openEtcdStore } from './etcd/index.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

export { Compactor } from './compactor.js';
export * from './store.js';

export type StoreConfig =
  | { kind: 'sqlite'; dataDir: string }
  | { kind: 'etcd'; endpoints: string[]; prefix?: string };

export async function openStore(config: StoreConfig): Promise<Store> {
  switch (config.kind) {
    case 'sqlite':
      return openSqliteStore({ dataDir: config.dataDir });
    case 'etcd':
      return openEtcdStore(config);
  }
}
