/**
 * `volumeMounts[].subPath`: a path inside the volume, which must stay inside it. Lexical escapes
 * (`..`, absolute paths) are refused with the kubelet's messages; escapes through symlinks (a
 * container may have put `ln -s / x` into a writable volume) are caught by resolving the path and
 * checking it is still under the volume's real path. The resolved path is what gets mounted, so
 * a symlink swapped later does not redirect the mount.
 */
import { chmod, lstat, mkdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { ContainerConfigError } from '../config-error.js';

/** The host path to mount for `subPath` of the volume at `volumePath`; creates it (a directory) when missing. */
export async function resolveSubPath(
  volumePath: string,
  subPath: string,
  where: { mount: string; container: string },
): Promise<string> {
  if (isAbsolute(subPath))
    throw new ContainerConfigError(`error SubPath \`${subPath}\` must not be an absolute path`);
  if (subPath.split('/').includes('..'))
    throw new ContainerConfigError(`unable to provision SubPath \`${subPath}\`: must not contain '..'`);
  const prepareFailed = () =>
    new ContainerConfigError(
      `failed to prepare subPath for volumeMount "${where.mount}" of container "${where.container}"`,
    );

  const root = await realpath(volumePath);
  const parts = subPath.split('/').filter((p) => p !== '' && p !== '.');
  // Walk down to the deepest component that exists; every one on the way must stay in the volume.
  let current = root;
  let i = 0;
  for (; i < parts.length; i++) {
    const next = join(current, parts[i]!);
    if ((await lstat(next).catch(() => undefined)) === undefined) break;
    current = await realpath(next).catch(() => {
      throw prepareFailed();
    });
    if (!inside(root, current)) throw prepareFailed();
  }
  if (i < parts.length) {
    // Created with the volume's own mode, so that a group-writable volume stays group-writable.
    const mode = (await stat(root)).mode & 0o7777;
    for (; i < parts.length; i++) {
      current = join(current, parts[i]!);
      await mkdir(current, { mode }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST')
          throw new ContainerConfigError(
            `failed to create subPath directory for volumeMount "${where.mount}" of container "${where.container}"`,
          );
      });
      await chmod(current, mode);
      current = await realpath(current);
      if (!inside(root, current)) throw prepareFailed();
    }
  }
  return current;
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
