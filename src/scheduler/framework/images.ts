/**
 * Image names as the scheduler compares them (a pod's `busybox` is a node's
 * `docker.io/library/busybox:latest`), and the snapshot's optional per-image node count.
 */
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
  const at = image.indexOf('@');
  const name = at < 0 ? image : image.slice(0, at);
  const digest = at < 0 ? '' : image.slice(at);
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const hasDomain = first.includes('.') || first.includes(':') || first === 'localhost';
  let domain = hasDomain ? first : 'docker.io';
  let path = hasDomain ? name.slice(slash + 1) : name;
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  const lastSlash = path.lastIndexOf('/');
  const tagged = path.indexOf(':', lastSlash + 1) >= 0;
  return `${domain}/${path}${tagged || digest ? '' : ':latest'}${digest}`;
}
