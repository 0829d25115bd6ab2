import assert from 'node:assert/strict';
import { stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkHostPath } from './host-path.js';
import { diskDir } from './test-dirs.js';

describe('checkHostPath', () => {
  let dir: Awaited<ReturnType<typeof diskDir>>;
  let server: Server;
  let socket: string;
  let file: string;
  before(async () => {
    dir = await diskDir('hostpath');
    file = join(dir.path, 'file');
    await writeFile(file, 'x');
    socket = join(dir.path, 'sock');
    server = createServer();
    await new Promise<void>((resolve) => server.listen(socket, resolve));
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await dir.cleanup();
  });

  it('accepts what is there when the type matches (or is not given)', async () => {
    await checkHostPath(dir.path, 'Directory');
    await checkHostPath(file, 'File');
    await checkHostPath(socket, 'Socket');
    await checkHostPath('/dev/null', 'CharDevice');
    await checkHostPath(file, 'FileOrCreate');
    await checkHostPath(dir.path, 'DirectoryOrCreate');
    await checkHostPath(join(dir.path, 'absent'), '');
    await checkHostPath(join(dir.path, 'absent'), undefined);
  });

  it('refuses a mismatch with the kubelet message', async () => {
    const cases: Array<[string, string, string]> = [
      [file, 'Directory', `hostPath type check failed: ${file} is not a directory, it's a File`],
      [file, 'DirectoryOrCreate', `hostPath type check failed: ${file} is not a directory, it's a File`],
      [dir.path, 'File', `hostPath type check failed: ${dir.path} is not a file, it's a Directory`],
      [dir.path, 'FileOrCreate', `hostPath type check failed: ${dir.path} is not a file, it's a Directory`],
      [file, 'Socket', `hostPath type check failed: ${file} is not a socket file, it's a File`],
      [
        socket,
        'CharDevice',
        `hostPath type check failed: ${socket} is not a character device, it's a Socket`,
      ],
      [
        '/dev/null',
        'BlockDevice',
        "hostPath type check failed: /dev/null is not a block device, it's a CharDevice",
      ],
      [join(dir.path, 'absent'), 'Directory', `hostPath ${join(dir.path, 'absent')} doesn't exist`],
      [join(dir.path, 'absent'), 'File', `hostPath ${join(dir.path, 'absent')} doesn't exist`],
      [file, 'Pipe', 'Pipe is an invalid volume type'],
      [`${dir.path}/../etc`, '', `invalid HostPath \`${dir.path}/../etc\`: must not contain '..'`],
    ];
    for (const [path, type, message] of cases)
      await assert.rejects(checkHostPath(path, type), { message }, `${type} ${path}`);
  });

  it('DirectoryOrCreate creates the directory and its parents with mode 0755', async () => {
    const path = join(dir.path, 'new', 'nested');
    await checkHostPath(path, 'DirectoryOrCreate');
    const st = await stat(path);
    assert.ok(st.isDirectory());
    assert.equal(st.mode & 0o777, 0o755);
  });

  it('FileOrCreate creates an empty 0644 file, but not its parent directory', async () => {
    const path = join(dir.path, 'created');
    await checkHostPath(path, 'FileOrCreate');
    const st = await stat(path);
    assert.ok(st.isFile());
    assert.equal(st.size, 0);
    assert.equal(st.mode & 0o777, 0o644);
    const orphan = join(dir.path, 'no-parent', 'f');
    await assert.rejects(checkHostPath(orphan, 'FileOrCreate'), {
      message: `open ${orphan}: no such file or directory`,
    });
  });
});
