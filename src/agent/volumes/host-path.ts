/**
 * hostPath volumes: nothing to materialize (the container sees the host's own path), only the
 * `type` check the kubelet makes before the pod starts, with its error messages.
 */
import type { Stats } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';

/** HostPathType → what the kubelet calls it in "is not a …". */
const DESCRIPTIONS: Record<string, string> = {
  Directory: 'directory',
  File: 'file',
  Socket: 'socket file',
  CharDevice: 'character device',
  BlockDevice: 'block device',
};

/** Checks (and for the *OrCreate types creates) `path` as `type` asks; `''`/absent checks nothing. */
export async function checkHostPath(path: string, type: string | undefined): Promise<void> {
  if (path.split('/').includes('..')) throw new Error(`invalid HostPath \`${path}\`: must not contain '..'`);
  if (!type) return;
  switch (type) {
    case 'DirectoryOrCreate':
      if (!(await statOrUndefined(path))) {
        await mkdir(path, { recursive: true, mode: 0o755 }).catch((err) => {
          throw goPathError('mkdir', path, err);
        });
        return;
      }
      return expectType(path, 'Directory');
    case 'FileOrCreate':
      if (!(await statOrUndefined(path))) {
        // Like the kubelet: the file, but not its parent directory, is created.
        const handle = await open(path, 'a', 0o644).catch((err) => {
          throw goPathError('open', path, err);
        });
        await handle.close();
        return;
      }
      return expectType(path, 'File');
    case 'Directory':
    case 'File':
    case 'Socket':
    case 'CharDevice':
    case 'BlockDevice':
      return expectType(path, type);
    default:
      throw new Error(`${type} is an invalid volume type`);
  }
}

async function expectType(path: string, expected: string): Promise<void> {
  const st = await statOrUndefined(path);
  if (!st) throw new Error(`hostPath ${path} doesn't exist`);
  const actual = fileType(st);
  const description = DESCRIPTIONS[expected]!;
  if (actual === undefined)
    throw new Error(
      `hostPath type check failed, ${path} is not a ${description}, unable to determine its type: only recognise file, directory, socket, block device and character device`,
    );
  if (actual !== expected)
    throw new Error(`hostPath type check failed: ${path} is not a ${description}, it's a ${actual}`);
}

function fileType(st: Stats): string | undefined {
  if (st.isDirectory()) return 'Directory';
  if (st.isFile()) return 'File';
  if (st.isSocket()) return 'Socket';
  if (st.isCharacterDevice()) return 'CharDevice';
  if (st.isBlockDevice()) return 'BlockDevice';
  return undefined;
}

/** Follows symlinks, as the kubelet's checks do; a dangling link counts as nothing there. */
async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw goPathError('stat', path, err);
  }
}

/** Node's "ENOENT: no such file or directory, open '/x'" in Go's shape: "open /x: no such file or directory". */
function goPathError(op: string, path: string, err: unknown): Error {
  const message = (err as Error).message ?? String(err);
  const m = /^[A-Z]+: ([^,]+),/.exec(message);
  return new Error(`${op} ${path}: ${m ? m[1] : message}`);
}
