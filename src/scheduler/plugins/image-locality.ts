/**
 * ImageLocality (score): prefer nodes that already hold the pod's images, so the pod starts
 * without a pull. As Kubernetes: each of the pod's container images present on the node adds its
 * size scaled by the fraction of nodes holding it (an image on every node says nothing, and
 * favouring its holders would pile pods up); the sum is clamped to [23 MB, 1000 MB × containers]
 * and mapped linearly onto 0..100. No normalize step.
 *
 * Image names are compared in Docker's normalized form, so a pod's `busybox` finds a node's
 * `docker.io/library/busybox:latest`.
 */
import { type ImageCountingSnapshot, normalizeImageName } from '../framework/images.js';
import type { NodeInfo, PodInfo } from '../framework/node-info.js';
import {
  type CycleState,
  MAX_NODE_SCORE,
  type Result,
  type ScorePlugin,
  type Snapshot,
  skip,
} from '../framework/types.js';
import { memoize } from './helpers.js';

/** Kubernetes' default weight for this score plugin. */
export const IMAGE_LOCALITY_WEIGHT = 1;

const MB = 1024 * 1024;
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;

const STATE_KEY = 'PreScoreImageLocality';

interface PreScoreState {
  /** The pod's images (init containers, then containers; repeats count twice, as in Kubernetes). */
  images: string[];
  /** Per image: nodes holding it / all nodes. */
  spread: number[];
  /** Upper clamp: 1000 MB per container. */
  maxThreshold: number;
}

const imagesOf = memoize((pod: PodInfo): string[] => {
  const spec = pod.pod.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c) =>
    normalizeImageName(c.image ?? ''),
  );
});

/** Images by normalized name, per `NodeInfo.imageSizes` map: rebuilt only when `status.images` changes. */
const normalizedImages = memoize((sizes: ReadonlyMap<string, number>): ReadonlyMap<string, number> => {
  const out = new Map<string, number>();
  for (const [name, size] of sizes) out.set(normalizeImageName(name), size);
  return out;
});
const normalizedImagesOf = (node: NodeInfo) => normalizedImages(node.imageSizes);

function nodesHolding(image: string, snapshot: Snapshot): number {
  const counting = snapshot as Partial<ImageCountingSnapshot>;
  if (typeof counting.imageNodeCount === 'function') return counting.imageNodeCount(image);
  let n = 0;
  for (const node of snapshot.nodes) if (normalizedImagesOf(node).has(image)) n++;
  return n;
}

export const ImageLocality: ScorePlugin = {
  name: 'ImageLocality',

  /** Computes each image's spread once per pod; skips when no node holds any of the pod's images. */
  preScore(state: CycleState, pod: PodInfo, _nodes, snapshot: Snapshot): Result {
    const images = imagesOf(pod);
    const total = snapshot.nodes.length;
    const spread: number[] = [];
    let anywhere = false;
    for (const image of images) {
      const holding = total === 0 ? 0 : nodesHolding(image, snapshot);
      spread.push(total === 0 ? 0 : holding / total);
      if (holding > 0) anywhere = true;
    }
    if (!anywhere) return skip;
    const s: PreScoreState = { images, spread, maxThreshold: MAX_CONTAINER_THRESHOLD * images.length };
    state.write(STATE_KEY, s);
    return undefined;
  },

  score(state: CycleState, _pod, node: NodeInfo): number {
    const s = state.read<PreScoreState>(STATE_KEY);
    if (!s) return 0;
    const held = normalizedImagesOf(node);
    let sum = 0;
    for (let i = 0; i < s.images.length; i++) {
      const size = held.get(s.images[i]!);
      if (size !== undefined) sum += Math.trunc(size * s.spread[i]!);
    }
    const clamped = Math.min(Math.max(sum, MIN_THRESHOLD), s.maxThreshold);
    return Math.floor((MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) / (s.maxThreshold - MIN_THRESHOLD));
  },
};
