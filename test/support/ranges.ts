/**
 * Address ranges for one test cluster. Test clusters run side by side on one machine and one
 * dockerd, and each agent's pod network is a Docker bridge on its node's podCIDR: two clusters
 * with the same cluster CIDR would ask Docker for overlapping subnets, and their ClusterIPs could
 * collide in the host's NAT rules. So each test server takes a numbered slot, held by an
 * exclusive lock file (freed on release, or taken over when the process that held it is gone).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { POD_BRIDGE_PREFIX } from '../../src/runtime/docker/driver.js';
import { LABEL_NODE } from '../../src/runtime/driver.js';
import { type Cidr, cidrContains, parseCidr, parseIPv4, tryParseCidr } from '../../src/util/ipv4.js';

export interface ClusterRanges {
  clusterCidr: string;
  serviceCidr: string;
  release(): void;
}

const SLOTS = 50;
const DIR = path.join(os.tmpdir(), 'shoal-e2e-ranges');

/**
 * Takes a free slot and removes the pod networks an earlier, crashed run left in its range (the
 * slot is ours now, so nothing live uses them).
 */
export async function reserveClusterRanges(): Promise<ClusterRanges> {
  const ranges = takeSlot();
  const range = parseCidr(ranges.clusterCidr);
  const docker = new Docker();
  const networks = await docker.listNetworks({ filters: { label: [LABEL_NODE] } });
  for (const n of networks) {
    const subnet = tryParseCidr(n.IPAM?.Config?.[0]?.Subnet ?? '');
    if (!subnet || !cidrContains(range, subnet.base)) continue;
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => undefined);
  }
  await removeStaleBridges(range);
  return ranges;
}

/**
 * Pod-network bridges (`POD_BRIDGE_PREFIX…`) whose address is in our slot but that no Docker network owns any
 * more, e.g. left by a private dockerd that stopped before its networks were removed. Two
 * interfaces with one subnet would send pod traffic to the dead one.
 */
async function removeStaleBridges(range: Cidr): Promise<void> {
  const run = promisify(execFile);
  const { stdout } = await run('ip', ['-4', '-o', 'addr', 'show']).catch(() => ({ stdout: '' }));
  for (const line of stdout.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet\s+([\d.]+)\//.exec(line);
    const ip = m ? parseIPv4(m[2]!) : undefined;
    if (!m?.[1]?.startsWith(POD_BRIDGE_PREFIX) || ip === undefined || !cidrContains(range, ip)) continue;
    await run('ip', ['link', 'del', m[1]!]).catch(() => undefined);
  }
}

function takeSlot(): ClusterRanges {
  fs.mkdirSync(DIR, { recursive: true });
  for (let slot = 0; slot < SLOTS; slot++) {
    const file = path.join(DIR, String(slot));
    if (!claim(file)) continue;
    return {
      // 10.100-149 for pods and 10.150-199 for services: clear of k3s's defaults (10.42, 10.43).
      clusterCidr: `10.${100 + slot}.0.0/16`,
      serviceCidr: `10.${150 + slot}.0.0/16`,
      release: () => fs.rmSync(file, { force: true }),
    };
  }
  throw new Error(`all ${SLOTS} test cluster address slots in ${DIR} are taken`);
}

function claim(file: string): boolean {
  try {
    fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    // Taken, or left by a process that died: a takeover reads the holder and replaces its file,
    // and two processes doing that at once could both end up holding the slot (the second
    // removing the file the first just wrote). Takeovers go one at a time.
    return underTakeoverLock(() => {
      let holder: number;
      try {
        holder = Number(fs.readFileSync(file, 'utf8'));
      } catch {
        holder = 0; // gone meanwhile: free
      }
      if (Number.isInteger(holder) && holder > 0 && alive(holder)) return false;
      fs.rmSync(file, { force: true });
      try {
        fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
        return true;
      } catch {
        return false;
      }
    });
  }
}

/** Runs `fn` holding the directory's takeover lock (a directory: mkdir is atomic). */
function underTakeoverLock<T>(fn: () => T): T {
  const lock = path.join(DIR, 'takeover.lock');
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // Held for a few milliseconds at most; one older than 10 s belongs to a process that died.
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > 10_000) fs.rmdirSync(lock);
      } catch {}
      if (Date.now() > deadline) throw new Error(`${lock} stayed taken for 30 s`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmdirSync(lock);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
