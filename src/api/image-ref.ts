/**
 * Container image references, split the way Docker's reference grammar splits them:
 * `[domain/]path[:tag][@digest]`, where the first path component is a registry domain when more
 * follow and it has a `.` or a `:` or is `localhost`. Nothing is checked or defaulted here: the
 * Docker driver validates the parts (runtime/docker/image-ref.ts), the pull-policy default reads
 * the tag (api/defaults/pod.ts), and the scheduler normalizes names to compare them
 * (scheduler/framework/images.ts).
 */

export interface ImageRefParts {
  /** The registry domain (`registry:5000`, `localhost`), when the reference names one. */
  domain?: string;
  /** The repository path after the domain, as written: `busybox`, `library/busybox`, `team/app`. */
  path: string;
  /** After the last `:` that follows the last `/` (`''` for `app:`). */
  tag?: string;
  /** After the first `@`. */
  digest?: string;
}

export function splitImageRef(image: string): ImageRefParts {
  let name = image;
  let digest: string | undefined;
  const at = name.indexOf('@');
  if (at >= 0) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
  }
  let tag: string | undefined;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  const parts: ImageRefParts = { path: name };
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  if (first.includes('.') || first.includes(':') || first === 'localhost') {
    parts.domain = first;
    parts.path = name.slice(slash + 1);
  }
  if (tag !== undefined) parts.tag = tag;
  if (digest !== undefined) parts.digest = digest;
  return parts;
}
