/**
 * The pod volumes of one node: materialized on the host before the pod's containers are created,
 * kept current while it runs, removed when it is gone. Paths follow the kubelet's layout,
 * `<root>/<podUid>/volumes/<plugin>/<volumeName>`; memory-backed volumes (secret, projected,
 * `emptyDir.medium: Memory`) use the same layout under the tmpfs root instead (see tmpfs.ts).
 *
 * Operations on one pod are serialized, so a refresh never interleaves with a set-up or
 * tear-down of the same pod.
 */
import { chmod, lstat, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container, Pod, Volume } from 'kubernetes-types/core/v1.js';
import { isDNS1123Label } from '../../api/validation/names.js';
import type { Mount } from '../../runtime/driver.js';
import { errorMessage } from '../../util/error-message.js';
import { ContainerConfigError } from '../config-error.js';
import type { Allocatable } from '../downward.js';
import type { EnvVarValue } from '../env.js';
import { expandVars } from '../expansion.js';
import type { ObjectSource } from '../object-source.js';
import { type Payload, writeAtomically } from './atomic-writer.js';
import { checkHostPath } from './host-path.js';
import { configMapPayload, downwardAPIPayload, projectedPayload, secretPayload } from './projection.js';
import { resolveSubPath } from './subpath.js';
import { assertTmpfs } from './tmpfs.js';

export type VolumePlugin =
  | 'kubernetes.io~empty-dir'
  | 'kubernetes.io~host-path'
  | 'kubernetes.io~configmap'
  | 'kubernetes.io~secret'
  | 'kubernetes.io~downward-api'
  | 'kubernetes.io~projected';

/** One volume as it exists on the host. */
export interface HostVolume {
  name: string;
  plugin: VolumePlugin;
  /** The directory (or, for hostPath, whatever is there) to bind into containers. */
  path: string;
  /** The plugin only allows read-only mounts (configMap, secret, downwardAPI, projected). */
  readOnly: boolean;
  /** Lives on the tmpfs root. */
  memory: boolean;
}

export interface VolumeContext {
  /** The node's allocatable amounts, for `resourceFieldRef` items whose limit is unset. */
  allocatable?: Allocatable;
}

export interface VolumeFailure {
  volume: string;
  /** The kubelet's FailedMount event message: `MountVolume.SetUp failed for volume "x" : …`. */
  message: string;
}

/** Some volumes of a pod could not be set up; the others were. Retry later (set-up is idempotent). */
export class VolumeSetUpError extends Error {
  override name = 'VolumeSetUpError';
  readonly reason = 'FailedMount';
  constructor(readonly failures: VolumeFailure[]) {
    super(failures.map((f) => f.message).join('; '));
  }
}

export interface RefreshResult {
  /** Volumes whose files changed. */
  updated: string[];
  /** Volumes that could not be re-projected; they keep their previous files. */
  failures: VolumeFailure[];
}

export interface VolumeManagerOptions {
  /** Where disk-backed volumes live, e.g. `DATA_DIR/pods`. */
  root: string;
  /** A tmpfs (see ensureTmpfsRoot) for memory-backed volumes. */
  tmpfsRoot: string;
  sources: ObjectSource;
  /** This node: pods bound elsewhere are refused. */
  nodeName: string;
}

/** Propagation as Kubernetes names it → as the runtime does. */
const PROPAGATION: Record<string, Mount['propagation']> = {
  None: 'private',
  HostToContainer: 'rslave',
  Bidirectional: 'rshared',
};

/** Volumes whose files are projected from API objects and refreshed while the pod runs. */
const PROJECTED_PLUGINS = new Set<VolumePlugin>([
  'kubernetes.io~configmap',
  'kubernetes.io~secret',
  'kubernetes.io~downward-api',
  'kubernetes.io~projected',
]);

