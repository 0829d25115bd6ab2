/**
 * Image names as the scheduler compares them (a pod's `busybox` is a node's
 * `docker.io/library/busybox:latest`), and the snapshot's optional per-image node count.
 */

import { splitImageRef } from '../../api/image-ref.js';
import type { Snapshot } from './types.js';

/**
 * A Snapshot that knows on how many nodes each image is (by normalized name). The scheduler cache
 * can keep this count as nodes come and go; without it preScore counts over all nodes.
 */
export interface ImageCountingSnapshot extends Snapshot {
  imageNodeCount(normalizedImage: string): number;
}

/** Docker's normalized reference: registry `docker.io`, namespace `library`, tag `latest` when absent. */
export function normalizeImageName(image: string): string {
  const ref = splitImageRef(image);
  const domain = ref.domain === undefined || ref.domain === 'index.docker.io' ? 'docker.io' : ref.domain;
  const path = domain === 'docker.io' && !ref.path.includes('/') ? `library/${ref.path}` : ref.path;
  const tag = ref.tag !== undefined ? `:${ref.tag}` : ref.digest !== undefined ? '' : ':latest';
  return `${domain}/${path}${tag}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}
