/**
 * The garbage collector's effects and timing: every `containerPeriodMs` (kubelet: 1 min) it lists
 * this node's runtime objects and removes what `planContainerGc` picks; every `imagePeriodMs`
 * (kubelet: 5 min) it looks at the images and the image filesystem and removes what
 * `planImageGc` allows until enough is freed. Failures are logged; image GC that cannot free
 * enough writes kubelet's Warning events on the Node: `FreeDiskSpaceFailed` at once,
 * `ImageGCFailed` when a round fails again after a failed one, `InvalidDiskCapacity` for a
 * filesystem that reports no size.
 */

import { nodeRef, type Recorder } from '../../client/events.js';
import type { ImageRecord, RuntimeDriver } from '../../runtime/driver.js';
import { RuntimeUnavailableError } from '../../runtime/driver.js';
import type { Clock } from '../../util/clock.js';
import { type FilesystemUsage, filesystemUsage } from '../host-stats.js';
import {
  CONTAINER_GC_PERIOD_MS,
  type ContainerGcPolicy,
  checkContainerGcPolicy,
  DEFAULT_CONTAINER_GC_POLICY,
  planContainerGc,
} from './container-gc.js';
import {
  DEFAULT_IMAGE_GC_POLICY,
  IMAGE_GC_PERIOD_MS,
  type ImageGcPolicy,
  ImageUsageTracker,
  InvalidDiskCapacityError,
  imageGcPolicyProblem,
  planImageGc,
} from './image-gc.js';

export interface GcSettings {
  containerPolicy?: Partial<ContainerGcPolicy>;
  imagePolicy?: Partial<ImageGcPolicy>;
  /** How often container GC runs (default 1 min). */
  containerPeriodMs?: number;
  /** How often image GC runs (default 5 min). */
  imagePeriodMs?: number;
}

export interface GarbageCollectorOptions extends GcSettings {
  driver: RuntimeDriver;
  nodeName: string;
  clock: Clock;
  events: Recorder;
  log: (line: string) => void;
  /** Reads the filesystem holding `path` (default: statfs). */
  filesystemUsage?: (path: string) => Promise<FilesystemUsage>;
}

export interface ImageGcResult {
  /** Undefined when the runtime keeps no images on disk (nothing was done). */
  usagePercent?: number;
  bytesToFree: number;
  freedBytes: number;
  removed: ImageRecord[];
}

export class GarbageCollector {
  readonly containerPolicy: ContainerGcPolicy;
  readonly imagePolicy: ImageGcPolicy;
  private readonly tracker = new ImageUsageTracker();
  private readonly containerPeriodMs: number;
  private readonly imagePeriodMs: number;
  private imageFailedBefore = false;

  /** Throws when a policy or period is invalid, saying which. */
  constructor(private readonly options: GarbageCollectorOptions) {
    this.containerPolicy = { ...DEFAULT_CONTAINER_GC_POLICY, ...options.containerPolicy };
    this.imagePolicy = { ...DEFAULT_IMAGE_GC_POLICY, ...options.imagePolicy };
    checkContainerGcPolicy(this.containerPolicy);
    const problem = imageGcPolicyProblem(this.imagePolicy);
    if (problem) throw new Error(`image GC policy: ${problem}`);
    this.containerPeriodMs = options.containerPeriodMs ?? CONTAINER_GC_PERIOD_MS;
    this.imagePeriodMs = options.imagePeriodMs ?? IMAGE_GC_PERIOD_MS;
    for (const [name, ms] of [
      ['containerPeriodMs', this.containerPeriodMs],
      ['imagePeriodMs', this.imagePeriodMs],
    ] as const) {
      if (!(ms > 0)) throw new Error(`garbage collection: ${name} must be > 0, got ${ms}`);
    }
  }

  /** Both rounds, each at once and then every period, until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([
      this.every(this.containerPeriodMs, signal, () => this.containerRound()),
      this.every(this.imagePeriodMs, signal, () => this.imageRound()),
    ]);
  }

  /** One container GC round: removes what the policy picks; how many it removed. */
  async collectContainers(): Promise<number> {
    const { driver, clock, log } = this.options;
    const doomed = planContainerGc(await driver.list(), this.containerPolicy, clock.now());
    let removed = 0;
    for (const r of doomed) {
      try {
        await driver.removeContainer(r.id);
        removed++;
      } catch (err) {
        if (err instanceof RuntimeUnavailableError) throw err;
        log(`container gc: removing ${objectName(r)}: ${(err as Error).message}`);
      }
    }
    return removed;
  }

