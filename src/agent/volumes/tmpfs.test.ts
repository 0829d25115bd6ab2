import assert from 'node:assert/strict';
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { diskDir, tmpfsDir } from './test-dirs.js';
import { assertTmpfs, ensureTmpfsRoot, isTmpfs, TMPFS_MAGIC } from './tmpfs.js';

describe('tmpfs root', () => {
  let disk: Awaited<ReturnType<typeof diskDir>>;
  let shm: Awaited<ReturnType<typeof tmpfsDir>>;
  before(async () => {
    disk = await diskDir('tmpfs');
    shm = await tmpfsDir('tmpfs');
  });
  after(async () => {
    await disk.cleanup();
    await shm.cleanup();
  });

  it('tells a tmpfs from a disk by statfs', async () => {
    assert.equal(TMPFS_MAGIC, 0x01021994);
    assert.equal((await statfs(shm.path)).type, TMPFS_MAGIC);
    assert.equal(await isTmpfs(shm.path), true);
    assert.equal(await isTmpfs(disk.path), false);
  });

  it('accepts (and creates) a directory already on a tmpfs without mounting anything', async () => {
    const calls: string[] = [];
    const root = join(shm.path, 'a', 'tmpfs');
    await ensureTmpfsRoot(root, { mount: async (p) => void calls.push(p) });
    assert.deepEqual(calls, []);
    assert.equal(await isTmpfs(root), true);
  });

  it('refuses a disk directory when it may not mount', async () => {
    await assert.rejects(ensureTmpfsRoot(join(disk.path, 'no-mount')), {
      message: new RegExp(
        `^refusing to store memory-backed volumes in ${disk.path}/no-mount: it is not a tmpfs`,
      ),
    });
  });

  it('mounts when the directory is not a tmpfs, and still refuses if the mount did not make it one', async () => {
    const calls: string[] = [];
    const root = join(disk.path, 'mount-fails-silently');
    await assert.rejects(
      ensureTmpfsRoot(root, { mount: async (p) => void calls.push(p) }),
      /refusing to store memory-backed volumes/,
    );
    assert.deepEqual(calls, [root]);
  });

  it('assertTmpfs names what was about to be stored', async () => {
    await assertTmpfs(shm.path, 'x');
    await assert.rejects(assertTmpfs(disk.path, 'secret volume "db"'), {
      message: new RegExp(
        `^refusing to store secret volume "db" in ${disk.path}: it is not a tmpfs \\(filesystem type 0x`,
      ),
    });
  });
});
