/**
 * What the agent reports about its host: memory, the data dir's filesystem, process ids and the
 * machine's identity. `HostStats` is the seam the node status reporter reads through (a fake in
 * tests); `ProcHostStats` reads Linux's /proc, /sys and statfs.
 *
 * Sources, as the kubelet (through cAdvisor) reads them:
 * - memory: /proc/meminfo MemTotal and MemAvailable (the kernel's estimate of what can be
 *   allocated without swapping; the kubelet uses the cgroup working set instead, which needs a
 *   cgroup walk, and MemAvailable is close enough for a pressure signal).
 * - filesystem: statfs of the data dir; available = blocks free to unprivileged users
 *   (`filesystemUsage`, which image garbage collection also reads for the runtime's image store).
 * - pids: in use = /proc/loadavg's count of scheduling entities (threads, as the kernel counts
 *   them against its limits); max = the smaller of kernel.pid_max and kernel.threads-max.
 * - identity: /proc/sys/kernel/random/boot_id, /etc/machine-id (or dbus's), and the DMI product
 *   UUID when readable (only root can, and containers often have none; '' then).
 */
import { readFile, statfs } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** Size and free space of one filesystem, in bytes. */
export interface FilesystemUsage {
  totalBytes: number;
  /** What unprivileged users may still write (statfs `bavail`), as the kubelet counts it. */
  availableBytes: number;
}

/** The filesystem that holds `path`. */
export async function filesystemUsage(path: string): Promise<FilesystemUsage> {
  const fs = await statfs(path);
  return { totalBytes: fs.blocks * fs.bsize, availableBytes: fs.bavail * fs.bsize };
}

export interface HostSnapshot {
  memory: { totalBytes: number; availableBytes: number };
  /** The filesystem holding the agent's data dir. */
  filesystem: FilesystemUsage;
  pids: { inUse: number; max: number };
  bootId: string;
  machineId: string;
  /** '' when the host does not expose one. */
  systemUuid: string;
  hostname: string;
}

export interface HostStats {
  read(): Promise<HostSnapshot>;
}

export interface ProcHostStatsOptions {
  dataDir: string;
  /** For tests: where /proc, /sys and /etc are (default the real ones). */
  procDir?: string;
  sysDir?: string;
  etcDir?: string;
  hostname?: () => string;
}

export class ProcHostStats implements HostStats {
  private readonly proc: string;
  private readonly sys: string;
  private readonly etc: string;

  constructor(private readonly options: ProcHostStatsOptions) {
    this.proc = options.procDir ?? '/proc';
    this.sys = options.sysDir ?? '/sys';
    this.etc = options.etcDir ?? '/etc';
  }

  async read(): Promise<HostSnapshot> {
    const [meminfo, fs, loadavg, pidMax, threadsMax, bootId, machineId, systemUuid] = await Promise.all([
      readFile(join(this.proc, 'meminfo'), 'utf8'),
      filesystemUsage(this.options.dataDir),
      readFile(join(this.proc, 'loadavg'), 'utf8'),
      readFile(join(this.proc, 'sys/kernel/pid_max'), 'utf8'),
      readFile(join(this.proc, 'sys/kernel/threads-max'), 'utf8'),
      readFile(join(this.proc, 'sys/kernel/random/boot_id'), 'utf8'),
      firstReadable([join(this.etc, 'machine-id'), '/var/lib/dbus/machine-id']),
      firstReadable([join(this.sys, 'class/dmi/id/product_uuid')]),
    ]);
    return {
      memory: parseMeminfo(meminfo),
      filesystem: fs,
      pids: {
        inUse: parseLoadavgEntities(loadavg),
        max: Math.min(parseInt10(pidMax), parseInt10(threadsMax)),
      },
      bootId: bootId.trim(),
      machineId: machineId.trim(),
      systemUuid: systemUuid.trim().toLowerCase(),
      hostname: (this.options.hostname ?? hostname)(),
    };
  }
}

/** MemTotal and MemAvailable of /proc/meminfo, in bytes. */
export function parseMeminfo(text: string): HostSnapshot['memory'] {
  const kib = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
    if (!m) throw new Error(`/proc/meminfo has no ${name} line`);
    return Number(m[1]) * 1024;
  };
  return { totalBytes: kib('MemTotal'), availableBytes: kib('MemAvailable') };
}

/** The total in /proc/loadavg's fourth field `running/total`. */
export function parseLoadavgEntities(text: string): number {
  const m = /^\S+ \S+ \S+ \d+\/(\d+) /.exec(text);
  if (!m) throw new Error(`unexpected /proc/loadavg content: ${JSON.stringify(text.slice(0, 80))}`);
  return Number(m[1]);
}

function parseInt10(text: string): number {
  const n = Number.parseInt(text.trim(), 10);
  if (!Number.isFinite(n)) throw new Error(`expected a number, got ${JSON.stringify(text.slice(0, 40))}`);
  return n;
}

async function firstReadable(paths: string[]): Promise<string> {
  for (const p of paths) {
    try {
      return await readFile(p, 'utf8');
    } catch {
      // absent or unreadable: the next, or none
    }
  }
  return '';
}