  /**
   * One image GC round. Throws when it could not free enough (after the FreeDiskSpaceFailed
   * event) or could not look at the runtime or the filesystem.
   */
  async collectImages(): Promise<ImageGcResult> {
    const { driver, clock, events, nodeName, log } = this.options;
    const info = await driver.info();
    if (!info.imageStorePath) return { bytesToFree: 0, freedBytes: 0, removed: [] };
    const now = clock.now();
    const [images, containers] = await Promise.all([driver.listImages(), driver.list()]);
    const inUse = new Set(containers.map((c) => c.imageId).filter((id) => id !== ''));
    this.tracker.observe(images, inUse, now);
    const usage = await (this.options.filesystemUsage ?? filesystemUsage)(info.imageStorePath);
    let plan: ReturnType<typeof planImageGc>;
    try {
      plan = planImageGc({ policy: this.imagePolicy, usage, images: this.tracker.all(), inUse, now });
    } catch (err) {
      if (err instanceof InvalidDiskCapacityError)
        events.event(nodeRef(nodeName), 'Warning', 'InvalidDiskCapacity', err.message);
      throw err;
    }
    const result: ImageGcResult = {
      usagePercent: plan.usagePercent,
      bytesToFree: 0,
      freedBytes: 0,
      removed: [],
    };
    if (plan.bytesToFree === 0) return result;
    result.bytesToFree = plan.bytesToFree;
    log(
      `image gc: ${info.imageStorePath} is ${plan.usagePercent}% full (high threshold ` +
        `${this.imagePolicy.highThresholdPercent}%): freeing ${plan.bytesToFree} bytes`,
    );
    const failures: string[] = [];
    for (const image of plan.candidates) {
      if (result.freedBytes >= plan.bytesToFree) break;
      try {
        await driver.removeImage(image.id);
      } catch (err) {
        if (err instanceof RuntimeUnavailableError) throw err;
        failures.push(`${imageName(image)}: ${(err as Error).message}`);
        continue;
      }
      result.freedBytes += image.sizeBytes;
      result.removed.push(image);
      log(`image gc: removed ${imageName(image)} (${image.sizeBytes} bytes)`);
    }
    if (result.freedBytes < plan.bytesToFree) {
      const message =
        `Failed to garbage collect required amount of images. Attempted to free ${plan.bytesToFree} ` +
        `bytes, but only found ${result.freedBytes} bytes eligible to free.`;
      events.event(nodeRef(nodeName), 'Warning', 'FreeDiskSpaceFailed', message);
      throw new Error(failures.length > 0 ? `${message} Failed removals: ${failures.join('; ')}` : message);
    }
    return result;
  }

  private async containerRound(): Promise<void> {
    try {
      await this.collectContainers();
    } catch (err) {
      if (!(err instanceof RuntimeUnavailableError))
        this.options.log(`container gc: ${(err as Error).message}`);
    }
  }

  private async imageRound(): Promise<void> {
    try {
      await this.collectImages();
      this.imageFailedBefore = false;
    } catch (err) {
      const message = (err as Error).message;
      this.options.log(`image gc failed: ${message}`);
      // As kubelet: one failure may be a hiccup (stats not ready yet); a second in a row is news.
      if (this.imageFailedBefore)
        this.options.events.event(nodeRef(this.options.nodeName), 'Warning', 'ImageGCFailed', message);
      this.imageFailedBefore = true;
    }
  }

  private async every(ms: number, signal: AbortSignal, round: () => Promise<void>): Promise<void> {
    while (!signal.aborted) {
      await round();
      try {
        await this.options.clock.sleep(ms, signal);
      } catch {
        return;
      }
    }
  }
}

function objectName(r: {
  kind: string;
  name: string;
  namespace: string;
  podName: string;
  id: string;
}): string {
  const what = r.kind === 'sandbox' ? 'sandbox' : `container ${r.name}`;
  return `${what} of pod ${r.namespace}/${r.podName} (${r.id.slice(0, 12)})`;
}

function imageName(image: ImageRecord): string {
  return image.tags[0] ? `${image.tags[0]} (${image.id.slice(0, 19)})` : image.id;
}
