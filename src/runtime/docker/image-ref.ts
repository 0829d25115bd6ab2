/**
 * Image references as Docker reads them: `busybox` is `docker.io/library/busybox:latest`, a first
 * component with a dot, a colon or named `localhost` is a registry host (api/image-ref.ts splits
 * the parts), a digest pins the content. Here the parts are also checked, as Docker would.
 */
import { splitImageRef } from '../../api/image-ref.js';
import { ImageError } from '../driver.js';

export interface ImageRef {
  /** Registry host, `docker.io` when the reference names none. */
  registry: string;
  /** Repository path as Docker shows it (`busybox`, `shoal/pause`, `registry:5000/team/app`). */
  repository: string;
  tag?: string;
  digest?: string;
}

const DEFAULT_REGISTRY = 'docker.io';
// Lowercase path components separated by `.`, `_`, `__` or dashes, as in Docker's reference grammar.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/;
const HOST = /^[a-zA-Z0-9.-]+(?::\d+)?$|^\[[0-9a-fA-F:]+\](?::\d+)?$/;

function invalid(image: string, why: string): ImageError {
  return new ImageError('InvalidImageName', `Failed to apply default image tag "${image}": ${why}`);
}

/** Parses `image`; throws ImageError('InvalidImageName') saying which part is wrong. */
export function parseImageRef(image: string): ImageRef {
  if (image === '') throw invalid(image, 'the image name is empty');
  const { domain, path: written, tag, digest } = splitImageRef(image);
  if (digest !== undefined && !DIGEST.test(digest)) throw invalid(image, `"${digest}" is not a valid digest`);
  if (tag !== undefined && !TAG.test(tag)) throw invalid(image, `"${tag}" is not a valid tag`);
  if (domain !== undefined && !HOST.test(domain))
    throw invalid(image, `"${domain}" is not a valid registry host`);
  for (const part of written.split('/')) {
    if (!COMPONENT.test(part)) {
      throw invalid(
        image,
        `"${part}" is not a valid repository name component (lowercase letters, digits, separators)`,
      );
    }
  }
  const registry = domain ?? DEFAULT_REGISTRY;
  let path = written;
  if (registry === DEFAULT_REGISTRY && path.startsWith('library/')) path = path.slice('library/'.length);
  const repository = registry === DEFAULT_REGISTRY ? path : `${registry}/${path}`;
  const ref: ImageRef = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** The name Docker shows for `image`: `busybox` → `busybox:latest`, digests kept as they are. */
export function normalizeImage(image: string): string {
  const ref = parseImageRef(image);
  if (ref.digest) return `${ref.repository}${ref.tag ? `:${ref.tag}` : ''}@${ref.digest}`;
  return `${ref.repository}:${ref.tag ?? 'latest'}`;
}
