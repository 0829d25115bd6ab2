/**
 * The thin half of the Docker driver: Engine API calls through dockerode. What to send is decided
 * in translate.ts; this file only sends it, reads streams, and maps engine failures to the
 * driver interface's errors. Every object it makes carries `shoal.dev/node=<nodeName>`, and it
 * only lists objects with that label, so several agents (or test runs) can share one dockerd.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { type Duplex, PassThrough, Readable, Writable } from 'node:stream';
import type Docker from 'dockerode';
import { type CommandRunner, hostRunner } from '../../network/host-command.js';
import { PodInterfaces, podAddressRanges } from '../../network/pod-interfaces/index.js';
import { fnv32a } from '../../util/fnv.js';
import { formatCidr } from '../../util/ipv4.js';
import {
  type ContainerRecord,
  type ContainerSpec,
  type ExecResult,
  type ExecSession,
  type ExecStreamOptions,
  ImageError,
  type ImageRecord,
  LABEL_NODE,
  LABEL_POD_IP,
  LABEL_POD_UID,
  type ListFilter,
  type LogOptions,
  type PodNetwork,
  type PullCredentials,
  type PullPolicy,
  type RuntimeDriver,
  type RuntimeEvent,
  type RuntimeInfo,
  RuntimeUnavailableError,
  type SandboxRecord,
  type SandboxSpec,
} from '../driver.js';
import { Engine } from './engine.js';
import { normalizeImage, parseImageRef } from './image-ref.js';
import { pauseImageTar } from './pause-image.js';
import { SandboxFiles } from './sandbox-files.js';
import {
  containerCreateOptions,
  createdRecord,
  dockerName,
  eventFromEngine,
  infoFromEngine,
  pullAuth,
  recordFromInspect,
  recordFromList,
  sandboxCreateOptions,
} from './translate.js';

const DEFAULT_PAUSE_IMAGE = 'shoal/pause:1';
const DEFAULT_SOCKET = '/var/run/docker.sock';
/** What `exec` keeps of a command's output: enough for a probe's message, bounded in memory. */
const EXEC_OUTPUT_LIMIT = 10 * 1024;
/** How long a "this image is present" answer is trusted (see presentCached). */
const PRESENCE_TTL_MS = 5_000;
/** After an exec's output ends, Docker may still report it running for a moment. */
const EXEC_EXIT_POLLS = 50;
const EXEC_EXIT_POLL_MS = 20;

export interface DockerDriverOptions {
  nodeName: string;
  /** Unix socket of dockerd (default /var/run/docker.sock). */
  socketPath?: string;
  /** Network sandboxes join when their spec names none (default: Docker's `bridge`). */
  network?: string;
  /** Image for sandboxes; when absent the driver imports its own `shoal/pause:1`. */
  pauseImage?: string;
  /** Runs `ip` and `nsenter` for the pods' interfaces (default: on this host). */
  run?: CommandRunner;
  /**
   * Where the driver keeps the files it writes for the sandboxes it networks itself (their pods'
   * /etc/hosts and /etc/resolv.conf); one directory per node, kept across restarts.
   */
  stateDir: string;
}

interface EngineError extends Error {
  statusCode?: number;
  code?: string;
  json?: { message?: string } | null;
}

/** The Docker network of a node's pods. */
export function podNetworkName(nodeName: string): string {
  return `shoal-${nodeName}`;
}

/** What every pod-network bridge's name starts with. */
export const POD_BRIDGE_PREFIX = 'shl';

/** Linux interface names are at most 15 characters: the prefix and a hash of the node's name. */
function bridgeName(nodeName: string): string {
  return `${POD_BRIDGE_PREFIX}${fnv32a(new TextEncoder().encode(nodeName)).toString(16).padStart(8, '0')}`;
}

function statusOf(err: unknown): number | undefined {
  return (err as EngineError)?.statusCode;
}

/** The engine's own sentence when it sent one, else the transport's message. */
function engineMessage(err: unknown): string {
  const e = err as EngineError;
  return e?.json?.message ?? e?.message ?? String(err);
}

