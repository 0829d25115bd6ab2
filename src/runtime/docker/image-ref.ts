/**
 * Image references as Docker reads them: `busybox` is `docker.io/library/busybox:latest`, a first
 * component with a dot, a colon or named `localhost` is a registry host, a digest pins the content.
 */
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
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(image, `"${digest}" is not a valid digest`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(image, `"${tag}" is not a valid tag`);
  }
  const parts = rest.split('/');
  let registry = DEFAULT_REGISTRY;
  const first = parts[0]!;
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    if (!HOST.test(first)) throw invalid(image, `"${first}" is not a valid registry host`);
    registry = first;
    parts.shift();
  }
  for (const part of parts) {
    if (!COMPONENT.test(part)) {
      throw invalid(
        image,
        `"${part}" is not a valid repository name component (lowercase letters, digits, separators)`,
      );
    }
  }
  let path = parts.join('/');
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
