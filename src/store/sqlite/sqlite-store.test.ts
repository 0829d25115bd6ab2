import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { storeContract } from '../contract.js';
import type { Store } from '../store.js';
import { openSqliteStore, type SqliteStore } from './sqlite-store.js';

const dirs: string[] = [];
const open: Store[] = [];
after(async () => {
  await Promise.all(open.map((s) => s.close().catch(() => undefined)));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

storeContract({
  name: 'sqlite',
  async open() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-store-'));
    dirs.push(dir);
    const store = await openSqliteStore({ dataDir: dir });
    open.push(store);
    return store;
  },
  async restart(store: Store) {
    const dir = path.dirname((store as SqliteStore).file);
    await store.close();
    const reopened = await openSqliteStore({ dataDir: dir });
    open.push(reopened);
    return reopened;
  },
});
