/**
 * Scratch directories for the volume tests: one on a disk filesystem and one on a tmpfs
 * (/dev/shm, which Linux always mounts as one), each removed by the returned cleanup.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isTmpfs } from './tmpfs.js';

export async function diskDir(prefix: string): Promise<{ path: string; cleanup: () => Promise<void> }> {
  // os.tmpdir() is a tmpfs on some systems; then the build output directory (on disk) is used.
  for (const base of [tmpdir(), '/var/tmp', fileURLToPath(new URL('.', import.meta.url))]) {
    const path = await mkdtemp(join(base, `shoal-${prefix}-`)).catch(() => undefined);
    if (!path) continue;
    if (!(await isTmpfs(path))) return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
    await rm(path, { recursive: true, force: true });
  }
  throw new Error('no disk-backed directory found for tests');
}

export async function tmpfsDir(prefix: string): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join('/dev/shm', `shoal-${prefix}-`));
  if (!(await isTmpfs(path))) throw new Error('/dev/shm is not a tmpfs on this machine');
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}
