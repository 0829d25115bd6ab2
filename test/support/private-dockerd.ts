/**
 * A dockerd of the test's own, for tests that must stop, restart or fill the container engine
 * (engine restarts, image garbage collection) without touching the machine's shared dockerd that
 * other test runs use at the same time.
 *
 * Everything it makes is its own and is removed by `destroy()`: a temporary directory holding
 * the data root, exec root (with the private containerd it supervises), pid file, socket and an
 * empty daemon config (so /etc/docker/daemon.json does not apply); a Linux bridge `shoalpdX`
 * with 10.251.X.1/24, X free on this host, which the daemon uses as its default `bridge` network
 * with iptables and masquerading off (containers reach the host and each other, nothing beyond);
 * and containerd namespaces named after the run. The storage driver is the shared daemon's (a
 * nested overlay can fail, so vfs is tried when it does). Needs root, as dockerd does.
 *
 * `stop()` ends the daemon by SIGTERM (it stops its containers, as any dockerd shutdown without
 * live-restore does) and `start()` brings it back on the same data root, so the containers and
 * images are still there, stopped.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';

const run = promisify(execFile);
const DOCKERD = process.env.SHOAL_DOCKERD ?? 'dockerd';
const DOCKER_CLI = process.env.SHOAL_DOCKER_CLI ?? 'docker';
/** The private range bridges are made in: 10.251.X.0/24. */
const SUBNET_PREFIX = '10.251';
const START_TIMEOUT_MS = 30_000;
/** dockerd gives containers 10 s to stop, then needs a moment for itself. */
const STOP_TIMEOUT_MS = 30_000;

export interface PrivateDockerd {
  /** The daemon's unix socket, for `--docker-socket` and dockerode. */
  readonly socketPath: string;
  /** `unix://<socketPath>`, for `docker -H`. */
  readonly host: string;
  readonly dataRoot: string;
  /** The bridge's name and its address (the gateway containers see). */
  readonly bridge: string;
  readonly gateway: string;
  readonly storageDriver: string;
  /** A dockerode client of this daemon. */
  readonly docker: Docker;
  /** The running daemon's pid; undefined while it is stopped. */
  readonly pid: number | undefined;
  /** Everything the daemon processes printed (all starts). */
  output(): string;
  /** The docker CLI against this daemon; rejects (with its stderr) on a non-zero exit. */
  cli(args: string[], options?: { timeoutMs?: number }): Promise<string>;
  /** Copies `image` from the shared daemon (`docker save | docker load`). */
  loadImage(image: string): Promise<void>;
  /** SIGTERM, SIGKILL after 30 s; resolves once the daemon (and its containerd) exited. */
  stop(): Promise<void>;
  /** Starts the daemon again on the same data root; resolves once it answers. */
  start(): Promise<void>;
  /** Stops the daemon if it runs and removes everything the fixture made. Idempotent. */
  destroy(): Promise<void>;
}

export interface PrivateDockerdOptions {
  /** Storage driver (default: the shared daemon's, else vfs). */
  storageDriver?: string;
}

