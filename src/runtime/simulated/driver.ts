/**
 * A runtime with no containers, for scale work (as Kubernetes' KWOK and kubemark): sandboxes get
 * made-up IPs, containers go running after `startDelayMs`, run until stopped, exec succeeds and logs
 * are empty. Everything lives in memory, so an agent restarted in the same process (tests) adopts
 * what it left, and thousands of hollow nodes fit in one process.
 */
import { EventEmitter, on } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { type Clock, systemClock } from '../../util/clock.js';
import {
  type ContainerRecord,
  type ContainerSpec,
  type ExecResult,
  type ExecSession,
  ImageError,
  type ImageRecord,
  type ListFilter,
  objectLabels,
  type PullPolicy,
  type RuntimeDriver,
  type RuntimeEvent,
  type RuntimeInfo,
  type SandboxRecord,
  type SandboxSpec,
} from '../driver.js';

export interface SimulatedOptions {
  nodeName: string;
  /** How long a container takes to go from started to running (default 0). */
  startDelayMs?: number;
  /** Reported capacity. */
  cpus?: number;
  memoryBytes?: number;
  /** Images that exist (anything else "pulls" instantly unless the policy is Never). */
  images?: string[];
  clock?: Clock;
}

let nextId = 1;
let nextIp = 1;

export class SimulatedDriver implements RuntimeDriver {
  readonly name = 'simulated';
  readonly simulated = true;
  private readonly objects = new Map<string, ContainerRecord>();
  /** The sandbox each container was created in. */
  private readonly sandboxOf = new Map<string, string>();
  /** Whether each sandbox uses the host's network (no IP of its own). */
  private readonly hostNetwork = new Map<string, boolean>();
  private readonly images = new Set<string>();
  private readonly bus = new EventEmitter();
  private readonly clock: Clock;

  constructor(private readonly options: SimulatedOptions) {
    this.clock = options.clock ?? systemClock;
    for (const i of options.images ?? []) this.images.add(i);
    this.bus.setMaxListeners(0);
  }

  async info(): Promise<RuntimeInfo> {
    return {
      runtimeVersion: 'simulated://1.0',
      kernelVersion: 'simulated',
      osImage: 'Shoal simulated node',
      operatingSystem: 'linux',
      architecture: 'amd64',
      cpus: this.options.cpus ?? 32,
      memoryBytes: this.options.memoryBytes ?? 256 * 2 ** 30,
    };
  }

  async ensureImage(image: string, policy: PullPolicy): Promise<'present' | 'pulled'> {
    if (this.images.has(image)) return 'present';
    if (policy === 'Never') {
      throw new ImageError(
        'ErrImageNeverPull',
        `Container image "${image}" is not present with pull policy of Never`,
      );
    }
    this.images.add(image);
    return 'pulled';
  }

  async listImages(): Promise<ImageRecord[]> {
    return [...this.images].map((tag) => ({ id: `sha256:${tag}`, tags: [tag], sizeBytes: 0 }));
  }

  async removeImage(id: string): Promise<void> {
    this.images.delete(id.replace(/^sha256:/, ''));
  }

  async runSandbox(spec: SandboxSpec): Promise<SandboxRecord> {
    return this.startSandbox((await this.createSandbox(spec)).id);
  }

  async createSandbox(spec: SandboxSpec): Promise<SandboxRecord> {
    const record: SandboxRecord = { ...this.base(spec, 'sandbox', '', 0, 'shoal/pause:1'), kind: 'sandbox' };
    this.objects.set(record.id, record);
    this.hostNetwork.set(record.id, spec.hostNetwork);
    return { ...record };
  }

  async startSandbox(id: string): Promise<SandboxRecord> {
    const record = this.require(id) as SandboxRecord;
    const n = nextIp++;
    record.state = 'running';
    record.startedAt = new Date(this.clock.now());
    if (!this.hostNetwork.get(id)) record.ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
    this.emit('start', record);
    return { ...record };
  }

