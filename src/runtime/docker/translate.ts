/**
 * The pure half of the Docker driver: runtime-neutral specs → Engine API create bodies, and Engine
 * API answers → records. No I/O here, so every rule is checked by a table of cases
 * (translate.test.ts); driver.ts only sends what these functions build.
 */
import type { ContainerCreateOptions, ContainerInfo, ContainerInspectInfo } from 'dockerode';
import {
  type ContainerRecord,
  type ContainerSpec,
  type ContainerState,
  LABEL_ATTEMPT,
  LABEL_CONTAINER_NAME,
  LABEL_KIND,
  LABEL_POD_IP,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  type Mount,
  objectLabels,
  type PullCredentials,
  type RuntimeEvent,
  type RuntimeInfo,
  type RuntimeObjectKind,
  type SandboxRecord,
  type SandboxSpec,
} from '../driver.js';
import { normalizeImage } from './image-ref.js';

/** json-file logs, rotated so a chatty container cannot fill the node's disk. */
const LOG_CONFIG = { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } };
/** CFS period Kubernetes uses; the quota is expressed against it. */
const CPU_PERIOD_US = 100_000;
/** Kubernetes' floor for cpu shares (a 0 request still gets a little CPU) and for the quota. */
const MIN_CPU_SHARES = 2;
const MIN_CPU_QUOTA_US = 1000;

export interface SandboxOptions {
  nodeName: string;
  pauseImage: string;
  /** Network to attach to when the spec names none; Docker's default bridge when absent. */
  network?: string;
  /**
   * The pod's address when the agent plumbs the sandbox's interface itself (src/network/pod-interfaces/):
   * the sandbox then starts with Docker's networking disabled (a bare network namespace), and the
   * address goes in a label; the pod's /etc/hosts and /etc/resolv.conf are the driver's own files
   * (sandbox-files.ts).
   */
  address?: string;
}

export interface ContainerOptions {
  nodeName: string;
  /**
   * The pod's own /etc/hosts and /etc/resolv.conf on the host, for sandboxes Docker does not
   * network (see SandboxOptions.address); each is mounted unless the container mounts that path
   * itself.
   */
  podFiles?: { hosts?: string; resolvConf?: string };
}

/** Engine API create body for a pod sandbox (the pause container that owns the pod's netns). */
export function sandboxCreateOptions(spec: SandboxSpec, opts: SandboxOptions): ContainerCreateOptions {
  const labels: Record<string, string> = { ...spec.labels, ...objectLabels(spec, opts.nodeName, 'sandbox') };
  // The pod's own address (the agent plumbs its interface); a host-network pod has none.
  const address = spec.hostNetwork ? undefined : opts.address;
  if (address) labels[LABEL_POD_IP] = address;
  const hostConfig: NonNullable<ContainerCreateOptions['HostConfig']> = {
    NetworkMode: spec.hostNetwork ? 'host' : address ? 'none' : (spec.network ?? opts.network ?? 'bridge'),
    // Containers join the sandbox's IPC namespace, which Docker only allows when it is shareable.
    IpcMode: 'shareable',
    RestartPolicy: { Name: 'no' },
    LogConfig: LOG_CONFIG,
    // The pause process (Shoal's own, it only waits for signals) needs no syscall filter, and
    // compiling Docker's default one is a tenth of a sandbox's start. The pod's containers keep
    // theirs: seccomp applies per process.
    SecurityOpt: ['seccomp=unconfined'],
  };
  const body: ContainerCreateOptions = { Image: opts.pauseImage, Labels: labels, HostConfig: hostConfig };
  if (address) {
    if (spec.ports.some((p) => p.hostPort)) {
      throw new Error(
        'a sandbox with an address of its own cannot publish hostPorts (those need a Docker network)',
      );
    }
    // Runc still gives the sandbox a network namespace of its own, but dockerd sets none of it up:
    // `none` alone would still run its network hook (two re-executions of dockerd) and build a
    // network sandbox per pod, most of a sandbox's start. The interface is the driver's to plumb,
    // and /etc/hosts and /etc/resolv.conf its own files, so only the hostname is left to Docker.
    body.NetworkDisabled = true;
    body.Hostname = spec.hostname;
    return body;
  }
  if (spec.hostNetwork) {
    // A host-network pod sees the node's hostname, as in Kubernetes.
    hostConfig.UTSMode = 'host';
  } else {
    body.Hostname = spec.hostname;
    const published = spec.ports.filter((p) => p.hostPort);
    if (published.length > 0) {
      body.ExposedPorts = {};
      hostConfig.PortBindings = {};
      for (const p of published) {
        const key = `${p.containerPort}/${p.protocol.toLowerCase()}`;
        body.ExposedPorts[key] = {};
        const binding = { HostIp: p.hostIP ?? '', HostPort: String(p.hostPort) };
        hostConfig.PortBindings[key] = [...(hostConfig.PortBindings[key] ?? []), binding];
      }
    }
  }
  if (spec.dns) {
    hostConfig.Dns = spec.dns.nameservers;
    hostConfig.DnsSearch = spec.dns.searches;
    hostConfig.DnsOptions = spec.dns.options;
  }
  const hosts = hostsEntries(spec.extraHosts ?? []).flatMap(({ ip, names }) =>
    names.map((name) => `${name}:${ip}`),
  );
  if (hosts.length > 0) hostConfig.ExtraHosts = hosts;
  return body;
}

