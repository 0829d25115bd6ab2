/** The real API server for unit tests that need its defaults, admission and loopback socket. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningApiServer, startApiServer } from '../../src/apiserver/serve.js';

/**
 * The real API server (`startApiServer`, defaults and validation included) on SQLite in a fresh
 * temporary directory named after `name`; `close` stops it and removes the directory.
 */
export async function startRealApiServer(name: string): Promise<RunningApiServer> {
  const root = await mkdtemp(join(tmpdir(), `shoal-${name}-`));
  const server = await startApiServer({
    dataDir: root,
    host: '127.0.0.1',
    port: 0,
    store: { kind: 'sqlite', dataDir: root },
  });
  return {
    ...server,
    async close() {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
