/**
 * Files that hold secrets: written atomically (temporary file, fsync, rename) so that a crash
 * never leaves half a key, with their mode set explicitly (the process umask does not apply), and
 * only when their content changes, so that a restart leaves every file as it was.
 */
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Mode of files holding private keys or secrets. */
export const SECRET_FILE_MODE = 0o600;
/** Mode of public files (certificates). */
export const PUBLIC_FILE_MODE = 0o644;
/** Mode of the directory holding keys. */
export const SECRET_DIR_MODE = 0o700;

/** Read a file as UTF-8, or undefined when it does not exist. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Create `dir` (and its parents) if needed, and make sure `dir` itself has `mode`. */
export async function ensureDir(dir: string, mode: number): Promise<void> {
  await mkdir(dir, { recursive: true, mode });
  const st = await stat(dir);
  if ((st.mode & 0o777) !== mode) await chmod(dir, mode);
}

/** Replace `path` with `content` atomically, with `mode`. */
async function writeAtomic(path: string, content: string, mode: number): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(content, 'utf8');
    await fh.chmod(mode);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
}

/**
 * Write `content` to `path` unless it already holds exactly that; make sure the mode is `mode`
 * either way. Returns whether the content was written.
 */
export async function writeIfChanged(path: string, content: string, mode: number): Promise<boolean> {
  const current = await readIfExists(path);
  if (current === content) {
    const st = await stat(path);
    if ((st.mode & 0o777) !== mode) await chmod(path, mode);
    return false;
  }
  await writeAtomic(path, content, mode);
  return true;
}