/** `/etc/hosts` lines (`IP name1 name2`), checked: each needs an address and a name. */
export function hostsEntries(lines: string[]): Array<{ ip: string; names: string[] }> {
  return lines.map((line, i) => {
    const [ip, ...names] = line.trim().split(/\s+/);
    if (!ip || names.length === 0) {
      throw new Error(`extraHosts[${i}] "${line}" must be "IP name [name...]"`);
    }
    return { ip, names };
  });
}

/** Engine API create body for a container that joins the sandbox `sandboxId`. */
export function containerCreateOptions(
  sandboxId: string,
  spec: ContainerSpec,
  opts: ContainerOptions,
): ContainerCreateOptions {
  const labels = { ...spec.labels, ...objectLabels(spec, opts.nodeName, spec.kind, spec) };
  const { resources: r, security: s } = spec;
  const hostConfig: NonNullable<ContainerCreateOptions['HostConfig']> = {
    NetworkMode: `container:${sandboxId}`,
    IpcMode: `container:${sandboxId}`,
    RestartPolicy: { Name: 'no' },
    LogConfig: LOG_CONFIG,
    Mounts: [...spec.mounts, ...podFileMounts(spec.mounts, opts.podFiles)].map((m) => ({
      Type: 'bind' as const,
      Source: m.hostPath,
      Target: m.containerPath,
      ReadOnly: m.readOnly,
      BindOptions: {
        Propagation: m.propagation === 'private' || !m.propagation ? 'rprivate' : m.propagation,
      },
    })),
  };
  if (r.cpuRequestMilli !== undefined) {
    hostConfig.CpuShares = Math.max(MIN_CPU_SHARES, Math.floor((r.cpuRequestMilli * 1024) / 1000));
  }
  if (r.cpuLimitMilli !== undefined) {
    hostConfig.CpuPeriod = CPU_PERIOD_US;
    hostConfig.CpuQuota = Math.max(MIN_CPU_QUOTA_US, Math.floor((r.cpuLimitMilli * CPU_PERIOD_US) / 1000));
  }
  if (r.memoryLimitBytes !== undefined) {
    hostConfig.Memory = r.memoryLimitBytes;
    hostConfig.MemorySwap = r.memoryLimitBytes; // equal to Memory: no swap, as Kubernetes runs
  }
  if (r.memoryRequestBytes !== undefined) hostConfig.MemoryReservation = r.memoryRequestBytes;
  if (s.supplementalGroups && s.supplementalGroups.length > 0) {
    hostConfig.GroupAdd = s.supplementalGroups.map(String);
  }
  if (s.readOnlyRootFilesystem) hostConfig.ReadonlyRootfs = true;
  if (s.privileged) hostConfig.Privileged = true;
  if (s.capAdd && s.capAdd.length > 0) hostConfig.CapAdd = s.capAdd.map(capability);
  if (s.capDrop && s.capDrop.length > 0) hostConfig.CapDrop = s.capDrop.map(capability);
  if (s.allowPrivilegeEscalation === false) hostConfig.SecurityOpt = ['no-new-privileges'];

  const body: ContainerCreateOptions = {
    Image: normalizeImage(spec.image),
    Labels: labels,
    Env: spec.env.map((e) => `${e.name}=${e.value}`),
    Tty: spec.tty,
    OpenStdin: spec.stdin,
    StdinOnce: spec.stdinOnce,
    AttachStdin: spec.stdin,
    HostConfig: hostConfig,
  };
  // Kubernetes: `command` replaces the image's ENTRYPOINT *and* drops its CMD (Docker uses the
  // image's CMD only when no Entrypoint is given); `args` alone keeps ENTRYPOINT and replaces CMD.
  if (spec.command && spec.command.length > 0) {
    body.Entrypoint = spec.command;
    body.Cmd = spec.args ?? [];
  } else if (spec.args && spec.args.length > 0) {
    body.Cmd = spec.args;
  }
  if (spec.workingDir) body.WorkingDir = spec.workingDir;
  const user = userString(spec.security);
  if (user) body.User = user;
  return body;
}

