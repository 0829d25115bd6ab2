/**
 * Which unused images to remove when the disk fills up — kubelet's image garbage collector
 * (`image_gc_manager.go`): when the filesystem holding the runtime's images is at or above
 * `highThresholdPercent` used, remove images no container of this node uses, least recently used
 * first, until usage would be down to `lowThresholdPercent`.
 *
 * The runtime cannot say when an image was last used, so, as kubelet, `ImageUsageTracker` keeps it
 * in memory: when each image was first seen and when a container last used it, updated at every
 * look. An agent that restarts starts over, so nothing is removed within `minAgeMs` of its start.
 *
 * Never removed: an image any container of this node uses (running or exited — a dead container
 * keeps its image, and Docker would refuse anyway), a pinned one (the sandbox image) and one first
 * seen less than `minAgeMs` ago (it may have been pulled for a container not yet created).
 */
import type { ImageRecord } from '../../runtime/driver.js';
import type { FilesystemUsage } from '../host-stats.js';

/** How often image usage is checked against the thresholds (kubelet's period). */
export const IMAGE_GC_PERIOD_MS = 5 * 60_000;

export interface ImageGcPolicy {
  /** Usage (percent of the filesystem) at or above which images are removed; 100: never. */
  highThresholdPercent: number;
  /** Usage to bring it down to; below `highThresholdPercent`. */
  lowThresholdPercent: number;
  /** Images first seen less than this long ago stay. */
  minAgeMs: number;
}

export const DEFAULT_IMAGE_GC_POLICY: Readonly<ImageGcPolicy> = {
  highThresholdPercent: 85,
  lowThresholdPercent: 80,
  minAgeMs: 2 * 60_000,
};

/** What is wrong with the policy, in words, or undefined when nothing is. */
export function imageGcPolicyProblem(policy: ImageGcPolicy): string | undefined {
  const { highThresholdPercent: high, lowThresholdPercent: low, minAgeMs } = policy;
  const percent = (v: number) => Number.isFinite(v) && v >= 0 && v <= 100;
  if (!percent(high)) return `the high threshold must be a percentage 0-100, got ${high}`;
  if (!percent(low)) return `the low threshold must be a percentage 0-100, got ${low}`;
  if (low >= high) return `the low threshold (${low}%) must be lower than the high threshold (${high}%)`;
  if (!Number.isFinite(minAgeMs) || minAgeMs < 0) return `the minimum age must be ≥ 0 ms, got ${minAgeMs}`;
  return undefined;
}

/** What the tracker knows of one image. */
export interface ImageUsage {
  image: ImageRecord;
  /** When this agent first saw the image (ms since the epoch). */
  firstDetected: number;
  /** When a container last used it as this agent saw; 0: never. */
  lastUsed: number;
}

/** First-detected and last-used times of the runtime's images, kept in memory (as kubelet's). */
export class ImageUsageTracker {
  private readonly known = new Map<string, ImageUsage>();

  /** Records one look at the runtime: its images, and the image ids its containers use. */
  observe(images: readonly ImageRecord[], inUse: ReadonlySet<string>, now: number): void {
    const present = new Set<string>();
    for (const image of images) {
      present.add(image.id);
      const usage = this.known.get(image.id) ?? { image, firstDetected: now, lastUsed: 0 };
      usage.image = image;
      if (inUse.has(image.id)) usage.lastUsed = now;
      this.known.set(image.id, usage);
    }
    for (const id of this.known.keys()) if (!present.has(id)) this.known.delete(id);
  }

  get(id: string): ImageUsage | undefined {
    return this.known.get(id);
  }

  all(): ImageUsage[] {
    return [...this.known.values()];
  }
}

export interface ImageGcPlan {
  /** Filesystem usage, percent, as kubelet rounds it (100 - floor(available * 100 / total)). */
  usagePercent: number;
  /** Bytes to free to get down to the low threshold; 0 when usage is below the high one. */
  bytesToFree: number;
  /** Images that may go, in the order to remove them (least recently used first). */
  candidates: ImageRecord[];
}

export interface ImageGcInput {
  policy: ImageGcPolicy;
  usage: FilesystemUsage;
  /** The tracker, after observing the current images and containers. */
  images: readonly ImageUsage[];
  inUse: ReadonlySet<string>;
  now: number;
}

/** Throws when the filesystem reports no size (kubelet's InvalidDiskCapacity). */
export function planImageGc(input: ImageGcInput): ImageGcPlan {
  const { policy, usage, now } = input;
  if (usage.totalBytes <= 0) throw new InvalidDiskCapacityError();
  const usagePercent = 100 - Math.floor((usage.availableBytes * 100) / usage.totalBytes);
  if (policy.highThresholdPercent >= 100 || usagePercent < policy.highThresholdPercent)
    return { usagePercent, bytesToFree: 0, candidates: [] };
  const target = Math.floor((usage.totalBytes * (100 - policy.lowThresholdPercent)) / 100);
  const bytesToFree = Math.max(0, target - usage.availableBytes);
  const candidates = input.images
    .filter(
      (u) => !u.image.pinned && !input.inUse.has(u.image.id) && now - u.firstDetected >= policy.minAgeMs,
    )
    .sort((a, b) => a.lastUsed - b.lastUsed || a.firstDetected - b.firstDetected)
    .map((u) => u.image);
  return { usagePercent, bytesToFree, candidates };
}

export class InvalidDiskCapacityError extends Error {
  override name = 'InvalidDiskCapacityError';
  constructor() {
    super('invalid capacity 0 on image filesystem');
  }
}