export async function startPrivateDockerd(options: PrivateDockerdOptions = {}): Promise<PrivateDockerd> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-dockerd-'));
  const id = path.basename(root).slice('shoal-dockerd-'.length).toLowerCase();
  const dataRoot = path.join(root, 'data');
  const execRoot = path.join(root, 'exec');
  const socketPath = path.join(root, 'docker.sock');
  const pidFile = path.join(root, 'docker.pid');
  const configFile = path.join(root, 'daemon.json');
  fs.mkdirSync(dataRoot);
  fs.mkdirSync(execRoot);
  fs.writeFileSync(configFile, '{}\n');

  let bridge: { name: string; gateway: string } | undefined;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';
  let destroyed = false;
  const docker = new Docker({ socketPath });

  const args = (driver: string) => [
    '--data-root',
    dataRoot,
    '--exec-root',
    execRoot,
    '--pidfile',
    pidFile,
    '--config-file',
    configFile,
    '-H',
    `unix://${socketPath}`,
    '--bridge',
    bridge!.name,
    '--iptables=false',
    '--ip-masq=false',
    '--storage-driver',
    driver,
    // Its own containerd namespaces, in case it shares a system containerd with the main daemon.
    '--containerd-namespace',
    `shoal-${id}`,
    '--containerd-plugins-namespace',
    `shoal-${id}-plugins`,
  ];

  const launch = async (driver: string) => {
    const proc = spawn(DOCKERD, args(driver), { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const collect = (d: Buffer) => {
      output += d;
    };
    proc.stdout!.on('data', collect);
    proc.stderr!.on('data', collect);
    proc.once('error', (err) => {
      output += `\n${DOCKERD}: ${err.message}\n`;
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`private dockerd exited (${proc.exitCode ?? proc.signalCode}) while starting`);
      }
      try {
        await docker.ping();
        return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        await exited;
        throw new Error(`private dockerd did not answer within ${START_TIMEOUT_MS / 1000} s`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const stop = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  const killNow = () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killNow);

  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    process.off('exit', killNow);
    if (child && child.exitCode === null && child.signalCode === null) {
      // Removing the containers first makes the daemon's shutdown quick and leaves no mounts.
      const containers = await docker.listContainers({ all: true }).catch(() => []);
      await Promise.all(
        containers.map((c) =>
          docker
            .getContainer(c.Id)
            .remove({ force: true, v: true })
            .catch(() => undefined),
        ),
      );
      // And its networks (an agent's pod network): dockerd leaves their bridges in the kernel when
      // it stops, where they would shadow the same subnet for the next test cluster.
      const networks = await docker.listNetworks().catch(() => []);
      await Promise.all(
        networks
          .filter((n) => !['bridge', 'host', 'none'].includes(n.Name))
          .map((n) =>
            docker
              .getNetwork(n.Id)
              .remove()
              .catch(() => undefined),
          ),
      );
    }
    await stop();
    killLeftovers(root);
    unmountUnder(root);
    if (bridge) await run('ip', ['link', 'del', bridge.name]).catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  };

  let storageDriver = options.storageDriver ?? (await sharedStorageDriver()) ?? 'vfs';
  try {
    bridge = await createBridge();
    try {
      await launch(storageDriver);
    } catch (err) {
      if (options.storageDriver !== undefined || storageDriver === 'vfs') throw err;
      // e.g. overlay2 on a data root that is itself on overlayfs.
      output += `\n(shoal: ${storageDriver} failed, trying vfs)\n`;
      storageDriver = 'vfs';
      unmountUnder(dataRoot);
      fs.rmSync(dataRoot, { recursive: true, force: true });
      fs.mkdirSync(dataRoot);
      await launch(storageDriver);
    }
  } catch (err) {
    const log = output.slice(-3000);
    await destroy();
    throw new Error(`${(err as Error).message}\n${log}`);
  }

  const driver = storageDriver;
  const created = bridge;
  return {
    socketPath,
    host: `unix://${socketPath}`,
    dataRoot,
    bridge: created.name,
    gateway: created.gateway,
    storageDriver: driver,
    docker,
    get pid() {
      return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    output: () => output,
    async cli(cliArgs, opts = {}) {
      try {
        const { stdout } = await run(DOCKER_CLI, ['-H', `unix://${socketPath}`, ...cliArgs], {
          timeout: opts.timeoutMs ?? 60_000,
          maxBuffer: 16 * 1024 * 1024,
        });
        return stdout;
      } catch (err) {
        const e = err as Error & { stderr?: string };
        throw new Error(`docker -H unix://${socketPath} ${cliArgs.join(' ')}: ${e.stderr || e.message}`);
      }
    },
    async loadImage(image) {
      // dockerode streams the tar from one daemon into the other without a temporary file.
      const tar = await new Docker().getImage(image).get();
      const progress = await docker.loadImage(tar);
      let text = '';
      for await (const chunk of progress) text += chunk.toString();
      if (/"error"/.test(text)) throw new Error(`loading ${image} into the private dockerd: ${text}`);
    },
    stop,
    async start() {
      if (destroyed) throw new Error('private dockerd: start() after destroy()');
      if (child && child.exitCode === null && child.signalCode === null) {
        throw new Error('private dockerd: start() while it still runs; stop() it first');
      }
      await launch(driver);
    },
    destroy,
  };
}

/** The shared daemon's storage driver, if it answers. */
async function sharedStorageDriver(): Promise<string | undefined> {
  try {
    return (await new Docker().info()).Driver as string;
  } catch {
    return undefined;
  }
}

/**
 * A new bridge `shoalpdX` with 10.251.X.1/24, for an X no interface of this host uses. Creating
 * the link is the lock: two runs choosing the same X at once cannot both succeed.
 */
async function createBridge(): Promise<{ name: string; gateway: string }> {
  const used = await usedSubnets();
  const first = process.pid % 250;
  for (let i = 0; i < 250; i++) {
    const x = 1 + ((first + i) % 250);
    if (used.has(x)) continue;
    const name = `shoalpd${x}`;
    try {
      await run('ip', ['link', 'add', name, 'type', 'bridge']);
    } catch {
      continue; // another run has it
    }
    const gateway = `${SUBNET_PREFIX}.${x}.1`;
    try {
      await run('ip', ['addr', 'add', `${gateway}/24`, 'dev', name]);
      await run('ip', ['link', 'set', name, 'up']);
    } catch (err) {
      await run('ip', ['link', 'del', name]).catch(() => undefined);
      throw new Error(`setting up bridge ${name}: ${(err as Error & { stderr?: string }).stderr ?? err}`);
    }
    return { name, gateway };
  }
  throw new Error(`no free ${SUBNET_PREFIX}.X.0/24 subnet for a private dockerd bridge`);
}

/** The X of every 10.251.X.* address on this host. */
async function usedSubnets(): Promise<Set<number>> {
  const { stdout } = await run('ip', ['-4', '-o', 'addr', 'show']);
  const used = new Set<number>();
  for (const m of stdout.matchAll(/inet 10\.251\.(\d+)\./g)) used.add(Number(m[1]));
  return used;
}

/**
 * SIGKILLs the containerd and shims of this daemon that outlived it (they do when dockerd itself
 * had to be SIGKILLed): every containerd* process whose command line names a path below `dir`
 * (not, say, an agent given the socket), by pid.
 */
function killLeftovers(dir: string): void {
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const program = path.basename(cmdline.split('\0')[0] ?? '');
    if (!program.startsWith('containerd') || !cmdline.includes(`${dir}/`)) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
}

/**
 * Lazily unmounts whatever is still mounted below `dir` (netns or overlay leftovers), deepest
 * first, so removing the directory cannot reach into a container's files.
 */
function unmountUnder(dir: string): void {
  const mounts = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p?.startsWith(`${dir}/`) ?? false)
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      // unmounted meanwhile
    }
  }
}
