/**
 * The agent's tmpfs root for real: `ensureTmpfsRoot` with `mountTmpfs` turns a disk directory
 * into a private tmpfs (needs root, as the agent has), and a second call reuses the mount.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ensureTmpfsRoot, isTmpfs, mountTmpfs, TMPFS_MAGIC } from '../../src/agent/volumes/index.js';

const run = promisify(execFile);

describe('tmpfs root mounted by the agent', () => {
  let base: string;
  let root: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'shoal-tmpfs-e2e-'));
    root = join(base, 'tmpfs');
  });
  after(async () => {
    // Only the mount this test made, by its path.
    if (await isTmpfs(root).catch(() => false)) await run('umount', [root]);
    await rm(base, { recursive: true, force: true });
  });

  it('mounts a 0700 tmpfs where there was none, then reuses it', async () => {
    assert.equal(await isTmpfs(base), false, `${base} is already a tmpfs; this test needs a disk directory`);
    const mounts: string[] = [];
    const mount = async (path: string) => {
      mounts.push(path);
      await mountTmpfs(path);
    };
    await ensureTmpfsRoot(root, { mount });
    assert.equal((await statfs(root)).type, TMPFS_MAGIC);
    assert.equal((await stat(root)).mode & 0o777, 0o700);
    await ensureTmpfsRoot(root, { mount });
    assert.deepEqual(mounts, [root]);
  });
});