export class DockerDriver implements RuntimeDriver {
  readonly name = 'docker';
  private readonly docker: Engine;
  private readonly socketPath: string;
  private readonly nodeName: string;
  private network: string | undefined;
  private readonly pauseImageName: string;
  private readonly ownPauseImage: boolean;
  private pauseReady: Promise<void> | undefined;
  private readonly presence = new Map<string, { present: Promise<boolean>; until: number }>();
  private readonly run: CommandRunner;
  /** Once the pod network is up: the sandboxes the driver plumbs itself. */
  private interfaces: PodInterfaces | undefined;
  private readonly sandboxFiles: SandboxFiles;

  constructor(opts: DockerDriverOptions) {
    if (!opts.nodeName) throw new Error('DockerDriver: nodeName must not be empty');
    this.nodeName = opts.nodeName;
    this.socketPath = opts.socketPath ?? DEFAULT_SOCKET;
    this.network = opts.network;
    this.pauseImageName = opts.pauseImage ?? DEFAULT_PAUSE_IMAGE;
    this.ownPauseImage = opts.pauseImage === undefined;
    this.docker = new Engine({ socketPath: this.socketPath });
    this.run = opts.run ?? hostRunner;
    this.sandboxFiles = new SandboxFiles(opts.stateDir);
  }

  /** Runs one engine call; a daemon that does not answer becomes RuntimeUnavailableError. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.mapError(what, err);
    }
  }

  private mapError(what: string, err: unknown): Error {
    if (err instanceof ImageError || err instanceof RuntimeUnavailableError) return err;
    const code = (err as EngineError)?.code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ECONNRESET' || code === 'EPIPE') {
      return new RuntimeUnavailableError(
        `cannot connect to the Docker daemon at unix://${this.socketPath} (${what}): ${code}`,
      );
    }
    const mapped = new Error(`docker: ${what}: ${engineMessage(err)}`) as EngineError;
    const status = statusOf(err);
    if (status !== undefined) mapped.statusCode = status;
    return mapped;
  }

  async info(): Promise<RuntimeInfo> {
    return infoFromEngine(await this.call('info', () => this.docker.info()));
  }

  // --- images -----------------------------------------------------------------------------------

  private async imagePresent(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }

  /**
   * Whether the image is present, asking Docker at most once per PRESENCE_TTL_MS per image: a burst
   * of pods on one image (a rollout, a benchmark) costs one inspect, not one each. A stale "present"
   * only means the create fails with Docker's "No such image" and the next sync asks again.
   */
  private presentCached(name: string): Promise<boolean> {
    const known = this.presence.get(name);
    if (known && known.until > Date.now()) return known.present;
    const present = this.call(`inspect image ${name}`, () => this.imagePresent(name));
    this.presence.set(name, { present, until: Date.now() + PRESENCE_TTL_MS });
    present.then(
      (yes) => {
        if (!yes) this.presence.delete(name);
      },
      () => this.presence.delete(name),
    );
    return present;
  }

  async ensureImage(
    image: string,
    policy: PullPolicy,
    credentials: PullCredentials[] = [],
  ): Promise<'present' | 'pulled'> {
    const name = normalizeImage(image);
    const present = policy === 'Always' ? false : await this.presentCached(name);
    if (policy === 'Never') {
      if (!present) {
        throw new ImageError(
          'ErrImageNeverPull',
          `Container image "${image}" is not present with pull policy of Never`,
        );
      }
      return 'present';
    }
    if (policy === 'IfNotPresent' && present) return 'present';
    const ref = parseImageRef(image);
    const auth = pullAuth(ref.registry, credentials);
    try {
      const stream = await this.docker.pull(auth as Docker.AuthConfig | undefined, {
        fromImage: ref.repository,
        tag: ref.digest ?? ref.tag ?? 'latest',
      });
      await readProgress(stream);
    } catch (err) {
      const mapped = this.mapError(`pull ${name}`, err);
      if (mapped instanceof RuntimeUnavailableError) throw mapped;
      throw new ImageError('ErrImagePull', `failed to pull image "${image}": ${engineMessage(err)}`);
    }
    return 'pulled';
  }