  async createContainer(sandbox: SandboxRecord, spec: ContainerSpec): Promise<string> {
    const record = this.base(spec, spec.kind, spec.name, spec.attempt, spec.image);
    record.labels = { ...record.labels, ...spec.labels };
    this.objects.set(record.id, record);
    this.sandboxOf.set(record.id, sandbox.id);
    return record.id;
  }

  async startContainer(id: string): Promise<void> {
    const r = this.require(id);
    // As Docker: a container joins its sandbox's namespaces when it starts, so the sandbox must run.
    const sandbox = this.objects.get(this.sandboxOf.get(id) ?? '');
    if (sandbox?.state !== 'running') {
      throw new Error(`cannot start container ${id}: its sandbox is not running`);
    }
    const delay = this.options.startDelayMs ?? 0;
    if (delay > 0) await this.clock.sleep(delay);
    r.state = 'running';
    r.startedAt = new Date(this.clock.now());
    // Init containers have nothing to do: they succeed at once.
    if (r.kind === 'init') this.finish(r, 0);
    else this.emit('start', r);
  }

  async stopContainer(id: string): Promise<void> {
    const r = this.objects.get(id);
    if (r?.state === 'running') this.finish(r, 137);
  }

  async removeContainer(id: string): Promise<void> {
    const r = this.objects.get(id);
    if (!r) return;
    this.objects.delete(id);
    this.sandboxOf.delete(id);
    this.hostNetwork.delete(id);
    this.emit('destroy', r);
  }

  async list(filter: ListFilter = {}): Promise<ContainerRecord[]> {
    const out: ContainerRecord[] = [];
    for (const r of this.objects.values()) {
      if (filter.podUid && r.podUid !== filter.podUid) continue;
      if (filter.running && r.state !== 'running') continue;
      out.push({ ...r });
    }
    return out.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  async inspect(id: string): Promise<ContainerRecord | undefined> {
    const r = this.objects.get(id);
    return r ? { ...r } : undefined;
  }

  async exec(): Promise<ExecResult> {
    return { exitCode: 0, output: '', timedOut: false };
  }

  async execStream(): Promise<ExecSession> {
    const stdout = Readable.from([]);
    return { stdin: new PassThrough(), stdout, resize: async () => {}, wait: async () => 0 };
  }

  async logs(): Promise<Readable> {
    return Readable.from([]);
  }

  async *events(signal: AbortSignal): AsyncIterable<RuntimeEvent> {
    try {
      for await (const [event] of on(this.bus, 'event', { signal })) yield event as RuntimeEvent;
    } catch (err) {
      if (!signal.aborted) throw err;
    }
  }

  async close(): Promise<void> {
    this.bus.removeAllListeners();
  }

  private finish(r: ContainerRecord, exitCode: number): void {
    r.state = 'exited';
    r.exitCode = exitCode;
    r.finishedAt = new Date(this.clock.now());
    this.emit('die', r);
  }

  private emit(type: RuntimeEvent['type'], r: ContainerRecord): void {
    this.bus.emit('event', { type, id: r.id, podUid: r.podUid } satisfies RuntimeEvent);
  }

  private require(id: string): ContainerRecord {
    const r = this.objects.get(id);
    if (!r) throw new Error(`no such container: ${id}`);
    return r;
  }

  private base(
    spec: { podUid: string; podName: string; namespace: string },
    kind: ContainerRecord['kind'],
    name: string,
    attempt: number,
    image: string,
  ): ContainerRecord {
    const id = `sim${(nextId++).toString(16).padStart(12, '0')}`;
    return {
      id,
      kind,
      podUid: spec.podUid,
      podName: spec.podName,
      namespace: spec.namespace,
      name,
      attempt,
      image,
      imageId: `sha256:${image}`,
      labels: objectLabels(spec, this.options.nodeName, kind, { name, attempt }),
      state: 'created',
      createdAt: new Date(this.clock.now()),
    };
  }
}