/** The pod's hosts and resolv.conf files as mounts, but not over a path the container mounts itself. */
function podFileMounts(mounts: Mount[], files: ContainerOptions['podFiles']): Mount[] {
  const taken = new Set(mounts.map((m) => m.containerPath.replace(/\/+$/, '')));
  const wanted: Array<[string | undefined, string]> = [
    [files?.hosts, '/etc/hosts'],
    [files?.resolvConf, '/etc/resolv.conf'],
  ];
  return wanted.flatMap(([hostPath, containerPath]) =>
    hostPath && !taken.has(containerPath) ? [{ hostPath, containerPath, readOnly: false }] : [],
  );
}

/**
 * `uid[:gid]`. A group without a user cannot be said to Docker (its User names the user first),
 * so runAsGroup alone leaves the image's user and group in place.
 */
function userString(s: ContainerSpec['security']): string | undefined {
  if (s.runAsUser === undefined) return undefined;
  return s.runAsGroup === undefined ? String(s.runAsUser) : `${s.runAsUser}:${s.runAsGroup}`;
}

/** Kubernetes writes `NET_ADMIN`, some write `CAP_NET_ADMIN`; Docker gets one spelling. */
function capability(name: string): string {
  const upper = name.toUpperCase();
  if (!/^[A-Z_0-9]+$/.test(upper)) throw new Error(`capability "${name}" is not a capability name`);
  return upper.startsWith('CAP_') ? upper.slice(4) : upper;
}