  async listImages(): Promise<ImageRecord[]> {
    const images = await this.call('list images', () => this.docker.listImages());
    const pause = normalizeImage(this.pauseImageName);
    return images.map((i) => {
      const tags = i.RepoTags ?? [];
      const record: ImageRecord = { id: i.Id, tags, sizeBytes: i.Size };
      if (tags.includes(pause) || (i.RepoDigests ?? []).includes(pause)) record.pinned = true;
      return record;
    });
  }

  async removeImage(id: string): Promise<void> {
    this.presence.clear();
    await this.call(`remove image ${id}`, async () => {
      let tags: string[];
      try {
        tags = (await this.docker.getImage(id).inspect()).RepoTags ?? [];
      } catch (err) {
        if (statusOf(err) === 404) return;
        throw err;
      }
      // Docker refuses to remove an image with several tags unless forced, and forcing would also
      // take it from under containers. So: make sure none uses it (any container on this engine,
      // not only this node's), then untag one by one; the last untag deletes the image.
      const users = await this.docker.listContainers({
        all: true,
        filters: JSON.stringify({ ancestor: [id] }),
      });
      if (users.length > 0) {
        throw new Error(`image is being used by container ${users[0]!.Id.slice(0, 12)}`);
      }
      for (const ref of tags.length > 1 ? tags : [id]) {
        try {
          await this.docker.getImage(ref).remove();
        } catch (err) {
          if (statusOf(err) !== 404) throw err;
        }
      }
    });
  }

  /** Makes the sandbox image present once per driver (again after a failure). */
  private ensurePauseImage(): Promise<void> {
    this.pauseReady ??= (async () => {
      if (!this.ownPauseImage) {
        await this.ensureImage(this.pauseImageName, 'IfNotPresent');
        return;
      }
      if (await this.call('inspect pause image', () => this.imagePresent(this.pauseImageName))) return;
      const [repo, tag] = this.pauseImageName.split(':');
      await this.call('import pause image', async () => {
        const stream = await this.docker.importImage(Readable.from([pauseImageTar()]), {
          repo,
          tag,
          changes: ['CMD ["/pause"]'],
        });
        await readProgress(stream);
      });
    })().catch((err) => {
      this.pauseReady = undefined;
      throw err;
    });
    return this.pauseReady;
  }

  // --- the pod network ---------------------------------------------------------------------------

  /**
   * A bridge network per node, named after it, with the node's pod CIDR as its subnet and the
   * first address as the bridge's (the gateway). Docker's own masquerading is off: the service
   * proxy's rules decide which traffic is source-NATed, so pods on one node reach pods on another
   * with their own addresses. Docker hands out addresses only from the range's last quarter, to
   * the sandboxes of pods that publish hostPorts (Docker's port publishing needs its own
   * network); every other sandbox starts on `none` and the driver plumbs it into the same bridge
   * with an address from the rest (src/network/pod-interfaces/). A network left by an earlier
   * run is adopted when its ranges match, and replaced when they do not and no container uses it;
   * the addresses of the plumbed sandboxes still running are claimed again.
   */
  async ensurePodNetwork(cidr: string): Promise<PodNetwork> {
    const ranges = podAddressRanges(cidr);
    const network = {
      name: podNetworkName(this.nodeName),
      cidr: formatCidr(ranges.node),
      gateway: ranges.gateway,
      bridge: bridgeName(this.nodeName),
    };
    await this.ensureDockerNetwork(network, formatCidr(ranges.engine));
    const interfaces = new PodInterfaces(ranges, network.bridge, this.run);
    const containers = await this.list();
    for (const c of containers) {
      const ip = c.kind === 'sandbox' && c.state === 'running' ? c.labels[LABEL_POD_IP] : undefined;
      if (ip) interfaces.adopt(c.id, ip);
    }
    await this.sandboxFiles.prune(new Set(containers.map((c) => c.id)));
    await Promise.all(
      containers.filter((c) => interfaces.unplumbed(c.id)).map((c) => this.replumb(interfaces, c.id)),
    );
    this.network = network.name;
    this.interfaces = interfaces;
    return network;
  }