export class VolumeManager {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly opts: VolumeManagerOptions) {}

  /** Materializes every volume of the pod; throws VolumeSetUpError naming each one that failed. */
  async setUp(pod: Pod, ctx: VolumeContext = {}): Promise<Map<string, HostVolume>> {
    const uid = this.podUid(pod);
    const nodeName = pod.spec?.nodeName;
    if (nodeName && nodeName !== this.opts.nodeName)
      throw new Error(
        `pod ${podKey(pod)} is bound to node "${nodeName}", not to this node "${this.opts.nodeName}"`,
      );
    return this.locked(uid, async () => {
      const volumes = new Map<string, HostVolume>();
      const failures: VolumeFailure[] = [];
      for (const volume of pod.spec?.volumes ?? []) {
        try {
          volumes.set(volume.name, await this.setUpVolume(pod, uid, volume, ctx));
        } catch (err) {
          failures.push(failure(volume.name, err));
        }
      }
      if (failures.length > 0) throw new VolumeSetUpError(failures);
      return volumes;
    });
  }

  /**
   * Re-projects the pod's configMap, secret, downwardAPI and projected volumes from the current
   * objects (and the pod's current labels and annotations), rewriting only those whose content
   * changed, so that files mounted into running containers follow their sources. Volumes not set
   * up yet are left to setUp.
   */
  async refresh(pod: Pod, ctx: VolumeContext = {}): Promise<RefreshResult> {
    const uid = this.podUid(pod);
    return this.locked(uid, async () => {
      const result: RefreshResult = { updated: [], failures: [] };
      for (const volume of pod.spec?.volumes ?? []) {
        const kind = pluginOf(volume);
        if (!kind || !PROJECTED_PLUGINS.has(kind.plugin)) continue;
        const dir = this.volumeDir(uid, volume.name, kind.plugin, kind.memory);
        if ((await lstat(dir).catch(() => undefined)) === undefined) continue;
        try {
          if (await this.project(pod, volume, dir, kind.memory, ctx)) result.updated.push(volume.name);
        } catch (err) {
          result.failures.push(failure(volume.name, err));
        }
      }
      return result;
    });
  }

  /**
   * The container's mounts, from its `volumeMounts`. `env` is the container's resolved
   * environment, which `subPathExpr` expands against. Throws ContainerConfigError.
   */
  async mountsFor(
    pod: Pod,
    container: Container,
    volumes: ReadonlyMap<string, HostVolume>,
    env: EnvVarValue[],
  ): Promise<Mount[]> {
    const envMap = new Map(env.map((e) => [e.name, e.value]));
    const mounts: Mount[] = [];
    for (const vm of container.volumeMounts ?? []) {
      const volume = volumes.get(vm.name);
      if (!volume)
        throw new ContainerConfigError(
          `cannot find volume "${vm.name}" to mount into container "${container.name}"`,
        );
      let subPath = vm.subPath ?? '';
      if (vm.subPathExpr) {
        const missing = new Set<string>();
        subPath = expandVars(vm.subPathExpr, (name) => {
          const value = envMap.get(name);
          if (!value) missing.add(name);
          return value ?? '';
        });
        if (missing.size > 0)
          throw new ContainerConfigError(`missing value for ${[...missing].sort().join(', ')}`);
      }
      const hostPath = subPath
        ? await resolveSubPath(volume.path, subPath, { mount: vm.name, container: container.name })
        : volume.path;
      const mount: Mount = {
        hostPath,
        containerPath: vm.mountPath,
        readOnly: vm.readOnly === true || volume.readOnly,
      };
      if (vm.mountPropagation) {
        const propagation = PROPAGATION[vm.mountPropagation];
        if (!propagation)
          throw new ContainerConfigError(
            `invalid mountPropagation ${JSON.stringify(vm.mountPropagation)} for volumeMount "${vm.name}" of container "${container.name}" (of pod ${podKey(pod)})`,
          );
        mount.propagation = propagation;
      }
      mounts.push(mount);
    }
    return mounts;
  }

  /** Removes every volume of the pod from disk and from the tmpfs. hostPath volumes are untouched. */
  async tearDown(podUid: string): Promise<void> {
    checkUid(podUid);
    await this.locked(podUid, async () => {
      // rm does not follow symlinks, so nothing a container linked to outside is touched.
      await rm(join(this.opts.root, podUid), { recursive: true, force: true });
      await rm(join(this.opts.tmpfsRoot, podUid), { recursive: true, force: true });
    });
  }

  private async setUpVolume(pod: Pod, uid: string, volume: Volume, ctx: VolumeContext): Promise<HostVolume> {
    const nameErrors = isDNS1123Label(volume.name ?? '');
    if (nameErrors.length > 0)
      throw new Error(`invalid volume name ${JSON.stringify(volume.name)}: ${nameErrors.join('; ')}`);
    const kind = pluginOf(volume);
    if (!kind) throw new Error(`volume type ${describeSource(volume)} is not supported by Shoal yet`);
    const { plugin, memory } = kind;

    if (plugin === 'kubernetes.io~host-path') {
      const path = volume.hostPath!.path;
      await checkHostPath(path, volume.hostPath!.type);
      return { name: volume.name, plugin, path, readOnly: false, memory: false };
    }

    const dir = this.volumeDir(uid, volume.name, plugin, memory);
    if (plugin === 'kubernetes.io~empty-dir') {
      const medium = volume.emptyDir?.medium ?? '';
      if (medium !== '' && medium !== 'Memory')
        throw new Error(`emptyDir medium ${JSON.stringify(medium)} is not supported by Shoal yet`);
      if (memory) await this.assertMemoryBacked(volume.name, plugin);
      await mkdir(dir, { recursive: true });
      // World-writable like the kubelet's, so containers running as any user can write.
      await chmod(dir, 0o777);
      return { name: volume.name, plugin, path: dir, readOnly: false, memory };
    }
    await this.project(pod, volume, dir, memory, ctx);
    return { name: volume.name, plugin, path: dir, readOnly: true, memory };
  }

  /** Writes a projected volume's files; whether anything changed. */
  private async project(
    pod: Pod,
    volume: Volume,
    dir: string,
    memory: boolean,
    ctx: VolumeContext,
  ): Promise<boolean> {
    if (memory) await this.assertMemoryBacked(volume.name, pluginOf(volume)!.plugin);
    return writeAtomically(dir, await this.payload(pod, volume, ctx));
  }

  /** Memory-backed volumes (secrets above all) are written nowhere but on the tmpfs. */
  private assertMemoryBacked(name: string, plugin: VolumePlugin): Promise<void> {
    return assertTmpfs(this.opts.tmpfsRoot, `${plugin.slice('kubernetes.io~'.length)} volume "${name}"`);
  }

  private payload(pod: Pod, volume: Volume, ctx: VolumeContext): Promise<Payload> {
    const namespace = pod.metadata?.namespace ?? 'default';
    const allocatable = ctx.allocatable ?? {};
    if (volume.configMap)
      return configMapPayload(volume.configMap, volume.configMap.defaultMode, namespace, this.opts.sources);
    if (volume.secret) {
      const { secretName, ...rest } = volume.secret;
      return secretPayload(
        { ...rest, name: secretName },
        volume.secret.defaultMode,
        namespace,
        this.opts.sources,
      );
    }
    if (volume.downwardAPI)
      return Promise.resolve(
        downwardAPIPayload(volume.downwardAPI.items, volume.downwardAPI.defaultMode, pod, allocatable),
      );
    return projectedPayload(volume.projected!, pod, this.opts.sources, allocatable);
  }

  private volumeDir(uid: string, name: string, plugin: VolumePlugin, memory: boolean): string {
    return join(memory ? this.opts.tmpfsRoot : this.opts.root, uid, 'volumes', plugin, name);
  }

  private podUid(pod: Pod): string {
    const uid = pod.metadata?.uid ?? '';
    try {
      checkUid(uid);
    } catch (err) {
      throw new Error(`pod ${podKey(pod)}: ${(err as Error).message}`);
    }
    return uid;
  }

  private async locked<T>(uid: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(uid) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.locks.set(uid, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(uid) === settled) this.locks.delete(uid);
    }
  }
}

