/**
 * The container runtime as the agent sees it: one interface, several drivers (`docker`,
 * `simulated`). Shaped after Kubernetes' CRI: a pod is a *sandbox* (which owns the network
 * namespace) plus containers that join it. The agent turns a Pod into the runtime-neutral specs
 * below (env already resolved, volumes already materialized on the host); a driver only translates
 * them to its engine. Nothing in here names Docker.
 *
 * Every container and sandbox a driver creates carries the `LABEL_*` labels (`objectLabels`), so an agent
 * that restarts finds (adopts) what it made before by listing, never by remembering.
 */
import type { Duplex, Readable, Writable } from 'node:stream';

/** Labels every runtime object carries; values are strings, as engine labels are. */
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
/** `sandbox` | `container` | `init`. */
export const LABEL_KIND = 'shoal.dev/kind';
/** The node (agent name) that owns the object; an agent only ever touches its own. */
export const LABEL_NODE = 'shoal.dev/node';
/** Restart count of this container instance (0 for the first). */
export const LABEL_ATTEMPT = 'shoal.dev/attempt';
/** JSON of the spec fields the agent compares to decide a container must be replaced. */
export const LABEL_SPEC_HASH = 'shoal.dev/spec-hash';
/** On a sandbox whose interface the agent plumbed itself: the pod's address. */
export const LABEL_POD_IP = 'shoal.dev/pod-ip';

export type RuntimeObjectKind = 'sandbox' | 'container' | 'init';

/**
 * The `LABEL_*` labels of one runtime object, the same in every driver so that listing finds what
 * any of them made. `container` (name and attempt) is absent for a Docker sandbox.
 */
export function objectLabels(
  pod: { podUid: string; podName: string; namespace: string },
  nodeName: string,
  kind: RuntimeObjectKind,
  container?: { name: string; attempt: number },
): Record<string, string> {
  return {
    [LABEL_POD_UID]: pod.podUid,
    [LABEL_POD_NAME]: pod.podName,
    [LABEL_POD_NAMESPACE]: pod.namespace,
    ...(container ? { [LABEL_CONTAINER_NAME]: container.name } : {}),
    [LABEL_KIND]: kind,
    [LABEL_NODE]: nodeName,
    ...(container ? { [LABEL_ATTEMPT]: String(container.attempt) } : {}),
  };
}

export interface RuntimeInfo {
  /** As Kubernetes shows it in nodeInfo.containerRuntimeVersion, e.g. `docker://20.10.24`. */
  runtimeVersion: string;
  kernelVersion: string;
  osImage: string;
  operatingSystem: string;
  architecture: string;
  /** Logical CPUs and bytes of memory the runtime can use. */
  cpus: number;
  memoryBytes: number;
  /**
   * A directory on the filesystem that holds the runtime's images (Docker's data root), whose
   * usage drives image garbage collection; absent when the runtime keeps no images on disk.
   */
  imageStorePath?: string;
}

export interface PortMapping {
  containerPort: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  /** 0 or absent: not published on the host. */
  hostPort?: number;
  hostIP?: string;
}

export interface SandboxSpec {
  podUid: string;
  podName: string;
  namespace: string;
  /** Labels to set in addition to the standard ones. */
  labels: Record<string, string>;
  hostname: string;
  hostNetwork: boolean;
  /** hostPort publications of all containers of the pod (the sandbox owns the netns). */
  ports: PortMapping[];
  /** Extra /etc/hosts lines (`IP name...`). */
  extraHosts?: string[];
  dns?: { nameservers: string[]; searches: string[]; options: string[] };
  /** Network to attach to (driver default when absent). */
  network?: string;
}

export interface Mount {
  /** Absolute path on the host (a directory or file the agent prepared). */
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
  /** `rprivate` (default) | `rslave` | `rshared`. */
  propagation?: 'private' | 'rslave' | 'rshared';
}

export interface ResourceLimits {
  /** CPU request in millicores → relative weight (shares). */
  cpuRequestMilli?: number;
  /** CPU limit in millicores → CFS quota. */
  cpuLimitMilli?: number;
  /** Memory limit in bytes. */
  memoryLimitBytes?: number;
  /** Memory request in bytes (soft limit / reservation where the engine has one). */
  memoryRequestBytes?: number;
}

