import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ProcHostStats, parseLoadavgEntities, parseMeminfo } from './host-stats.js';

describe('host stats', () => {
  it('parses /proc/meminfo and /proc/loadavg', () => {
    assert.deepEqual(parseMeminfo('MemTotal:       2048 kB\nMemFree:  10 kB\nMemAvailable:   1024 kB\n'), {
      totalBytes: 2048 * 1024,
      availableBytes: 1024 * 1024,
    });
    assert.throws(() => parseMeminfo('MemTotal: 1 kB\n'), /no MemAvailable line/);
    assert.equal(parseLoadavgEntities('1.74 0.83 0.89 2/161 11566\n'), 161);
    assert.throws(() => parseLoadavgEntities('garbage'), /unexpected \/proc\/loadavg/);
  });

  it('reads a fake /proc, /sys and /etc', async () => {
    const root = await mkdtemp(join(tmpdir(), 'shoal-host-'));
    try {
      const proc = join(root, 'proc');
      await mkdir(join(proc, 'sys/kernel/random'), { recursive: true });
      await writeFile(join(proc, 'meminfo'), 'MemTotal: 4096 kB\nMemAvailable: 1024 kB\n');
      await writeFile(join(proc, 'loadavg'), '0.00 0.00 0.00 1/250 99\n');
      await writeFile(join(proc, 'sys/kernel/pid_max'), '4194304\n');
      await writeFile(join(proc, 'sys/kernel/threads-max'), '10000\n');
      await writeFile(join(proc, 'sys/kernel/random/boot_id'), 'boot-xyz\n');
      await mkdir(join(root, 'etc'));
      await writeFile(join(root, 'etc/machine-id'), 'abc123\n');
      await mkdir(join(root, 'sys/class/dmi/id'), { recursive: true });
      await writeFile(join(root, 'sys/class/dmi/id/product_uuid'), 'ABCD-EF\n');
      const stats = await new ProcHostStats({
        dataDir: root,
        procDir: proc,
        sysDir: join(root, 'sys'),
        etcDir: join(root, 'etc'),
        hostname: () => 'box',
      }).read();
      assert.deepEqual(stats.memory, { totalBytes: 4096 * 1024, availableBytes: 1024 * 1024 });
      assert.deepEqual(stats.pids, { inUse: 250, max: 10000 });
      assert.deepEqual(
        [stats.bootId, stats.machineId, stats.systemUuid, stats.hostname],
        ['boot-xyz', 'abc123', 'abcd-ef', 'box'],
      );
      assert.ok(
        stats.filesystem.totalBytes > 0 && stats.filesystem.availableBytes <= stats.filesystem.totalBytes,
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('reads this machine', async () => {
    const stats = await new ProcHostStats({ dataDir: tmpdir() }).read();
    assert.ok(stats.memory.totalBytes > 0 && stats.memory.availableBytes <= stats.memory.totalBytes);
    assert.ok(stats.pids.inUse > 0 && stats.pids.max > stats.pids.inUse);
    assert.match(stats.bootId, /^[0-9a-f-]{36}$/);
  });
});