/** Docker's "never happened" timestamp. */
function dockerTime(value: string | undefined): Date | undefined {
  if (!value || value.startsWith('0001-01-01')) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function stateOf(status: string | undefined): ContainerState {
  switch (status) {
    case 'created':
      return 'created';
    case 'running':
    case 'paused':
    case 'restarting':
      return 'running';
    case 'exited':
    case 'dead':
    case 'removing':
      return 'exited';
    default:
      return 'unknown';
  }
}

function kindOf(labels: Record<string, string>): RuntimeObjectKind {
  const kind = labels[LABEL_KIND];
  return kind === 'sandbox' || kind === 'init' ? kind : 'container';
}

/** The fields every record takes from the labels. */
function fromLabels(labels: Record<string, string>) {
  const attempt = Number(labels[LABEL_ATTEMPT] ?? 0);
  return {
    kind: kindOf(labels),
    podUid: labels[LABEL_POD_UID] ?? '',
    podName: labels[LABEL_POD_NAME] ?? '',
    namespace: labels[LABEL_POD_NAMESPACE] ?? '',
    name: labels[LABEL_CONTAINER_NAME] ?? '',
    attempt: Number.isInteger(attempt) ? attempt : 0,
    labels,
  };
}

type Networks = Record<string, { IPAddress?: string }> | undefined;

function ipOf(primary: string | undefined, networks: Networks): string | undefined {
  if (primary) return primary;
  for (const net of Object.values(networks ?? {})) if (net.IPAddress) return net.IPAddress;
  return undefined;
}

/** A sandbox the agent plumbed has its address while it runs (its namespace goes when it stops). */
function plumbedIp(labels: Record<string, string>, state: ContainerState): string | undefined {
  return state === 'running' ? labels[LABEL_POD_IP] : undefined;
}

/**
 * The record of an object just created (Docker's create answers with its id only): what its labels
 * and image say, state `created`, created now, image id not yet known.
 */
export function createdRecord(
  id: string,
  labels: Record<string, string>,
  image: string,
  now = new Date(),
): ContainerRecord {
  return { id, ...fromLabels(labels), image, imageId: '', state: 'created', createdAt: now };
}

/** A record from `GET /containers/{id}/json`. */
export function recordFromInspect(json: ContainerInspectInfo): ContainerRecord | SandboxRecord {
  const labels = json.Config?.Labels ?? {};
  const state = stateOf(json.State?.Status);
  const record: ContainerRecord = {
    id: json.Id,
    ...fromLabels(labels),
    image: json.Config?.Image ?? '',
    imageId: json.Image ?? '',
    state,
    createdAt: new Date(json.Created),
  };
  const startedAt = dockerTime(json.State?.StartedAt);
  if (startedAt) record.startedAt = startedAt;
  const finishedAt = dockerTime(json.State?.FinishedAt);
  if (finishedAt) record.finishedAt = finishedAt;
  if (state === 'exited') record.exitCode = json.State.ExitCode;
  if (json.State?.OOMKilled) record.oomKilled = true;
  if (json.State?.Error) record.error = json.State.Error;
  if (record.kind === 'sandbox') {
    const settings = json.NetworkSettings as { IPAddress?: string; Networks?: Networks } | undefined;
    const ip = ipOf(settings?.IPAddress, settings?.Networks) ?? plumbedIp(labels, state);
    if (ip) (record as SandboxRecord).ip = ip;
  }
  return record;
}

/**
 * A record from one entry of `GET /containers/json`. Listing says less than inspecting: no start
 * or finish time, no OOM flag, and the exit code only inside the `Exited (N) ...` status text.
 */
export function recordFromList(json: ContainerInfo): ContainerRecord | SandboxRecord {
  const labels = json.Labels ?? {};
  const state = stateOf(json.State);
  const record: ContainerRecord = {
    id: json.Id,
    ...fromLabels(labels),
    image: json.Image,
    imageId: json.ImageID,
    state,
    createdAt: new Date(json.Created * 1000),
  };
  const exited = /^Exited \((-?\d+)\)/.exec(json.Status ?? '');
  if (state === 'exited' && exited) record.exitCode = Number(exited[1]);
  if (record.kind === 'sandbox') {
    const ip = ipOf(undefined, json.NetworkSettings?.Networks as Networks) ?? plumbedIp(labels, state);
    if (ip) (record as SandboxRecord).ip = ip;
  }
  return record;
}

/**
 * A Docker object name that says whose it is (`shoal_<node>_<pod>_<namespace>_<container>_<attempt>`)
 * for people reading `docker ps`; `suffix` keeps it unique when an attempt is made again.
 */
export function dockerName(parts: string[], suffix: string): string {
  return ['shoal', ...parts, suffix].map((p) => p.replace(/[^a-zA-Z0-9_.-]/g, '-')).join('_');
}

/** An engine event (a line of `GET /events`) → RuntimeEvent, or undefined for other actions. */
export function eventFromEngine(json: {
  Type?: string;
  Action?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}): RuntimeEvent | undefined {
  if (json.Type !== undefined && json.Type !== 'container') return undefined;
  const type = json.Action;
  if (type !== 'start' && type !== 'die' && type !== 'oom' && type !== 'destroy') return undefined;
  const id = json.Actor?.ID ?? json.id;
  if (!id) return undefined;
  const event: RuntimeEvent = { type, id };
  const podUid = json.Actor?.Attributes?.[LABEL_POD_UID];
  if (podUid) event.podUid = podUid;
  return event;
}

/** Docker names machines as `uname -m` does; Kubernetes as Go's GOARCH does. */
const ARCHITECTURES: Record<string, string> = {
  x86_64: 'amd64',
  aarch64: 'arm64',
  armv7l: 'arm',
  i386: '386',
  i686: '386',
  ppc64le: 'ppc64le',
  s390x: 's390x',
};

/** `GET /info` → RuntimeInfo. */
export function infoFromEngine(json: {
  ServerVersion?: string;
  KernelVersion?: string;
  OperatingSystem?: string;
  OSType?: string;
  Architecture?: string;
  NCPU?: number;
  MemTotal?: number;
  DockerRootDir?: string;
}): RuntimeInfo {
  const arch = json.Architecture ?? '';
  const info: RuntimeInfo = {
    runtimeVersion: `docker://${json.ServerVersion ?? 'unknown'}`,
    kernelVersion: json.KernelVersion ?? '',
    osImage: json.OperatingSystem ?? '',
    operatingSystem: json.OSType ?? 'linux',
    architecture: ARCHITECTURES[arch] ?? arch,
    cpus: json.NCPU ?? 0,
    memoryBytes: json.MemTotal ?? 0,
  };
  // Images live under the data root (its image/ and overlay2/ directories).
  if (json.DockerRootDir) info.imageStorePath = json.DockerRootDir;
  return info;
}

/** Docker Hub answers to several host names; credentials may name any of them. */
const DOCKER_HUB_HOSTS = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
]);

function registryHost(server: string): string {
  const host = server.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  return DOCKER_HUB_HOSTS.has(host) ? 'docker.io' : host;
}

export interface EngineAuth {
  username?: string;
  password?: string;
  serveraddress: string;
}

/** The credentials for `registry` among `credentials`, in the form X-Registry-Auth carries. */
export function pullAuth(registry: string, credentials: PullCredentials[]): EngineAuth | undefined {
  const cred = credentials.find((c) => registryHost(c.server) === registryHost(registry));
  if (!cred) return undefined;
  let { username, password } = cred;
  if (username === undefined && cred.auth) {
    // `auth` is base64 of `user:password`, as in a .dockerconfigjson.
    const decoded = Buffer.from(cred.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0)
      throw new Error(`pull credentials for ${cred.server}: "auth" is not base64 of user:password`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  const auth: EngineAuth = { serveraddress: cred.server };
  if (username !== undefined) auth.username = username;
  if (password !== undefined) auth.password = password;
  return auth;
}
