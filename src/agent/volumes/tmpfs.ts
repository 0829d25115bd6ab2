/**
 * Where memory-backed volumes live: secret and projected volumes (so secret bytes never reach a
 * disk) and `emptyDir: {medium: Memory}`.
 *
 * The choice: the agent keeps them under one tmpfs root, `DATA_DIR/tmpfs`, which it mounts itself
 * at start (`ensureTmpfsRoot(path, { mount: mountTmpfs })`; the agent runs as root on Linux). A
 * private mount, rather than a directory in the shared /dev/shm, keeps the bytes out of reach of
 * other host users (mode 0700) and out of an area every process may fill. When the path already
 * is a tmpfs (the agent restarted; an operator mounted one) it is used as it is, so pods' volumes
 * survive an agent restart. One shared mount instead of one per volume means `emptyDir.sizeLimit`
 * is not enforced by the kernel.
 *
 * Whatever the setup, nothing is put there unless `statfs` says the filesystem is a tmpfs.
 */
import { execFile } from 'node:child_process';
import { mkdir, statfs } from 'node:fs/promises';
import { promisify } from 'node:util';

/** `f_type` of a tmpfs in statfs(2) (linux/magic.h). */
export const TMPFS_MAGIC = 0x01021994;

export async function isTmpfs(path: string): Promise<boolean> {
  return (await statfs(path)).type === TMPFS_MAGIC;
}

/** Throws unless `path` is on a tmpfs; `what` says what was about to be stored there. */
export async function assertTmpfs(path: string, what: string): Promise<void> {
  const { type } = await statfs(path);
  if (type !== TMPFS_MAGIC)
    throw new Error(
      `refusing to store ${what} in ${path}: it is not a tmpfs (filesystem type 0x${type.toString(16)}), and its bytes must never reach a disk`,
    );
}

export interface EnsureTmpfsOptions {
  /** Mounts a tmpfs at the path when it is not one yet; without it, such a path is refused. */
  mount?: (path: string) => Promise<void>;
}

/**
 * Makes sure `path` exists and is a tmpfs, mounting one there if asked to, and throws otherwise:
 * the agent must not start putting secrets on disk because a mount went missing.
 */
export async function ensureTmpfsRoot(path: string, options: EnsureTmpfsOptions = {}): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  if (await isTmpfs(path)) return;
  if (options.mount) await options.mount(path);
  await assertTmpfs(path, 'memory-backed volumes');
}

const run = promisify(execFile);

/** `mount -t tmpfs` at `path`: owner-only, no set-uid programs, no device files. Needs root. */
export async function mountTmpfs(path: string): Promise<void> {
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'mode=0700,nosuid,nodev', 'shoal-tmpfs', path], {
      timeout: 10_000,
    });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(`cannot mount a tmpfs at ${path}: ${stderr || (err as Error).message}`);
  }
}
