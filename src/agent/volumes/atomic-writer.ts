/**
 * Writes a volume's files so that a reader never sees a half-updated set, as the kubelet's
 * AtomicWriter does for configMap, secret, downwardAPI and projected volumes:
 *
 *   <dir>/..2024_05_01_12_00_00.a1b2c3/   the content, one directory per version
 *   <dir>/..data -> ..2024_05_01_12_00_00.a1b2c3
 *   <dir>/key    -> ..data/key          each visible top-level name goes through ..data
 *
 * A new version is written beside the old one, then `..data` is swapped by renaming a fresh
 * symlink over it (rename is atomic), and only then is the old version removed. Nothing is
 * written when the content and modes are unchanged, so refreshing is cheap and mounted files
 * keep their identity until something really changes.
 */
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { join, posix } from 'node:path';

export interface FileProjection {
  data: Buffer;
  /** Permission bits, e.g. 0o644. */
  mode: number;
}

/** Relative path (may contain `/`) → content. */
export type Payload = Map<string, FileProjection>;

const DATA_LINK = '..data';
const DATA_LINK_TMP = '..data_tmp';
const MAX_PATH_LENGTH = 4096;
const MAX_FILE_NAME_LENGTH = 255;
/** A volume holds at most this many files; more means something is wrong, not a big ConfigMap. */
const MAX_FILES = 10_000;

/** The kubelet's rules for a projected file's path, with its messages. Returns the cleaned path. */
export function validatePayloadPath(path: string): string {
  if (path === '') throw new Error(`invalid path: must not be empty: ${JSON.stringify(path)}`);
  if (posix.isAbsolute(path)) throw new Error(`invalid path: must be relative path: ${path}`);
  if (path.length > MAX_PATH_LENGTH)
    throw new Error(`invalid path: must be less than or equal to ${MAX_PATH_LENGTH} characters`);
  const parts = path.split('/');
  for (const part of parts) {
    if (part === '..') throw new Error(`invalid path: must not contain '..': ${path}`);
    if (part.length > MAX_FILE_NAME_LENGTH)
      throw new Error(
        `invalid path: filenames must be less than or equal to ${MAX_FILE_NAME_LENGTH} characters`,
      );
  }
  // Names starting with `..` are the writer's own (`..data`, the versions).
  if (parts[0]!.startsWith('..') && parts[0]!.length > 2)
    throw new Error(`invalid path: must not start with '..': ${path}`);
  const clean = posix.normalize(path).replace(/\/+$/, '');
  if (clean === '.' || clean === '')
    throw new Error(`invalid path: must not be empty: ${JSON.stringify(path)}`);
  return clean;
}

/**
 * Makes `dir` show exactly `payload`. Returns whether anything was written (false when the
 * current version already has the same files, bytes and modes).
 */
export async function writeAtomically(dir: string, payload: Payload): Promise<boolean> {
  const files = new Map<string, FileProjection>();
  for (const [path, file] of payload) files.set(validatePayloadPath(path), file);

  await mkdir(dir, { recursive: true, mode: 0o755 });
  const oldVersion = await readlink(join(dir, DATA_LINK)).catch(ignoreMissing);
  // A dangling ..data (its version removed by hand) reads as no files: everything is rewritten.
  const oldFiles = oldVersion
    ? ((await readTree(join(dir, oldVersion)).catch(ignoreMissing)) ?? new Map<string, FileProjection>())
    : new Map<string, FileProjection>();
  if (oldVersion && samePayload(oldFiles, files)) return false;

  const version = await mkdtemp(join(dir, `..${timestamp(new Date())}.`));
  await chmod(version, 0o755);
  for (const [path, file] of files) {
    const target = join(version, path);
    await mkdir(join(target, '..'), { recursive: true, mode: 0o755 });
    await writeFile(target, file.data, { mode: file.mode });
    // The process umask may have narrowed the mode; the spec's mode is what readers must see.
    await chmod(target, file.mode);
  }

  // The swap: a reader resolving ..data sees either the old version or the new one, never a mix.
  const tmpLink = join(dir, DATA_LINK_TMP);
  await rm(tmpLink, { force: true });
  await symlink(posix.basename(version), tmpLink);
  await rename(tmpLink, join(dir, DATA_LINK));

  const newTops = topLevelNames(files.keys());
  for (const top of newTops) {
    const visible = join(dir, top);
    if ((await lstat(visible).catch(ignoreMissing)) === undefined)
      await symlink(`${DATA_LINK}/${top}`, visible);
  }
  for (const top of topLevelNames(oldFiles.keys())) {
    if (newTops.has(top)) continue;
    const visible = join(dir, top);
    if ((await lstat(visible).catch(ignoreMissing))?.isSymbolicLink()) await unlink(visible);
  }
  // Every version but the new one goes: the one just replaced and any a crash left behind.
  for (const entry of await readdir(dir)) {
    if (entry.startsWith('..') && entry !== DATA_LINK && entry !== posix.basename(version))
      await rm(join(dir, entry), { recursive: true, force: true });
  }
  return true;
}

/** The files of one version, by relative path. */
async function readTree(root: string): Promise<Map<string, FileProjection>> {
  const out = new Map<string, FileProjection>();
  const pending = [''];
  let seen = 0;
  while (pending.length > 0) {
    const rel = pending.pop()!;
    for (const entry of await readdir(join(root, rel), { withFileTypes: true })) {
      if (++seen > MAX_FILES) throw new Error(`${root} holds more than ${MAX_FILES} entries`);
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        pending.push(path);
      } else {
        const full = join(root, path);
        out.set(path, { data: await readFile(full), mode: (await stat(full)).mode & 0o7777 });
      }
    }
  }
  return out;
}

function samePayload(a: Map<string, FileProjection>, b: Map<string, FileProjection>): boolean {
  if (a.size !== b.size) return false;
  for (const [path, file] of b) {
    const old = a.get(path);
    if (!old || (old.mode & 0o7777) !== (file.mode & 0o7777) || !old.data.equals(file.data)) return false;
  }
  return true;
}

function topLevelNames(paths: Iterable<string>): Set<string> {
  return new Set([...paths].map((p) => p.split('/')[0]!));
}

/** `2024_05_01_12_00_00`, the kubelet's version-directory stamp (UTC here). */
function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}_${p(d.getUTCMonth() + 1)}_${p(d.getUTCDate())}_${p(d.getUTCHours())}_${p(d.getUTCMinutes())}_${p(d.getUTCSeconds())}`;
}

function ignoreMissing(err: NodeJS.ErrnoException): undefined {
  if (err.code === 'ENOENT') return undefined;
  throw err;
}