  /**
   * Gives a running sandbox found without its interface (the agent was killed between starting and
   * plumbing it) the interface again, at the address it holds; one that cannot be plumbed is
   * removed, so that its pod gets a new sandbox rather than none.
   */
  private async replumb(interfaces: PodInterfaces, id: string): Promise<void> {
    try {
      const json = await this.rawInspect(id);
      await interfaces.attach(id, json?.State?.Pid ?? 0);
    } catch {
      await this.removeContainer(id).catch(() => undefined);
      interfaces.release(id);
    }
  }

  /** The node's Docker network as `network` says, Docker's addresses from `ipRange`: adopted or made. */
  private async ensureDockerNetwork(network: PodNetwork, ipRange: string): Promise<void> {
    const { name, cidr: subnet, gateway, bridge } = network;
    const existing = await this.call(`inspect network ${name}`, () => this.docker.inspectNetwork(name));
    const config = existing?.IPAM?.Config?.[0];
    if (existing && config?.Subnet === subnet && config.Gateway === gateway && config.IPRange === ipRange)
      return;
    if (existing) {
      const users = Object.keys(existing.Containers ?? {}).length;
      if (users > 0) {
        throw new Error(
          `docker network ${name} has subnet ${config?.Subnet ?? 'none'} (addresses from ${config?.IPRange ?? 'all of it'}) but the node's pod CIDR is ${subnet} (addresses from ${ipRange}), and ${users} container(s) still use it; remove them (or the network) first`,
        );
      }
      await this.call(`remove stale network ${name}`, () => this.docker.removeNetwork(name));
    }
    await this.call(`create network ${name} (${subnet})`, () =>
      this.docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        IPAM: { Driver: 'default', Config: [{ Subnet: subnet, IPRange: ipRange, Gateway: gateway }] },
        Options: {
          'com.docker.network.bridge.name': bridge,
          'com.docker.network.bridge.enable_ip_masquerade': 'false',
          'com.docker.network.bridge.enable_icc': 'true',
        },
        Labels: { [LABEL_NODE]: this.nodeName },
      }),
    );
  }

  // --- sandboxes and containers -----------------------------------------------------------------

  private uniqueName(podName: string, namespace: string, container: string, attempt: number): string {
    return dockerName(
      [this.nodeName, podName, namespace, container, String(attempt)],
      randomBytes(3).toString('hex'),
    );
  }

  async runSandbox(spec: SandboxSpec): Promise<SandboxRecord> {
    return this.startSandbox((await this.createSandbox(spec)).id);
  }

  async createSandbox(spec: SandboxSpec): Promise<SandboxRecord> {
    await this.ensurePauseImage();
    const create = async (address?: string): Promise<SandboxRecord> => {
      const body = sandboxCreateOptions(spec, {
        nodeName: this.nodeName,
        pauseImage: this.pauseImageName,
        ...(this.network ? { network: this.network } : {}),
        ...(address ? { address } : {}),
      });
      const name = this.uniqueName(spec.podName, spec.namespace, 'POD', 0);
      const container = await this.call(`create sandbox for pod ${spec.namespace}/${spec.podName}`, () =>
        this.docker.createContainer({ ...body, name }),
      );
      if (address) {
        await this.sandboxFiles.write(container.id, spec, address).catch(async (err) => {
          await this.removeContainer(container.id).catch(() => undefined);
          throw err;
        });
      }
      // Docker's create answers with the id only; the rest is what was sent (no inspect on this path).
      return createdRecord(container.id, body.Labels ?? {}, this.pauseImageName) as SandboxRecord;
    };
    // Pods that publish hostPorts need Docker's port publishing, so Docker's network; a spec that
    // names its network gets that one.
    const plumbed = !spec.hostNetwork && !spec.network && !spec.ports.some((p) => p.hostPort);
    return this.interfaces && plumbed ? this.interfaces.assign(create) : create();
  }

  async startSandbox(id: string): Promise<SandboxRecord> {
    let json: Docker.ContainerInspectInfo | undefined;
    try {
      await this.call(`start sandbox ${id}`, () => this.docker.getContainer(id).start());
      json = await this.rawInspect(id);
      if (json) await this.interfaces?.attach(id, json.State?.Pid ?? 0);
    } catch (err) {
      // A sandbox that never ran (or has no network) is of no use to anyone; do not leave it for
      // the agent to find.
      await this.removeContainer(id).catch(() => undefined);
      throw err;
    }
    if (!json) throw new Error(`docker: sandbox ${id} vanished right after it started`);
    return recordFromInspect(json) as SandboxRecord;
  }

  async createContainer(sandbox: SandboxRecord, spec: ContainerSpec): Promise<string> {
    const body = containerCreateOptions(sandbox.id, spec, {
      nodeName: this.nodeName,
      podFiles: await this.sandboxFiles.paths(sandbox.id),
    });
    const name = this.uniqueName(spec.podName, spec.namespace, spec.name, spec.attempt);
    const container = await this.call(
      `create container ${spec.name} of pod ${spec.namespace}/${spec.podName}`,
      () => this.docker.createContainer({ ...body, name }),
    );
    return container.id;
  }

  async startContainer(id: string): Promise<void> {
    await this.call(`start container ${id}`, async () => {
      try {
        await this.docker.getContainer(id).start();
      } catch (err) {
        if (statusOf(err) !== 304) throw err; // already running
      }
    });
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    await this.call(`stop container ${id}`, async () => {
      try {
        await this.docker.getContainer(id).stop({ t: Math.max(0, Math.ceil(graceSeconds)) });
      } catch (err) {
        const status = statusOf(err);
        if (status !== 304 && status !== 404) throw err; // not running / already gone
      }
    });
  }

  async removeContainer(id: string): Promise<void> {
    await this.call(`remove container ${id}`, async () => {
      try {
        await this.docker.getContainer(id).remove({ force: true, v: true });
      } catch (err) {
        const status = statusOf(err);
        // 409: removal already under way (e.g. a second remove racing the first).
        if (status !== 404 && status !== 409) throw err;
      }
    });
    this.interfaces?.release(id);
    await this.sandboxFiles.remove(id);
  }

  async list(filter: ListFilter = {}): Promise<ContainerRecord[]> {
    const label = [`${LABEL_NODE}=${this.nodeName}`];
    if (filter.podUid) label.push(`${LABEL_POD_UID}=${filter.podUid}`);
    const filters: Record<string, string[]> = { label };
    if (filter.running) filters.status = ['running'];
    const found = await this.call('list containers', () =>
      this.docker.listContainers({ all: true, filters: JSON.stringify(filters) }),
    );
    // Docker's list has no start/finish times nor the OOM flag; one pod's few objects are worth
    // inspecting, since the pod logic's backoff and status need them. (Gone meanwhile: dropped.)
    const records = filter.podUid
      ? (await Promise.all(found.map((c) => this.inspect(c.Id)))).filter(
          (r): r is ContainerRecord => r !== undefined,
        )
      : found.map(recordFromList);
    // Docker lists newest first already; a stable sort keeps its order within one second.
    return records.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  async inspect(id: string): Promise<ContainerRecord | undefined> {
    const json = await this.rawInspect(id);
    return json ? recordFromInspect(json) : undefined;
  }

  /** The engine's whole answer for one of this node's objects; undefined when gone or not ours. */
  private async rawInspect(id: string): Promise<Docker.ContainerInspectInfo | undefined> {
    const json = await this.call(`inspect container ${id}`, async () => {
      try {
        return await this.docker.getContainer(id).inspect();
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    });
    return json && json.Config?.Labels?.[LABEL_NODE] === this.nodeName ? json : undefined;
  }

  // --- exec, attach, logs -----------------------------------------------------------------------

  async exec(id: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    const exec = await this.call(`exec in ${id}`, () =>
      this.docker.getContainer(id).exec({ Cmd: command, AttachStdout: true, AttachStderr: true }),
    );
    const socket = (await this.call(`start exec in ${id}`, () =>
      exec.start({ hijack: true, stdin: false }),
    )) as Duplex;
    const output = boundedCollector(EXEC_OUTPUT_LIMIT);
    this.docker.modem.demuxStream(socket, output.sink, output.sink);
    const ended = new Promise<boolean>((resolve) => {
      socket.once('end', () => resolve(true));
      socket.once('close', () => resolve(true));
      socket.once('error', () => resolve(true));
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const finished = await Promise.race([ended, timedOut]);
    clearTimeout(timer);
    if (!finished) {
      socket.destroy();
      return { exitCode: -1, output: output.text(), timedOut: true };
    }
    const exitCode = await this.execExitCode(exec);
    return { exitCode, output: output.text(), timedOut: false };
  }

  private async execExitCode(exec: Docker.Exec): Promise<number> {
    for (let i = 0; i < EXEC_EXIT_POLLS; i++) {
      const info = await this.call('inspect exec', () => exec.inspect());
      if (!info.Running && info.ExitCode !== null) return info.ExitCode;
      await new Promise((r) => setTimeout(r, EXEC_EXIT_POLL_MS));
    }
    throw new Error(`docker: exec ${exec.id} closed its output but still runs`);
  }

  async execStream(id: string, options: ExecStreamOptions): Promise<ExecSession> {
    const exec = await this.call(`exec in ${id}`, () =>
      this.docker.getContainer(id).exec({
        Cmd: options.command,
        AttachStdin: options.stdin,
        AttachStdout: options.stdout,
        AttachStderr: options.stderr,
        Tty: options.tty,
      }),
    );
    const socket = (await this.call(`start exec in ${id}`, () =>
      exec.start({ hijack: true, stdin: options.stdin, Tty: options.tty }),
    )) as Duplex;
    return this.session(socket, options, {
      resize: (cols, rows) =>
        this.call('resize exec', () => exec.resize({ w: cols, h: rows })).then(() => {}),
      exitCode: () => this.execExitCode(exec),
    });
  }

  async attach(id: string, options: Omit<ExecStreamOptions, 'command'>): Promise<ExecSession> {
    const container = this.docker.getContainer(id);
    const socket = (await this.call(`attach to ${id}`, () =>
      container.attach({
        stream: true,
        stdin: options.stdin,
        stdout: options.stdout,
        stderr: options.stderr,
        hijack: true,
      }),
    )) as unknown as Duplex;
    return this.session(socket, options, {
      resize: (cols, rows) => this.call('resize container', () => container.resize({ w: cols, h: rows })),
      exitCode: async () => {
        const result = await this.call(`wait for ${id}`, () => container.wait());
        return result.StatusCode as number;
      },
    });
  }

  /** An ExecSession over a hijacked connection: demultiplexed unless it is a tty. */
  private session(
    socket: Duplex,
    options: Omit<ExecStreamOptions, 'command'>,
    ops: { resize(cols: number, rows: number): Promise<unknown>; exitCode(): Promise<number> },
  ): ExecSession {
    const stdout = new PassThrough();
    const stderr = options.tty ? undefined : new PassThrough();
    const outputDone = new Promise<void>((resolve) => {
      const done = () => {
        stdout.end();
        stderr?.end();
        resolve();
      };
      socket.once('end', done);
      socket.once('close', done);
      socket.once('error', (err) => {
        stdout.destroy(err);
        stderr?.destroy(err);
        resolve();
      });
    });
    if (options.tty) socket.pipe(stdout, { end: false });
    else this.docker.modem.demuxStream(socket, stdout, stderr!);
    const session: ExecSession = {
      stdout,
      resize: async (cols, rows) => {
        await ops.resize(cols, rows);
      },
      wait: async () => {
        await outputDone;
        return ops.exitCode();
      },
    };
    if (stderr) session.stderr = stderr;
    if (options.stdin) {
      session.stdin = new Writable({
        write: (chunk, _enc, cb) => {
          socket.write(chunk, cb);
        },
        // Half-closing the connection is how Docker learns that stdin reached its end.
        final: (cb) => {
          socket.end();
          cb();
        },
      });
    }
    return session;
  }

  async logs(id: string, options: LogOptions): Promise<Readable> {
    const container = this.docker.getContainer(id);
    const info = await this.call(`inspect container ${id}`, () => container.inspect());
    const query: Record<string, unknown> = {
      stdout: true,
      stderr: true,
      follow: options.follow ?? false,
      timestamps: options.timestamps ?? false,
    };
    if (options.tail !== undefined) query.tail = options.tail;
    if (options.since) query.since = unixSeconds(options.since);
    const answer: unknown = await this.call(
      `logs of ${id}`,
      () => container.logs(query as never) as unknown as Promise<unknown>,
    );
    const source = Buffer.isBuffer(answer) ? Readable.from([answer]) : (answer as unknown as Readable);
    const out = new PassThrough();
    const finish = () => {
      options.signal?.removeEventListener('abort', onAbort);
      if (!out.writableEnded) out.end();
    };
    const onAbort = () => {
      source.destroy();
      finish();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    source.once('end', finish);
    source.once('close', finish);
    source.once('error', finish);
    if (info.Config.Tty) source.pipe(out, { end: false });
    else this.docker.modem.demuxStream(source, out, out);
    return out;
  }

  async portForward(sandbox: SandboxRecord, port: number): Promise<Duplex> {
    let host = sandbox.ip;
    if (!host) {
      const json = await this.call(`inspect sandbox ${sandbox.id}`, () =>
        this.docker.getContainer(sandbox.id).inspect(),
      );
      if (json.HostConfig.NetworkMode !== 'host') {
        throw new Error(`docker: sandbox ${sandbox.id} has no IP address to forward port ${port} to`);
      }
      host = '127.0.0.1';
    }
    const target = host;
    return new Promise((resolve, reject) => {
      const conn = net.connect({ host: target, port });
      conn.once('connect', () => {
        conn.removeListener('error', reject);
        resolve(conn);
      });
      conn.once('error', reject);
    });
  }

  // --- events -----------------------------------------------------------------------------------

  async *events(signal: AbortSignal): AsyncIterable<RuntimeEvent> {
    if (signal.aborted) return;
    const filters = {
      type: ['container'],
      label: [`${LABEL_NODE}=${this.nodeName}`],
      event: ['start', 'die', 'oom', 'destroy'],
    };
    const stream = (await this.call('events', () =>
      this.docker.events({ filters: JSON.stringify(filters) }),
    )) as Readable;
    const onAbort = () => stream.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort(); // aborted while the request was on its way
    let pending = '';
    try {
      for await (const chunk of stream) {
        pending += chunk.toString();
        let newline = pending.indexOf('\n');
        while (newline >= 0) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          newline = pending.indexOf('\n');
          if (!line) continue;
          const event = eventFromEngine(JSON.parse(line));
          if (event) yield event;
        }
      }
    } catch (err) {
      if (!signal.aborted) throw this.mapError('events', err);
    } finally {
      signal.removeEventListener('abort', onAbort);
      stream.destroy();
    }
  }

  async close(): Promise<void> {}
}

/** Reads a pull/import progress stream to its end; its `error` lines are the engine's failures. */
async function readProgress(stream: NodeJS.ReadableStream): Promise<void> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const message = JSON.parse(line) as { error?: string; errorDetail?: { message?: string } };
    if (message.error) throw new Error(message.errorDetail?.message ?? message.error);
  }
}

/** `seconds.nanoseconds`, the form Docker takes for `since`. */
function unixSeconds(date: Date): string {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return `${seconds}.${String((ms - seconds * 1000) * 1_000_000).padStart(9, '0')}`;
}

/** A writable that keeps the first `limit` bytes written to it. */
function boundedCollector(limit: number): { sink: Writable; text(): string } {
  const chunks: Buffer[] = [];
  let size = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (size < limit) {
        const part = chunk.subarray(0, limit - size);
        chunks.push(part);
        size += part.length;
      }
      cb();
    },
  });
  return { sink, text: () => Buffer.concat(chunks).toString('utf8') };
}