export interface SecuritySettings {
  runAsUser?: number;
  runAsGroup?: number;
  supplementalGroups?: number[];
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  allowPrivilegeEscalation?: boolean;
}

export interface ContainerSpec {
  podUid: string;
  podName: string;
  namespace: string;
  /** The container's name in the pod spec. */
  name: string;
  kind: Exclude<RuntimeObjectKind, 'sandbox'>;
  /** Restart count this instance stands for. */
  attempt: number;
  image: string;
  /** Overrides the image's ENTRYPOINT / CMD when set (Kubernetes `command` / `args`). */
  command?: string[];
  args?: string[];
  workingDir?: string;
  /** Final environment, in order (later entries win, as in Kubernetes). */
  env: Array<{ name: string; value: string }>;
  mounts: Mount[];
  resources: ResourceLimits;
  security: SecuritySettings;
  tty: boolean;
  stdin: boolean;
  stdinOnce: boolean;
  /** Labels to set in addition to the standard ones (spec hash among them). */
  labels: Record<string, string>;
  /** Where the container writes its termination message (`terminationMessagePath`). */
  terminationMessagePath?: string;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

/** What the agent needs to know of one runtime object, as listing or inspecting reports it. */
export interface ContainerRecord {
  id: string;
  kind: RuntimeObjectKind;
  podUid: string;
  podName: string;
  namespace: string;
  /** Container name in the pod spec (empty for a sandbox). */
  name: string;
  attempt: number;
  image: string;
  /** Image id (`sha256:...`), as containerStatuses[].imageID. */
  imageId: string;
  labels: Record<string, string>;
  state: ContainerState;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  exitCode?: number;
  /** The kernel's OOM killer ended it. */
  oomKilled?: boolean;
  /** The runtime's own explanation when it could not start it (e.g. the binary is missing). */
  error?: string;
}

export interface SandboxRecord extends ContainerRecord {
  kind: 'sandbox';
  /** The pod's IP address on its network; undefined until it has one (or with hostNetwork). */
  ip?: string;
}

export interface ListFilter {
  podUid?: string;
  /** Only running ones. */
  running?: boolean;
}

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/**
 * Thrown by `ensureImage`; `reason` is what Kubernetes puts in containerStatuses' waiting reason.
 */
export class ImageError extends Error {
  override name = 'ImageError';
  constructor(
    readonly reason: 'ErrImageNeverPull' | 'ErrImagePull' | 'InvalidImageName',
    message: string,
  ) {
    super(message);
  }
}

/** Thrown when the runtime itself does not answer (engine down, socket gone). */
export class RuntimeUnavailableError extends Error {
  override name = 'RuntimeUnavailableError';
}

export interface PullCredentials {
  /** Registry host (e.g. `registry.example.com:5000`). */
  server: string;
  username?: string;
  password?: string;
  auth?: string;
}

export interface ExecResult {
  exitCode: number;
  /** stdout and stderr together, cut to a few KiB. */
  output: string;
  /** The command did not finish within the timeout (it is left to the runtime to reap). */
  timedOut: boolean;
}

export interface LogOptions {
  follow?: boolean;
  /** Last N lines only. */
  tail?: number;
  /** Only entries at or after this time. */
  since?: Date;
  timestamps?: boolean;
  /** Stop following when this signal aborts. */
  signal?: AbortSignal;
}

export interface ExecStreamOptions {
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** A running interactive exec: write to `stdin`, read `stdout`/`stderr`, `wait` for the exit. */
export interface ExecSession {
  stdin?: Writable;
  stdout: Readable;
  /** Absent with a tty (the terminal merges both into stdout). */
  stderr?: Readable;
  resize(cols: number, rows: number): Promise<void>;
  /** Resolves with the exit code once the process ended and its output was read. */
  wait(): Promise<number>;
}

export type RuntimeEventType = 'start' | 'die' | 'oom' | 'destroy';

export interface RuntimeEvent {
  type: RuntimeEventType;
  id: string;
  podUid?: string;
}

export interface ImageRecord {
  id: string;
  tags: string[];
  sizeBytes: number;
  /** The runtime needs it (the sandbox image): never garbage-collected, as CRI's `pinned`. */
  pinned?: boolean;
}

/** The node's pod network as the runtime set it up. */
export interface PodNetwork {
  /** The runtime's name for it (sandboxes join it). */
  name: string;
  /** Its address range: the Node's spec.podCIDR. */
  cidr: string;
  /** The node's own address on it: pods' default route, and where the agent serves cluster DNS. */
  gateway: string;
  /** The host interface of the bridge. */
  bridge: string;
}

/**
 * One container engine. Methods throw `RuntimeUnavailableError` when the engine does not answer,
 * and plain errors (with the engine's message) for anything else.
 */
export interface RuntimeDriver {
  readonly name: string;
  /** No real processes: probes are not run and count as successful (the `simulated` driver). */
  readonly simulated?: boolean;
  info(): Promise<RuntimeInfo>;