/** Which plugin handles the volume and whether it lives in memory; undefined when unsupported. */
function pluginOf(volume: Volume): { plugin: VolumePlugin; memory: boolean } | undefined {
  if (volume.emptyDir)
    return { plugin: 'kubernetes.io~empty-dir', memory: volume.emptyDir.medium === 'Memory' };
  if (volume.hostPath) return { plugin: 'kubernetes.io~host-path', memory: false };
  if (volume.configMap) return { plugin: 'kubernetes.io~configmap', memory: false };
  if (volume.secret) return { plugin: 'kubernetes.io~secret', memory: true };
  if (volume.downwardAPI) return { plugin: 'kubernetes.io~downward-api', memory: false };
  // Projected volumes may carry secrets, so they are memory-backed as in Kubernetes.
  if (volume.projected) return { plugin: 'kubernetes.io~projected', memory: true };
  return undefined;
}

function describeSource(volume: Volume): string {
  const source = Object.keys(volume).find((k) => k !== 'name');
  return source ? JSON.stringify(source) : '(none set)';
}

/** The uid becomes a directory name, so it must be one and only one path segment. */
function checkUid(uid: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(uid))
    throw new Error(
      `metadata.uid ${JSON.stringify(uid)} cannot name a directory (want letters, digits, '-', '.', '_')`,
    );
}

function failure(volume: string, err: unknown): VolumeFailure {
  const cause = errorMessage(err);
  return { volume, message: `MountVolume.SetUp failed for volume "${volume}" : ${cause}` };
}

function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
}