  /** Makes sure the image is present, pulling it as the policy says (and saying whether it did); throws ImageError. */
  ensureImage(
    image: string,
    policy: PullPolicy,
    credentials?: PullCredentials[],
  ): Promise<'present' | 'pulled'>;
  listImages(): Promise<ImageRecord[]>;
  /**
   * Removes the image with all its tags; refuses (throws) while a container uses it. No-op if
   * already gone.
   */
  removeImage(id: string): Promise<void>;

  /**
   * Sets up the node's pod network for `cidr` (the Node's spec.podCIDR), or adopts the one made
   * before; sandboxes created afterwards join it and get their IP from it. Absent in a driver
   * without real networking (sandboxes then stay on the runtime's default network).
   */
  ensurePodNetwork?(cidr: string): Promise<PodNetwork>;

  /** Creates and starts the sandbox; resolves when it runs and has its IP. */
  runSandbox(spec: SandboxSpec): Promise<SandboxRecord>;
  /**
   * `runSandbox` in two halves, so that containers can be created to join the sandbox while it
   * starts (they can only be *started* once it runs). Resolves with what the driver knows of the
   * new sandbox: state `created`, no IP, times and image id possibly not yet known.
   */
  createSandbox(spec: SandboxSpec): Promise<SandboxRecord>;
  /**
   * Starts a sandbox made by `createSandbox`; resolves when it runs and has its IP. A sandbox that
   * fails to start is removed (and the error thrown).
   */
  startSandbox(id: string): Promise<SandboxRecord>;
  /** Creates a container in the sandbox's namespaces (network, IPC; PID when shared). */
  createContainer(sandbox: SandboxRecord, spec: ContainerSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM (or the image's stop signal), then SIGKILL after `graceSeconds`. No-op if not running. */
  stopContainer(id: string, graceSeconds: number): Promise<void>;
  /** Removes a stopped container (forcing if still running). No-op if already gone. */
  removeContainer(id: string): Promise<void>;
  /**
   * Every sandbox and container this node's agent made, newest first. With `podUid` the records
   * are complete (start/finish times, exit code, OOM); without it a driver may leave those out.
   */
  list(filter?: ListFilter): Promise<ContainerRecord[]>;
  inspect(id: string): Promise<ContainerRecord | undefined>;

  /** Runs a command to completion inside a running container (exec probes, hooks). */
  exec(id: string, command: string[], timeoutMs: number): Promise<ExecResult>;
  /** An interactive exec for `kubectl exec`. */
  execStream(id: string, options: ExecStreamOptions): Promise<ExecSession>;
  /** Attach to the container's main process (`kubectl attach`). */
  attach?(id: string, options: Omit<ExecStreamOptions, 'command'>): Promise<ExecSession>;
  /** The container's output as plain bytes (stdout and stderr interleaved), optionally followed. */
  logs(id: string, options: LogOptions): Promise<Readable>;
  /** A TCP connection to `port` inside the sandbox's network namespace (`kubectl port-forward`). */
  portForward?(sandbox: SandboxRecord, port: number): Promise<Duplex>;

  /** Engine events for this node's objects, so the agent reacts at once to exits and OOMs. */
  events(signal: AbortSignal): AsyncIterable<RuntimeEvent>;

  close(): Promise<void>;
}
